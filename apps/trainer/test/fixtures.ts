import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputSpec } from '@sparsify/amuse-encoder';
import type { AvqaRecord } from '@sparsify/avqa-datasets';
import type { Command } from 'commander';
import { vi } from 'vitest';
import { resolveTrainConfig, type TrainConfig } from '../src/config/train-config.js';
import type { TrainOptions } from '../src/config/train-flags.js';
import { Logger } from '../src/log/logger.js';
import type { LoadedDataset } from '../src/pipeline/dataset.js';
import { MediaBatchSource, type VideoMedia } from '../src/pipeline/media-batch-source.js';
import { buildProgram } from '../src/program.js';
import { Rng } from '../src/rng.js';

/** Two 32x32 frames and two 32x32 fbank windows: 8 tokens per stream at patch 16. */
export const TINY_INPUTS: InputSpec = {
  video: { kind: 'frames', timeSteps: 2, height: 32, width: 32 },
  audio: { kind: 'fbank', timeSteps: 2, frames: 32, melBins: 32 },
};

const TYPES = ['Audio/Counting', 'Visual/Location', 'Audio-Visual/Existential'] as const;

/** A random split whose answer is readable from the media (brightness), so a model can learn it. */
export function randomSource(name: string, count: number, seed: number): MediaBatchSource {
  const rng = new Rng(seed);
  const media = new Map<string, VideoMedia>();
  const records: AvqaRecord[] = [];
  for (let i = 0; i < count; i++) {
    const label = rng.nextInt(2);
    const frames = new Uint8Array(2 * 32 * 32 * 3).map(() => (label ? 128 : 0) + rng.nextInt(128));
    const fbank = new Float32Array(2 * 32 * 32).map(() => rng.next() - 0.5);
    const videoId = `${name}${i}`;
    media.set(videoId, { frames, fbank });
    const tokenIds = new Int32Array(14);
    for (let t = 0; t < 6; t++) tokenIds[t] = 1 + rng.nextInt(90);
    const type = TYPES[i % TYPES.length] as AvqaRecord['type'];
    const [modality, questionType] = type.split('/');
    records.push({
      index: i,
      videoId,
      questionId: seed * 1000 + i,
      modality,
      questionType,
      type,
      question: 'q',
      filledQuestion: 'q',
      tokens: [],
      tokenIds,
      answer: label ? 'yes' : 'no',
      label,
      templValues: [],
      questionDeleted: 0,
      extra: {},
    } as unknown as AvqaRecord);
  }
  return new MediaBatchSource(name, records, (id) => media.get(id) as VideoMedia, TINY_INPUTS);
}

/** A tiny random dataset (8 train, 4 val, 4 test questions) for runs that need no real data. */
export function tinyDataset(): LoadedDataset {
  return {
    train: randomSource('train', 8, 1),
    val: randomSource('val', 4, 2),
    test: randomSource('test', 4, 3),
    inputs: TINY_INPUTS,
    trainAnnotationFile: 'none',
    seconds: 2,
    fbankStats: { mean: 0, std: 1 },
  };
}

export function tinyConfig(options: TrainOptions = {}): TrainConfig {
  return resolveTrainConfig({ preset: 'dense', epochs: 2, batchSize: 4, lr: 3e-3, ...options });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sparsify-${prefix}-`));
}

export const silentLogger = () =>
  new Logger({ quiet: true, out: () => {}, err: { write: () => {}, isTTY: false } });

/** One line of the CLI's `--log-format json` output. */
export type CliEvent = Record<string, unknown> & { event: string };

/**
 * Runs `sparsify ARGS --log-format json` in this process and collects its JSON events
 * (`onEvent` sees each as it is printed). Errors reject the promise instead of exiting the
 * test process; stderr is silenced. Returns the events and the exit code the command set.
 */
export async function runCli(
  args: string[],
  onEvent: (event: CliEvent) => void = () => {},
): Promise<{ events: CliEvent[]; exitCode: number | undefined }> {
  const events: CliEvent[] = [];
  let pending = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    pending += String(chunk);
    const lines = pending.split('\n');
    pending = lines.pop() as string;
    for (const line of lines.filter((l) => l.startsWith('{'))) {
      const event = JSON.parse(line) as CliEvent;
      events.push(event);
      onEvent(event);
    }
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const program = buildProgram();
    const noExit = (command: Command) => {
      command.exitOverride().configureOutput({ writeErr: () => undefined });
      for (const sub of command.commands) noExit(sub);
    };
    noExit(program);
    await program.parseAsync(['node', 'sparsify', ...args, '--log-format', 'json']);
  } finally {
    write.mockRestore();
    stderr.mockRestore();
  }
  const exitCode = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { events, exitCode };
}
