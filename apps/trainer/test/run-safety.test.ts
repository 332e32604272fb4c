import fs, { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '@sparsify/amuse-encoder';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { interruptFlag } from '../src/commands/runtime.js';
import { ConfigError } from '../src/config/config-error.js';
import { Logger } from '../src/log/logger.js';
import { MediaBatchSource } from '../src/pipeline/media-batch-source.js';
import { writeFileAtomic } from '../src/run/atomic-write.js';
import { RunFolder } from '../src/run/run-folder.js';
import { LOCK_FILE, RunFolderLockedError, RunLock } from '../src/run/run-lock.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { loadRun } from '../src/train/load-run.js';
import { trainRun } from '../src/train/train-run.js';
import { NonFiniteLossError } from '../src/train/training-errors.js';
import {
  randomSource,
  silentLogger,
  TINY_INPUTS,
  tempDir,
  tinyConfig,
  tinyDataset,
} from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const dataset = tinyDataset();
const config = tinyConfig({ epochs: 1 });

/** A logger that keeps its warnings. */
function recordingLogger() {
  const warnings: string[] = [];
  const logger = new Logger({
    format: 'json',
    out: (line) => {
      const event = JSON.parse(line) as { event: string; message?: string };
      if (event.event === 'warning') warnings.push(event.message ?? '');
    },
  });
  return { logger, warnings };
}

/** A pid that surely ran and is gone: a child that has exited. */
async function deadPid(): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid as number;
}

