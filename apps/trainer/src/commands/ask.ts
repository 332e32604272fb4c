import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import {
  type AvqaRecord,
  encodeQuestion,
  type MediaFiles,
  OFFICIAL_VOCABULARIES,
  preprocessVideo,
  tokenizeQuestion,
} from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../log/logger.js';
import { MediaBatchSource } from '../pipeline/media-batch-source.js';
import { normaliseFbank, preprocessSettingsFor, sampleToInputs } from '../pipeline/model-inputs.js';
import type { TokenCounts } from '../pipeline/types.js';
import { loadRun } from '../train/load-run.js';
import { createLogger, prepareBackend } from './runtime.js';

export interface AskOutcome {
  question: string[];
  /** The top answers, most probable first. */
  answers: { answer: string; probability: number }[];
  /** Tokens per stream the encoder kept (masking is off at inference; merging is on when trained with it). */
  tokens: TokenCounts;
}

/** A video as ffmpeg reads it (mp4 or any container), or a frames folder with `--audio WAV`. */
function mediaFiles(video: string, audio?: string): MediaFiles {
  if (!existsSync(video)) throw new ConfigError('--video', `${video} does not exist`);
  if (statSync(video).isDirectory()) {
    if (!audio)
      throw new ConfigError(
        '--audio',
        `${video} is a frames folder: give its soundtrack with --audio FILE.wav`,
      );
    return { kind: 'frames+wav', framesDir: video, wavPath: audio };
  }
  if (extname(video) === '')
    throw new ConfigError('--video', `${video}: expected a video file such as .mp4`);
  return { kind: 'mp4', path: video };
}

/** Answers one question about one video with a run's best checkpoint. */
export async function askRun(
  runDir: string,
  media: { video: string; audio?: string },
  question: string,
  logger: Logger,
  top = 3,
): Promise<AskOutcome> {
  const tokens = tokenizeQuestion(
    question.trim().endsWith('?') ? question.trim() : `${question.trim()}?`,
    [],
  );
  let tokenIds: Int32Array;
  try {
    tokenIds = encodeQuestion(tokens);
  } catch (error) {
    throw new ConfigError(
      '--question',
      `${(error as Error).message} (the model knows the 93 official MUSIC-AVQA words)`,
    );
  }
  const run = await loadRun(runDir, 'best', logger);
  try {
    const { dataset, model } = run;
    const sample = await preprocessVideo(
      mediaFiles(media.video, media.audio),
      preprocessSettingsFor(dataset.inputs, dataset.seconds),
    );
    const inputs = sampleToInputs(sample, dataset.inputs);
    const videoMedia = {
      frames: inputs.frames,
      fbank: normaliseFbank(inputs.fbank, dataset.fbankStats),
    };
    const record = { tokenIds, label: 0, videoId: 'asked' } as unknown as AvqaRecord;
    const source = new MediaBatchSource('ask', [record], () => videoMedia, dataset.inputs);
    const batch = await source.load([0]);
    let probabilities: Float32Array = new Float32Array();
    let kept: TokenCounts = { videoKept: 0, audioKept: 0, videoTotal: 0, audioTotal: 0 };
    tf.tidy(() => {
      const out = model.forward(batch, { training: false, epoch: 0, step: 0 });
      probabilities = tf.softmax(out.logits).dataSync() as Float32Array;
      kept = out.tokens;
    });
    const answers = Array.from(probabilities, (probability, label) => ({
      answer: OFFICIAL_VOCABULARIES.answers.word(label),
      probability,
    }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, top);
    return { question: tokens, answers, tokens: kept };
  } finally {
    run.model.dispose();
  }
}

/** `sparsify ask RUN_DIR --video FILE --question TEXT`. */
export function createAskCommand(): Command {
  return new Command('ask')
    .description(
      "answer a question about a video with a run's best checkpoint: top-3 answers and the tokens kept",
    )
    .argument('<run-dir>', 'a run folder written by train')
    .requiredOption('--video <file>', 'a video file (mp4), or a frames folder with --audio')
    .option('--audio <file>', 'the wav of a frames folder')
    .requiredOption('--question <text>', 'e.g. "How many instruments are sounding in the video?"')
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (runDir: string, flags, cmd: Command) => {
      const logger = createLogger({ quiet: true, logFormat: flags.logFormat });
      await prepareBackend(cmd.optsWithGlobals().backend, true, logger);
      const outcome = await askRun(
        runDir,
        { video: flags.video, audio: flags.audio },
        flags.question,
        logger,
      );
      const { tokens } = outcome;
      logger.result(
        [
          `question: ${outcome.question.join(' ')}`,
          ...outcome.answers.map(
            (a, i) => `${i + 1}. ${a.answer.padEnd(12)} ${(a.probability * 100).toFixed(1)}%`,
          ),
          `kept: video ${tokens.videoKept} of ${tokens.videoTotal} tokens, audio ${tokens.audioKept} of ${tokens.audioTotal} tokens`,
        ].join('\n'),
        { ...outcome },
      );
    });
}
