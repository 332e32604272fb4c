import { Command } from 'commander';
import {
  CHILD_RUN_COMMAND,
  type ChildRunRequest,
  type FromChild,
  type ToChild,
} from '../train/run-in-child.js';
import { trainRun } from '../train/train-run.js';
import { fmaModeFor } from '../wasm-fma.js';
import { createLogger, prepareBackend } from './runtime.js';

/**
 * The child's side of `demo --parallel`: wait for the parent's request, train that one run,
 * report how it ended. The parent alone decides when to stop: Ctrl-C at a terminal reaches
 * the whole process group, so the child ignores SIGINT and stops when the parent says so
 * (or when the parent is gone and the IPC channel closes), saving a resumable checkpoint.
 */
export async function serveChildRun(): Promise<void> {
  if (!process.send) {
    throw new Error(
      `${CHILD_RUN_COMMAND} trains one run for \`sparsify demo\` in a child process; run \`sparsify demo\` instead`,
    );
  }
  let stop = false;
  process.on('SIGINT', () => {});
  process.on('disconnect', () => {
    stop = true;
  });
  const request = await new Promise<ChildRunRequest>((resolve) => {
    process.on('message', (message: ToChild) => {
      if (message.type === 'run') resolve(message.request);
      else if (message.type === 'stop') stop = true;
    });
    process.send?.({ type: 'ready' } satisfies FromChild);
  });
  let reply: FromChild;
  try {
    const logger = createLogger({ quiet: request.quiet, logFormat: request.logFormat });
    await prepareBackend(
      request.backend,
      request.fastKernels,
      logger,
      request.native,
      fmaModeFor(request.simdBuild),
    );
    const outcome = await trainRun({
      config: request.config,
      runDir: request.runDir,
      // The demo owns its folder layout; running it again replaces its runs.
      overwrite: true,
      logger,
      name: request.name,
      shouldStop: () => stop,
    });
    reply = outcome.results ? { type: 'done', results: outcome.results } : { type: 'interrupted' };
  } catch (error) {
    reply = { type: 'failed', message: error instanceof Error ? error.message : String(error) };
    process.exitCode = 1;
  }
  if (reply.type === 'interrupted') process.exitCode = 130;
  // Once the reply is out the channel closes, and with it the last handle keeping us alive.
  await new Promise<void>((resolve) => {
    if (!process.connected) return resolve();
    process.send?.(reply, undefined, {}, () => resolve());
  });
  if (process.connected) process.disconnect();
}

/** `sparsify demo-run`: internal, started by `demo` (hidden from --help). */
export function createDemoRunCommand(): Command {
  return new Command(CHILD_RUN_COMMAND)
    .description('internal: one run of `sparsify demo` in a child process, driven over IPC')
    .action(async () => {
      await serveChildRun();
    });
}
