import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enableFastKernels, type SimdBuild } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DemoOptions, demoRunsInParallel, runDemo } from '../src/commands/demo.js';
import { Logger } from '../src/log/logger.js';
import { RunFolder } from '../src/run/run-folder.js';
import { childRunEnv } from '../src/train/run-in-child.js';
import { allowRelaxedSimd } from '../src/wasm-fma.js';
import { type CliEvent, spawnCli } from './cli-process.js';
import { tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

const root = tempDir('demo-parallel');
const cacheDir = join(root, 'cache');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The children's pids, from the `parallel` event the demo logs when it starts them. */
function childPids(events: readonly Record<string, unknown>[]): number[] {
  const started = events.find((e) => e.event === 'parallel') as
    | { runs: { pid: number }[] }
    | undefined;
  return started?.runs.map((run) => run.pid) ?? [];
}

/** Waits up to `ms` for every pid to be gone. */
async function gone(pids: readonly number[], ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!pids.some(alive)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !pids.some(alive);
}

describe('when the demo trains its runs in two processes', () => {
  it('auto means two cores and a single-threaded backend; on and off are obeyed', () => {
    expect(demoRunsInParallel('auto', 'wasm', 2)).toBe(true);
    expect(demoRunsInParallel('auto', 'cpu', 4)).toBe(true);
    expect(demoRunsInParallel('auto', 'wasm', 1)).toBe(false);
    // tfjs-node already computes on every core.
    expect(demoRunsInParallel('auto', 'tensorflow', 8)).toBe(false);
    expect(demoRunsInParallel('on', 'wasm', 1)).toBe(true);
    expect(demoRunsInParallel('off', 'wasm', 8)).toBe(false);
  });

  it('each child computes on one thread, whatever the parent set', () => {
    const env = childRunEnv({
      PATH: '/bin',
      SPARSIFY_NATIVE_THREADS: '4',
      OPENBLAS_NUM_THREADS: '2',
      SPARSIFY_WASM_THREADS: '2',
    });
    expect(env).toEqual({
      PATH: '/bin',
      SPARSIFY_NATIVE_THREADS: '1',
      OPENBLAS_NUM_THREADS: '1',
      SPARSIFY_WASM_THREADS: '1',
    });
  });

  it("relays a child's lines under its run's name: JSON events gain `run`, text lines a prefix", () => {
    const json: string[] = [];
    new Logger({ format: 'json', out: (line) => json.push(line) }).relay(
      'dense',
      '{"event":"epoch","epoch":0}',
      'out',
    );
    expect(JSON.parse(json[0] as string)).toEqual({ event: 'epoch', epoch: 0, run: 'dense' });
    const text: string[] = [];
    const logger = new Logger({
      out: (line) => text.push(`out ${line}`),
      err: { isTTY: false, write: (line) => text.push(`err ${line}`) },
    });
    logger.relay('Sparsify', 'epoch 1/8: loss 3.5', 'err');
    logger.relay('Sparsify', 'Sparsify: training on 48 questions', 'err');
    logger.relay('Sparsify', 'plain output', 'out');
    expect(text).toEqual([
      'err Sparsify: epoch 1/8: loss 3.5\n',
      'err Sparsify: training on 48 questions\n',
      'out Sparsify: plain output\n',
    ]);
  });

  it('a run that fails fails the demo with its own error, as in lockstep, and stops the other run', async () => {
    const failing = (mode: 'on' | 'off'): DemoOptions => {
      const out = join(root, `failing-${mode}`);
      mkdirSync(out, { recursive: true });
      // Sparsify's run folder cannot be created: a file stands where it goes.
      writeFileSync(join(out, 'sparsify'), 'not a folder');
      return { out, videos: 8, epochs: 2, seed: 3, cacheDir, fastKernels: true, parallel: mode };
    };
    const lockstep = await runDemo(failing('off'), new Logger({ quiet: true })).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(lockstep).toContain('sparsify');

    const events: Record<string, unknown>[] = [];
    const options = failing('on');
    const parallel = await runDemo(
      options,
      new Logger({ format: 'json', out: (line) => events.push(JSON.parse(line)) }),
    ).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(parallel).toBe(lockstep?.replace('failing-off', 'failing-on'));
    expect(events).toContainEqual(
      expect.objectContaining({
        event: 'warning',
        message: 'the Sparsify run failed; stopping the other run',
      }),
    );
    // Dense stopped as after Ctrl-C: a resumable checkpoint, no results, no lock.
    expect(events).toContainEqual(expect.objectContaining({ event: 'interrupted', run: 'dense' }));
    const dense = new RunFolder(join(options.out, 'dense'));
    expect(existsSync(dense.lastCheckpointPath)).toBe(true);
    expect(existsSync(dense.resultsJsonPath)).toBe(false);
    expect(existsSync(join(dense.dir, 'run.lock'))).toBe(false);
    const pids = childPids(events);
    expect(pids).toHaveLength(2);
    expect(await gone(pids, 0)).toBe(true);
  }, 120_000);
});

describe("the demo's two processes run the parent's SIMD build", () => {
  /** The children's backend events of a demo whose parent runs `build`, whatever SPARSIFY_WASM_FMA says. */
  async function childBuilds(build: SimdBuild): Promise<Record<string, unknown>[]> {
    const out = join(root, `build-${build}`);
    mkdirSync(out, { recursive: true });
    // Sparsify's run cannot start (a file stands where its folder goes), so the demo stops
    // soon after both children have set up their backends.
    writeFileSync(join(out, 'sparsify'), 'not a folder');
    const previous = process.env.SPARSIFY_WASM_FMA;
    process.env.SPARSIFY_WASM_FMA = build === 'fma' ? '0' : '1';
    if (build === 'fma') allowRelaxedSimd();
    await enableFastKernels({ native: 'off', fma: build === 'fma' ? 'require' : 'off' });
    const events: Record<string, unknown>[] = [];
    try {
      await runDemo(
        { out, videos: 8, epochs: 2, seed: 3, cacheDir, fastKernels: true, parallel: 'on' },
        new Logger({ format: 'json', out: (line) => events.push(JSON.parse(line)) }),
      ).catch(() => {});
    } finally {
      if (previous === undefined) delete process.env.SPARSIFY_WASM_FMA;
      else process.env.SPARSIFY_WASM_FMA = previous;
      await enableFastKernels({ native: 'off' });
    }
    return events.filter((e) => e.event === 'backend');
  }

  it.each(['fma', 'stock'] as const)(
    'both children run %s',
    async (build) => {
      const backends = await childBuilds(build);
      expect(backends.map((e) => e.run).sort()).toEqual(['Sparsify', 'dense']);
      for (const event of backends) expect(event).toMatchObject({ simdBuild: build });
    },
    120_000,
  );
});

describe('sparsify demo --parallel on as a process, under Ctrl-C', () => {
  const DEMO = ['demo', '--parallel', 'on', '--videos', '8', '--epochs', '3', '--seed', '3'];

  it('Ctrl-C (SIGINT to the process group) stops both runs with resumable checkpoints and exits 130', async () => {
    const out = join(root, 'cut');
    let sent = false;
    let epochSeen = false;
    // Both children inside trainRun: under load one child can still be loading its modules
    // when the other finishes an epoch, and a Ctrl-C then stops it before it reports anything.
    const started = new Set<unknown>();
    const run = await spawnCli(
      [...DEMO, '--cache-dir', cacheDir, '--out', out],
      (event, child) => {
        if (event.event === 'train-start') started.add(event.run);
        if (event.event === 'epoch') epochSeen = true;
        if (epochSeen && started.size === 2 && !sent) {
          sent = true;
          // What a terminal's Ctrl-C does: the signal reaches the demo and both children.
          process.kill(-(child.pid as number), 'SIGINT');
        }
      },
      { detached: true },
    ).done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toContain('interrupted: saving a checkpoint after this step');
    expect(run.stdout).not.toContain('interrupted again');
    const stops = run.events.filter((e: CliEvent) => e.event === 'interrupted');
    expect(stops.map((e) => e.run).sort()).toEqual(['Sparsify', 'dense']);
    for (const preset of ['dense', 'sparsify']) {
      const folder = new RunFolder(join(out, preset));
      expect(existsSync(folder.lastCheckpointPath)).toBe(true);
      expect(existsSync(folder.resultsJsonPath)).toBe(false);
      expect(existsSync(join(folder.dir, 'run.lock'))).toBe(false);
    }
    expect(existsSync(join(out, 'results.json'))).toBe(false);
    expect(await gone(childPids(run.events), 0)).toBe(true);

    const resumed = await spawnCli(['train', '--resume', join(out, 'sparsify')]).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.events.find((e) => e.event === 'resume')).toMatchObject({
      epoch: stops.find((e) => e.run === 'Sparsify')?.epoch,
    });
  }, 240_000);

  it('a second Ctrl-C quits at once and takes both children with it', async () => {
    const out = join(root, 'quit');
    let pids: number[] = [];
    let sent = false;
    const run = await spawnCli(
      [...DEMO, '--cache-dir', cacheDir, '--out', out],
      (event, child) => {
        if (event.event === 'parallel') pids = childPids([event]);
        if (event.event === 'train-start' && !sent) {
          sent = true;
          process.kill(-(child.pid as number), 'SIGINT');
          setTimeout(() => process.kill(-(child.pid as number), 'SIGINT'), 20);
        }
      },
      { detached: true },
    ).done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toContain('interrupted again: quitting now');
    expect(pids).toHaveLength(2);
    expect(await gone(pids)).toBe(true);
  }, 120_000);
});
