import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { decodeSafetensors } from '@sparsify/amuse-encoder';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { experimentRuns } from '../src/commands/compare.js';
import { demoDecayEvery, runDemo } from '../src/commands/demo.js';
import { PRETRAIN_DATA_SEED } from '../src/commands/pretrain.js';
import { Logger } from '../src/log/logger.js';
import { shippedBackbonePath } from '../src/pretrained.js';
import { RunFolder } from '../src/run/run-folder.js';
import { trainRun } from '../src/train/train-run.js';
import { tensorDigests } from './cli-process.js';
import { silentLogger, tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

// The lockstep demo's folder, which the parallel demo's results must equal.
let lockstepOut = '';

describe('sparsify demo (pnpm start) on a tiny benchmark', () => {
  it('trains dense and Sparsify on the same data and writes the comparison', async () => {
    const out = tempDir('demo');
    lockstepOut = out;
    const events: { event: string; run?: string; epoch?: number }[] = [];
    const logger = new Logger({ format: 'json', out: (line) => events.push(JSON.parse(line)) });
    const outcome = await runDemo(
      {
        out,
        videos: 8,
        epochs: 2,
        seed: 3,
        cacheDir: join(out, 'cache'),
        fastKernels: true,
        parallel: 'off',
      },
      logger,
    );
    expect(outcome).not.toBeNull();
    expect(outcome?.parallel).toBe(false);
    expect(outcome?.timeClock).toBe('wall');
    // The runs advance in lockstep, so both meet the same machine: no run ends an epoch
    // before the other has ended the one before.
    const epochs = events.filter((e) => e.event === 'epoch');
    expect(epochs.map((e) => e.epoch)).toEqual([0, 0, 1, 1]);
    expect(new Set(epochs.slice(0, 2).map((e) => e.run))).toEqual(new Set(['dense', 'Sparsify']));
    const { runs, timeRatio, blind, markdown } = outcome!;
    expect(runs.map((run) => run.results.name)).toEqual(['dense', 'Sparsify']);
    const [dense, sparse] = runs;
    // Same test split for both, and Sparsify really ran on fewer tokens.
    expect(sparse!.results.evaluation.overall.total).toBe(dense!.results.evaluation.overall.total);
    expect(sparse!.results.meanTokensKept).toBeLessThan(dense!.results.meanTokensKept);
    expect(timeRatio).toBeCloseTo(sparse!.results.trainSeconds / dense!.results.trainSeconds, 10);
    for (const value of [blind.majority, blind.questionOnly]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    expect(markdown).toContain('| dense |');
    expect(markdown).toContain('| Sparsify |');
    expect(markdown).toMatch(/question-only \d+\.\d\d%/);
    for (const file of ['results.md', 'results.json', 'report.html']) {
      expect(existsSync(join(out, file))).toBe(true);
    }
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.blind).toEqual(blind);
    // The report puts the blind baselines beside the runs, per type and overall.
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toMatch(
      new RegExp(
        `<th scope="row">question-only \\(no training\\)</th>(<td>[^<]*</td>){12}<td>${(blind.questionOnly * 100).toFixed(2)}</td></tr>`,
      ),
    );
    expect(report).toContain('aria-label="Test accuracy per question type"');
    expect(experimentRuns(out).map((run) => [run.name, run.dir])).toEqual([
      ['dense', join(out, 'dense')],
      ['Sparsify', join(out, 'sparsify')],
    ]);
    // Both runs decay the learning rate once, for the last quarter of the epochs.
    const config = JSON.parse(readFileSync(join(out, 'dense', 'config.json'), 'utf8'));
    expect(config.lrDecay.every).toBe(demoDecayEvery(2));
    // The shipped backbone as a user would give it from here, not this install's absolute
    // path, with the SHA-256 that says which file it was wherever the folder goes.
    const shipped = shippedBackbonePath() as string;
    expect(config.initFrom).toBe(relative(process.cwd(), shipped));
    expect(isAbsolute(config.initFrom)).toBe(false);
    expect(config.initFromSha256).toBe(
      createHash('sha256').update(readFileSync(shipped)).digest('hex'),
    );
    // And the videos it was pretrained on, so `eval` checks a held-out set without the file.
    expect(config.initFromData).toEqual({ seed: PRETRAIN_DATA_SEED, videos: 1920 });

    // Lockstep changes nothing a run computes: Sparsify alone gives the same epochs and
    // the same best checkpoint, bit for bit.
    const sparseConfig = JSON.parse(readFileSync(join(out, 'sparsify', 'config.json'), 'utf8'));
    const alone = tempDir('sparsify-alone');
    await trainRun({
      config: sparseConfig,
      runDir: alone,
      logger: silentLogger(),
      name: 'Sparsify',
    });
    const untimed = (dir: string) =>
      new RunFolder(dir)
        .readMetrics()
        .map(({ seconds: _seconds, cpuSeconds: _cpuSeconds, ...rest }) => rest);
    expect(untimed(alone)).toEqual(untimed(join(out, 'sparsify')));
    const parameters = (dir: string) => {
      const bytes = readFileSync(new RunFolder(dir).bestCheckpointPath);
      return decodeSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
        .tensors;
    };
    const together = parameters(join(out, 'sparsify'));
    const apart = parameters(alone);
    expect([...apart.keys()]).toEqual([...together.keys()]);
    for (const [name, array] of apart) expect(array.data).toEqual(together.get(name)?.data);
  }, 180_000);

  it('--parallel on trains the two runs at once in two processes: the same results, the ratio of CPU seconds', async () => {
    expect(lockstepOut, 'the lockstep demo above ran first').not.toBe('');
    const out = tempDir('demo-parallel');
    const events: Record<string, unknown>[] = [];
    const logger = new Logger({ format: 'json', out: (line) => events.push(JSON.parse(line)) });
    const outcome = await runDemo(
      {
        out,
        videos: 8,
        epochs: 2,
        seed: 3,
        cacheDir: join(out, 'cache'),
        fastKernels: true,
        parallel: 'on',
      },
      logger,
    );
    expect(outcome).not.toBeNull();
    const { runs, timeRatio, timeClock, markdown } = outcome!;
    expect(outcome?.parallel).toBe(true);
    expect(timeClock).toBe('cpu');
    const [dense, sparse] = runs.map((run) => run.results);
    // Each process timed its own steps by its own CPU seconds; the ratio divides those.
    expect(dense!.trainCpuSeconds).toBeGreaterThan(0);
    expect(sparse!.trainCpuSeconds).toBeGreaterThan(0);
    expect(timeRatio).toBeCloseTo(sparse!.trainCpuSeconds! / dense!.trainCpuSeconds!, 10);
    expect(markdown).toContain(
      `Training time ratio (Sparsify / dense): ${timeRatio.toFixed(2)} of CPU seconds`,
    );
    expect(markdown).toContain('| train CPU seconds | time ratio (CPU) |');
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved).toMatchObject({ timeRatio, timeClock: 'cpu', parallel: true });
    expect(saved.wallTimeRatio).toBeCloseTo(sparse!.trainSeconds / dense!.trainSeconds, 10);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('train CPU seconds');

    // Two processes, other than this one, each reporting under its run's name; the data was
    // generated once, here, and both runs read the cache.
    const parallel = events.find((e) => e.event === 'parallel') as {
      runs: { name: string; pid: number }[];
    };
    const pids = parallel.runs.map((run) => run.pid);
    expect(parallel.runs.map((run) => run.name)).toEqual(['dense', 'Sparsify']);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(process.pid);
    expect(events.filter((e) => e.event === 'data-built').map((e) => e.run)).toEqual([undefined]);
    expect(
      events
        .filter((e) => e.event === 'data-cache')
        .map((e) => e.run)
        .sort(),
    ).toEqual(['Sparsify', 'dense']);
    const epochs = events.filter((e) => e.event === 'epoch');
    expect(epochs.map((e) => `${e.run} ${e.epoch}`).sort()).toEqual([
      'Sparsify 0',
      'Sparsify 1',
      'dense 0',
      'dense 1',
    ]);
    // Both processes have exited.
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();

    // Each run computed what it computes in lockstep: the same epochs, test answers and
    // best checkpoint, bit for bit.
    const untimed = (dir: string) =>
      new RunFolder(dir)
        .readMetrics()
        .map(({ seconds: _seconds, cpuSeconds: _cpuSeconds, ...rest }) => rest);
    for (const [i, preset] of ['dense', 'sparsify'].entries()) {
      expect(untimed(join(out, preset))).toEqual(untimed(join(lockstepOut, preset)));
      const lockstep = JSON.parse(readFileSync(join(lockstepOut, preset, 'results.json'), 'utf8'));
      expect(runs[i]!.results.evaluation).toEqual(lockstep.evaluation);
      expect(tensorDigests(new RunFolder(join(out, preset)).bestCheckpointPath)).toEqual(
        tensorDigests(new RunFolder(join(lockstepOut, preset)).bestCheckpointPath),
      );
    }
  }, 180_000);

  it('decays the learning rate for about the last quarter of any run length', () => {
    expect([1, 2, 4, 8, 10, 30].map(demoDecayEvery)).toEqual([1, 2, 3, 6, 8, 23]);
  });
});