describe('the run folder', () => {
  it('refuses --out on an existing run unless --overwrite, and touches nothing', async () => {
    const dir = join(tempDir('existing'), 'run');
    await trainRun({ config, runDir: dir, logger: silentLogger(), dataset });
    const folder = new RunFolder(dir);
    const before = readFileSync(folder.lastCheckpointPath);
    const error = await trainRun({
      config: tinyConfig({ epochs: 2 }),
      runDir: dir,
      logger: silentLogger(),
      dataset,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `--out: ${folder.dir} already holds a run; continue it with --resume ${folder.dir}, replace it with --overwrite, or choose another --out`,
    );
    expect(readFileSync(folder.lastCheckpointPath)).toEqual(before);
    const replaced = await trainRun({
      config: tinyConfig({ epochs: 2 }),
      runDir: dir,
      logger: silentLogger(),
      dataset,
      overwrite: true,
    });
    expect(replaced.results?.epochs ?? folder.readMetrics().length).toBe(2);
    expect(folder.readMetrics()).toHaveLength(2);
  });

  it('a second writer gets an error naming the holder pid; a stale lock is taken over with a notice', async () => {
    const dir = tempDir('locked');
    const held = RunLock.acquire(dir);
    try {
      const error = await trainRun({ config, runDir: dir, logger: silentLogger(), dataset }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RunFolderLockedError);
      expect((error as Error).message).toContain(`is in use by process ${process.pid}`);
      expect(existsSync(join(dir, 'config.json'))).toBe(false);
    } finally {
      held.release();
    }
    const pid = await deadPid();
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({ pid, host: (await import('node:os')).hostname(), since: 'then' }),
    );
    const { logger, warnings } = recordingLogger();
    await trainRun({ config, runDir: dir, logger, dataset });
    expect(warnings).toContainEqual(
      `${join(dir, LOCK_FILE)}: process ${pid} (since then) is no longer running; taking over its stale lock`,
    );
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('--resume of a missing or mistyped folder refuses and creates nothing', async () => {
    const parent = tempDir('resume-typo');
    const error = await trainRun({
      config,
      runDir: join(parent, 'rnu'),
      resume: true,
      logger: silentLogger(),
      dataset,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `--resume: ${join(parent, 'rnu')} does not exist; nothing to resume`,
    );
    expect(readdirSync(parent)).toEqual([]);
  });

  it('validates before creating the folder: a missing subset file or an empty validation split leave nothing', async () => {
    const parent = tempDir('validate-first');
    await expect(
      trainRun({
        config: tinyConfig({
          epochs: 1,
          subset: { kind: 'file', file: join(parent, 'missing.json') },
        }),
        runDir: join(parent, 'a'),
        logger: silentLogger(),
        dataset,
      }),
    ).rejects.toThrow('missing.json');
    const noVal = { ...dataset, val: randomSource('val', 0, 2) };
    await expect(
      trainRun({ config, runDir: join(parent, 'b'), logger: silentLogger(), dataset: noVal }),
    ).rejects.toThrow('has no questions, so no epoch can be chosen as best');
    expect(readdirSync(parent)).toEqual([]);
  });

  it("removes temp files of killed writers on start, keeps a live writer's, and says what --resume resumes", async () => {
    const dir = tempDir('temp-files');
    await trainRun({
      config: tinyConfig({ epochs: 2 }),
      runDir: dir,
      logger: silentLogger(),
      dataset,
      stepLimit: 3,
    });
    const folder = new RunFolder(dir);
    const dead = `${folder.lastCheckpointPath}.tmp-${await deadPid()}-0badf00d`;
    const live = `${folder.bestCheckpointPath}.tmp-${process.pid}-0000beef`;
    writeFileSync(dead, 'half');
    writeFileSync(live, 'being written');
    const lines: string[] = [];
    const logger = new Logger({ format: 'json', out: (line) => lines.push(line) });
    await trainRun({ config, runDir: dir, resume: true, logger, dataset });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    const events = lines.map((l) => JSON.parse(l) as { event: string; message?: string });
    expect(events.filter((e) => e.event === 'warning').map((e) => e.message)).toEqual([
      `removed 1 unfinished temp file(s) a killed run left: ${dead}`,
    ]);
    // 2 steps an epoch: the third step was the first of epoch 2.
    expect(events.find((e) => e.event === 'resume')).toMatchObject({
      epoch: 1,
      step: 1,
      checkpoint: folder.lastCheckpointPath,
    });
  });

  it('says that nothing can be resumed when no checkpoint was completed', async () => {
    const dir = tempDir('no-checkpoint');
    const folder = new RunFolder(dir);
    folder.create();
    folder.writeJson(folder.configPath, config);
    const { logger, warnings } = recordingLogger();
    await trainRun({ config, runDir: dir, resume: true, logger, dataset });
    expect(warnings).toContain(
      `nothing to resume: ${folder.lastCheckpointPath} is missing (no checkpoint was completed); training starts again at epoch 1`,
    );
  });
});

describe('file system errors', () => {
  it('name the path and the real cause: a full disk, a read-only folder', () => {
    const dir = tempDir('fs-errors');
    const path = join(dir, 'checkpoints', 'last.ckpt');
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
    });
    vi.spyOn(fs, 'writeFileSync').mockImplementation(() => {
      throw enospc;
    });
    expect(() => writeFileAtomic(path, 'x')).toThrow(
      `cannot write ${path}: no space left on the device (ENOSPC)`,
    );
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual([]);
    vi.restoreAllMocks();
    // Node reports mkdir -p under a read-only mount as ENOENT; the real cause is found.
    vi.spyOn(fs, 'mkdirSync').mockImplementation(() => {
      throw Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${dir}/run'`), {
        code: 'ENOENT',
      });
    });
    vi.spyOn(fs, 'accessSync').mockImplementation(() => {
      throw Object.assign(new Error('EROFS'), { code: 'EROFS' });
    });
    expect(() => writeFileAtomic(join(dir, 'run', 'config.json'), 'x')).toThrow(
      `cannot create the folder of ${join(dir, 'run', 'config.json')} (in ${dir}): the file system is read-only (EROFS)`,
    );
  });
});

