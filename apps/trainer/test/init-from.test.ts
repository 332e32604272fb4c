import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../src/config/train-config.js';
import { RunFolder } from '../src/run/run-folder.js';
import { initFromFile } from '../src/train/init-from.js';
import { trainRun } from '../src/train/train-run.js';
import { runCli, silentLogger, tempDir, tinyConfig, tinyDataset } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

const dataset = tinyDataset();

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('--init-from in config.json', () => {
  it('keeps the path as given with the SHA-256 of the file, and --resume refuses a file that changed', async () => {
    const root = tempDir('init-from');
    const logger = silentLogger();
    // Two different weight files: the best checkpoints of two seeds.
    const first = await trainRun({
      config: tinyConfig({ epochs: 1, seed: 1 }),
      runDir: join(root, 'a'),
      logger,
      dataset,
    });
    const second = await trainRun({
      config: tinyConfig({ epochs: 1, seed: 2 }),
      runDir: join(root, 'b'),
      logger,
      dataset,
    });
    const file = join(root, 'backbone.safetensors');
    copyFileSync(first.folder.bestCheckpointPath, file);
    const given = relative(process.cwd(), file);
    expect(given.startsWith('/')).toBe(false);

    const run = await trainRun({
      config: tinyConfig({ epochs: 1, initFrom: given }),
      runDir: join(root, 'run'),
      logger,
      dataset,
    });
    const saved = run.folder.readJson<TrainConfig>(run.folder.configPath);
    expect(saved.initFrom).toBe(given);
    expect(saved.initFromSha256).toBe(sha256(file));
    expect(saved.initFromSha256).toMatch(/^[0-9a-f]{64}$/);
    // A run's checkpoint records no pretraining videos.
    expect(saved.initFromData).toBeNull();

    // A run killed before its first checkpoint loads the file again on --resume.
    const killed = new RunFolder(join(root, 'killed'));
    killed.create();
    killed.writeJson(killed.configPath, saved);
    copyFileSync(second.folder.bestCheckpointPath, file);
    const error = await trainRun({
      config: saved,
      runDir: killed.dir,
      logger,
      resume: true,
      dataset,
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toContain(`--init-from ${given}: its SHA-256 is ${sha256(file)}`);
    expect(error?.message).toContain(`SHA-256 ${saved.initFromSha256}`);

    copyFileSync(first.folder.bestCheckpointPath, file);
    const resumed = await trainRun({
      config: saved,
      runDir: killed.dir,
      logger,
      resume: true,
      dataset,
    });
    expect(resumed.results?.evaluation).toEqual(run.results?.evaluation);
  }, 60_000);

  it('initFromFile checks the hash before it reads the file as weights', () => {
    const file = join(tempDir('init-from-hash'), 'x.safetensors');
    writeFileSync(file, 'not a safetensors file');
    expect(() => initFromFile(file, new Map(), 'f'.repeat(64))).toThrow(
      `--init-from ${file}: its SHA-256 is ${sha256(file)}, but the run started from a file with SHA-256 ${'f'.repeat(64)}`,
    );
  });
});

describe('sparsify pretrain', () => {
  it.each([
    ['--aux-weight', '0.5', /--aux-weight: pretraining trains on the perception losses alone/],
    ['--init-from', 'x.safetensors', /--init-from: pretraining starts from the seeded random/],
  ])('refuses %s instead of ignoring it', async (flag, value, message) => {
    const out = join(tempDir('pretrain-flags'), 'b.safetensors');
    await expect(runCli(['pretrain', '--out', out, flag, value])).rejects.toThrow(message);
  });
});
