/**
 * What QA runs' checkpoints perceive, on equal terms: each best checkpoint with merging off
 * at inference (its 80 patches per stream, hard per-patch targets), scored by the backbone
 * pretraining's perception scores on the held-out videos (one sample per video, the neutral
 * question). A sparse run's training perception loss is not comparable with dense's: after
 * the merge its targets are soft, with an entropy floor. Prints one markdown row per run.
 *
 *   cd apps/trainer && SPARSIFY_NATIVE_DIR=/tmp/sparsify-no-native OPENBLAS_NUM_THREADS=1 \
 *     node --conditions=source --import tsx scripts/perception-of-runs.ts <first scene> <videos> RUN...
 */
import { splitSource } from '../src/commands/eval.js';
import { createLogger, prepareBackend } from '../src/commands/runtime.js';
import { loadRun } from '../src/train/load-run.js';
import { evaluatePerception, onePerVideo, perceptionScores } from '../src/train/pretrain.js';

const [firstText, videosText, ...runs] = process.argv.slice(2);
const firstScene = Number(firstText);
const videos = Number(videosText);
if (!Number.isInteger(firstScene) || !Number.isInteger(videos) || runs.length === 0)
  throw new Error('usage: perception-of-runs.ts <first scene> <videos> RUN...');

const logger = createLogger({ logFormat: 'text', quiet: true });
await prepareBackend('wasm', true, logger);
const pct = (x: number) => (100 * x).toFixed(2);
console.log(
  '| run | patches | instrument patches | audio classes | sounding recall |\n|---|---:|---:|---:|---:|',
);
for (const runDir of runs) {
  const run = await loadRun(runDir, 'best', logger, undefined, { merge: null });
  try {
    const heldout = await splitSource(
      runDir,
      run.config,
      run.dataset,
      'heldout',
      videos,
      logger,
      firstScene,
    );
    const counts = await evaluatePerception(
      run.model,
      onePerVideo(heldout, 'heldout-videos'),
      run.config.batchSize,
    );
    const scores = perceptionScores(counts);
    console.log(
      `| ${runDir} | ${pct(scores.patchAccuracy)} | ${pct(scores.instrumentPatchAccuracy)} | ${pct(scores.audioAccuracy)} | ${pct(scores.soundingRecall)} |`,
    );
  } finally {
    run.model.dispose();
  }
}