describe('checkpoint integrity', () => {
  it('a flipped byte is refused by --resume and eval/ask, naming the tensor; an older checkpoint loads with a note', async () => {
    const dir = tempDir('integrity');
    await trainRun({
      config: tinyConfig({ epochs: 2 }),
      runDir: dir,
      logger: silentLogger(),
      dataset,
      stepLimit: 3,
    });
    const folder = new RunFolder(dir);
    for (const path of [folder.lastCheckpointPath, folder.bestCheckpointPath]) {
      const bytes = readFileSync(path);
      bytes[bytes.length - 4_001] = (bytes[bytes.length - 4_001] as number) ^ 0x10;
      writeFileSync(path, bytes);
    }
    const damaged =
      /: tensor "[^"]+" fails its SHA-256 check \(stored [0-9a-f]+\.\.\., read [0-9a-f]+\.\.\.\): the file is damaged/;
    await expect(
      trainRun({ config, runDir: dir, resume: true, logger: silentLogger(), dataset }),
    ).rejects.toThrow(damaged);
    await expect(loadRun(dir, 'best', silentLogger(), dataset)).rejects.toThrow(
      new RegExp(`^${folder.bestCheckpointPath.replace(/[.]/g, '\\.')}${damaged.source}`),
    );

    // Written before checksums existed: the same file without its sha256 metadata.
    const intact = tempDir('integrity-old');
    await trainRun({ config, runDir: intact, logger: silentLogger(), dataset });
    const best = new RunFolder(intact).bestCheckpointPath;
    const file = readFileSync(best);
    const { tensors, metadata } = decodeSafetensors(
      new Uint8Array(file.buffer, file.byteOffset, file.byteLength),
    );
    const { sha256: _, ...older } = metadata;
    writeFileSync(best, encodeSafetensors(tensors, older, { checksums: false }));
    const { logger, warnings } = recordingLogger();
    const run = await loadRun(intact, 'best', logger, dataset);
    run.model.dispose();
    expect(warnings).toEqual([
      `${best} was written before checkpoints carried checksums: its contents are not verified`,
    ]);
    const notes: string[] = [];
    const model = (await loadRun(intact, 'best', silentLogger(), dataset)).model;
    await loadCheckpoint(best, model.parameters, null, (text) => notes.push(text));
    model.dispose();
    expect(notes).toHaveLength(1);
  });
});

describe('NaN', () => {
  it('in the data names the video and the stream', async () => {
    const source = randomSource('train', 4, 1);
    const poisoned = new MediaBatchSource(
      'train',
      source.records,
      async (id) => {
        const media = await (
          source as unknown as {
            media: (id: string) => Promise<{ frames: Uint8Array; fbank: Float32Array }>;
          }
        ).media(id);
        if (id !== 'train2') return media;
        const fbank = media.fbank.slice();
        fbank[17] = Number.NaN;
        return { frames: media.frames, fbank };
      },
      TINY_INPUTS,
    );
    await expect(poisoned.load([0, 1, 2, 3])).rejects.toThrow(
      `train: video train2 has NaN in its fbank (value 17 of ${2 * 32 * 32}): its media or preprocessing cache is damaged`,
    );
  });

  it('stop advice is a command that works: --resume accepts --lr', () => {
    const error = new NonFiniteLossError(1, 2, Number.NaN, '/r/checkpoints/last.ckpt', {
      dir: '/r',
      lr: 3e-3,
    });
    expect(error.message).toContain(
      'continue from it with a lower learning rate: sparsify train --resume /r --lr 0.0003',
    );
  });
});

describe('Ctrl-C', () => {
  it('the first asks for a save after the step; the second quits at once with 130', () => {
    const others = process.listeners('SIGINT');
    process.removeAllListeners('SIGINT');
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const { logger, warnings } = recordingLogger();
    const flag = interruptFlag(logger);
    try {
      expect(flag.stopRequested()).toBe(false);
      process.emit('SIGINT');
      expect(flag.stopRequested()).toBe(true);
      expect(exit).not.toHaveBeenCalled();
      process.emit('SIGINT');
      expect(exit).toHaveBeenCalledWith(130);
      expect(warnings).toEqual([
        'interrupted: saving a checkpoint after this step (Ctrl-C again to quit now)',
        'interrupted again: quitting now without saving (the last checkpoint stays)',
      ]);
    } finally {
      flag.release();
      for (const listener of others) process.on('SIGINT', listener);
    }
  });
});
