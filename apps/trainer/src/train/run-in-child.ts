import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NativeMode, SimdBuild } from '@sparsify/tfjs-fast-kernels';
import type { TrainConfig } from '../config/train-config.js';
import type { LogFormat, Logger } from '../log/logger.js';
import type { RunResults } from '../report/run-results.js';

/** What a child process trains: one run of the demo, as `trainRun` would in the parent. */
export interface ChildRunRequest {
  config: TrainConfig;
  runDir: string;
  name: string;
  /** The parent's backend (`wasm`, `cpu`), so both processes compute alike. */
  backend: string;
  fastKernels: boolean;
  /** The parent's use of the native addon: `off` when it runs without it. */
  native: NativeMode;
  /**
   * The parent's SIMD build of the fast kernels: each child runs it (or fails), so the runs of
   * one demo never compute on different builds.
   */
  simdBuild: SimdBuild;
  logFormat: LogFormat;
  quiet: boolean;
}

/** Parent -> child over the IPC channel. */
export type ToChild = { type: 'run'; request: ChildRunRequest } | { type: 'stop' };

/**
 * Child -> parent: `ready` once it listens (a message sent before would be lost), then how
 * the run ended (once, before the child exits).
 */
export type FromChild =
  | { type: 'ready' }
  | { type: 'done'; results: RunResults }
  | { type: 'interrupted' }
  | { type: 'failed'; message: string };

/** The hidden subcommand a child runs (src/commands/demo-run.ts). */
export const CHILD_RUN_COMMAND = 'demo-run';

/**
 * How to start this CLI in a child: the built dist/cli.js, or from the TypeScript sources
 * (tests, tsx) src/cli.ts under tsx's loader with the "source" condition, as the parent runs.
 */
export function cliEntry(): { script: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return {
      script: join(dirname(here), '..', 'cli.ts'),
      execArgv: ['--conditions=source', '--import', tsx],
    };
  }
  // tsup puts cli.js and every chunk of the bundle side by side in dist/.
  return { script: join(dirname(here), 'cli.js'), execArgv: [] };
}

/**
 * The environment of a run in a child: one thread each. wasm's threaded module
 * (SPARSIFY_WASM_THREADS), the native addon and OpenBLAS would otherwise start a thread per
 * core in each of the two processes and oversubscribe the cores they share (and the CPU-time
 * ratio would compare runs that waited on each other's threads).
 */
export function childRunEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    SPARSIFY_NATIVE_THREADS: '1',
    OPENBLAS_NUM_THREADS: '1',
    SPARSIFY_WASM_THREADS: '1',
  };
}

/**
 * One run trained in a child process (`sparsify demo-run`), its output relayed line by line
 * through `logger` under the run's name. `done` resolves to the run's results, or null when it
 * stopped on request (a checkpoint saved, resumable); it rejects with the child's own error
 * message when the run failed, or says how the process ended when it died without one.
 */
export class ChildRun {
  readonly done: Promise<RunResults | null>;
  private readonly child: ChildProcess;
  /** A stop asked for before the child listened is sent once it does. */
  private stopRequested = false;

  constructor(
    readonly request: ChildRunRequest,
    logger: Logger,
    options: { env?: NodeJS.ProcessEnv } = {},
  ) {
    const entry = cliEntry();
    this.child = fork(entry.script, [CHILD_RUN_COMMAND], {
      execArgv: entry.execArgv,
      env: childRunEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const name = request.name;
    const relayed: Promise<void>[] = [];
    for (const stream of ['out', 'err'] as const) {
      const source = stream === 'out' ? this.child.stdout : this.child.stderr;
      if (!source) continue;
      const lines = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => logger.relay(name, line, stream));
      relayed.push(new Promise((resolve) => lines.once('close', resolve)));
    }
    let reply: FromChild | null = null;
    this.child.on('message', (message: FromChild) => {
      if (message.type === 'ready') {
        this.send({ type: 'run', request });
        if (this.stopRequested) this.send({ type: 'stop' });
      } else reply = message;
    });
    this.done = new Promise<RunResults | null>((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code, signal) => {
        // Every line the child printed is relayed before the outcome is known.
        void Promise.all(relayed).then(() => {
          const ended = reply as FromChild | null;
          if (ended?.type === 'done') resolve(ended.results);
          else if (ended?.type === 'interrupted') resolve(null);
          else if (ended?.type === 'failed') reject(new Error(ended.message));
          // Ctrl-C at a terminal that reached the child before it set its own handler (while
          // it was starting): stopped before its first checkpoint, as the user asked.
          else if (signal === 'SIGINT') resolve(null);
          else
            reject(
              new Error(
                `the ${name} run's process (pid ${this.child.pid}) ended with ${signal ? `signal ${signal}` : `exit code ${code}`} before it reported a result (its output is above)`,
              ),
            );
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the run to save a checkpoint after its current step and stop (as Ctrl-C does). */
  stop(): void {
    this.stopRequested = true;
    this.send({ type: 'stop' });
  }

  /** Ends the process at once (the parent is quitting); nothing is saved. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private send(message: ToChild): void {
    if (this.child.connected) this.child.send(message, () => {});
  }
}
