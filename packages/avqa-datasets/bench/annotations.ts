/**
 * Timings of the annotation, evaluation and .npy paths on the real MUSIC-AVQA files.
 * Run: pnpm --filter @sparsify/avqa-datasets bench:annotations (under flock /tmp/bench.lock).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  encodeNpy,
  evaluatePredictions,
  loadFeatures,
  parseAnnotations,
  parseNpy,
  RES18_14X14_LAYOUT,
  VGGISH_LAYOUT,
  writeNpy,
} from '../src/index.js';

const dataRoot = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../../shared/data/music-avqa',
);

async function median(runs: number, task: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const start = performance.now();
    await task();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)] as number;
}

console.log('| what | size | median ms | throughput |');
console.log('|---|---|---:|---:|');
for (const file of ['v1/json/avqa-test.json', 'v2/test_balance.json']) {
  const text = await readFile(join(dataRoot, file), 'utf8');
  const json = JSON.parse(text);
  const records = json.length as number;
  const parseMs = await median(7, () =>
    parseAnnotations(JSON.parse(text), { duplicates: 'keep-all' }),
  );
  console.log(
    `| JSON.parse + parseAnnotations ${file} | ${records} records | ${parseMs.toFixed(1)} | ${((records / parseMs) * 1000).toFixed(0)} records/s |`,
  );
  const set = parseAnnotations(json, { duplicates: 'keep-all' });
  const predictions = set.records.map((record) => record.label);
  const evalMs = await median(7, () => evaluatePredictions(set.records, predictions));
  console.log(
    `| evaluatePredictions ${file} | ${records} records | ${evalMs.toFixed(2)} | ${((records / evalMs) * 1000).toFixed(0)} records/s |`,
  );
}

const res18 = {
  data: new Float32Array(60 * 512 * 14 * 14).map((_value, index) => index % 997),
  shape: [60, 512, 14, 14],
};
const res18Bytes = encodeNpy(res18);
const megabytes = res18Bytes.length / 2 ** 20;
const parseMs = await median(7, () => parseNpy(res18Bytes));
console.log(
  `| parseNpy float32 C [60,512,14,14] | ${megabytes.toFixed(1)} MiB | ${parseMs.toFixed(1)} | ${(megabytes / (parseMs / 1000)).toFixed(0)} MiB/s |`,
);
for (const [name, options] of [
  ['float16 C', { dtype: 'float16' as const }],
  ['float32 big-endian', { littleEndian: false }],
  ['float32 Fortran', { fortranOrder: true }],
] as const) {
  const bytes = encodeNpy(res18, options);
  const ms = await median(3, () => parseNpy(bytes));
  console.log(
    `| parseNpy ${name} [60,512,14,14] | ${(bytes.length / 2 ** 20).toFixed(1)} MiB | ${ms.toFixed(1)} | ${(((6_021_120 / ms) * 1000) / 1e6).toFixed(0)} M values/s |`,
  );
}

const root = await mkdtemp(join(tmpdir(), 'avqa-bench-'));
try {
  await writeNpy(join(root, 'feats/res18_14x14/00000001.npy'), res18);
  await writeNpy(join(root, 'feats/vggish/00000001.npy'), {
    data: new Float32Array(60 * 128),
    shape: [60, 128],
  });
  const visualMs = await median(7, () => loadFeatures(root, '00000001', RES18_14X14_LAYOUT));
  console.log(
    `| loadFeatures res18_14x14 (reads only every 6th second) | 60 -> 10 steps | ${visualMs.toFixed(1)} | |`,
  );
  const audioMs = await median(15, () => loadFeatures(root, '00000001', VGGISH_LAYOUT));
  console.log(
    `| loadFeatures vggish (reads only every 6th second) | 60 -> 10 steps | ${audioMs.toFixed(2)} | |`,
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
