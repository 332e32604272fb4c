import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import {
  type AvqaRecord,
  encodeQuestion,
  type MediaFiles,
  normaliseValues,
  OFFICIAL_VOCABULARIES,
  preprocessVideo,
  readFeatureSteps,
  tokenizeQuestion,
} from '@sparsify/avqa-datasets';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../log/logger.js';
import type { LoadedDataset } from '../pipeline/dataset.js';
import { featureLayoutOf, rawInputsFor, usesRawMedia } from '../pipeline/feature-inputs.js';
import { MediaBatchSource, type VideoMedia } from '../pipeline/media-batch-source.js';
import { preprocessSettingsFor, sampleToInputs } from '../pipeline/model-inputs.js';
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

/**
 * What `ask` is given about the video: raw media (`video`, with `audio` for a frames folder)
 * for the streams a run reads raw, and the .npy feature file of each stream it reads as
 * features (`videoFeatures`: ResNet-18 [T, 512, 14, 14] or CLIP [T, 768]; `audioFeatures`:
 * VGGish [T, 128]).
 */
export interface AskMedia {
  video?: string;
  audio?: string;
  videoFeatures?: string;
  audioFeatures?: string;
}

/** One video's model inputs for a run, from raw media and/or feature files, normalised as in training. */
async function askedInputs(dataset: LoadedDataset, media: AskMedia): Promise<VideoMedia> {
  const { inputs } = dataset;
  const features = async (stream: 'video' | 'audio', path: string | undefined) => {
    const spec = inputs[stream];
    const layout = featureLayoutOf(spec);
    if (!layout) return null;
    const flag = stream === 'video' ? '--video-features' : '--audio-features';
    if (!path)
      throw new ConfigError(flag, `the run reads ${spec.kind} ${stream} features: give FILE.npy`);
    if (!existsSync(path)) throw new ConfigError(flag, `${path} does not exist`);
    return readFeatureSteps(path, layout, spec.timeSteps);
  };
  const videoFeatures = await features('video', media.videoFeatures);
  const audioFeatures = await features('audio', media.audioFeatures);
  let raw: { frames: Uint8Array; fbank: Float32Array } | null = null;
  if (usesRawMedia(inputs)) {
    if (!media.video)
      throw new ConfigError(
        '--video',
        'the run reads raw media: give the video (mp4 or frames folder)',
      );
    const rawInputs = rawInputsFor(inputs);
    const sample = await preprocessVideo(
      mediaFiles(media.video, media.audio),
      preprocessSettingsFor(rawInputs, dataset.seconds),
    );
    raw = sampleToInputs(sample, rawInputs);
  }
  return {
    frames: videoFeatures
      ? normaliseValues(videoFeatures, dataset.videoFeatureStats ?? { mean: 0, std: 1 })
      : (raw?.frames as Uint8Array),
    fbank: normaliseValues(audioFeatures ?? (raw?.fbank as Float32Array), dataset.fbankStats),
  };
}

/** Answers one question about one video with a run's best checkpoint. */
export async function askRun(
  runDir: string,
  media: AskMedia,
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
    const videoMedia = await askedInputs(dataset, media);
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
    .option('--video <file>', 'a video file (mp4), or a frames folder with --audio')
    .option('--audio <file>', 'the wav of a frames folder')
    .option(
      '--video-features <file>',
      'for a run on video features: the .npy of this video (resnet18 [T,512,14,14] or clip [T,768])',
    )
    .option('--audio-features <file>', 'for a run on vggish features: the .npy [T,128]')
    .requiredOption('--question <text>', 'e.g. "How many instruments are sounding in the video?"')
    .option('--log-format <format>', 'text or json', 'text')
    .action(async (runDir: string, flags, cmd: Command) => {
      const logger = createLogger({ quiet: true, logFormat: flags.logFormat });
      await prepareBackend(cmd.optsWithGlobals().backend, true, logger);
      const outcome = await askRun(
        runDir,
        {
          video: flags.video,
          audio: flags.audio,
          videoFeatures: flags.videoFeatures,
          audioFeatures: flags.audioFeatures,
        },
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
