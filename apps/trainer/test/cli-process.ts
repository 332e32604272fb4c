import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors } from '@sparsify/amuse-encoder';

const TRAINER_DIR = fileURLToPath(new URL('..', import.meta.url));

export type CliEvent = Record<string, unknown> & { event: string };

export interface CliRun {
  child: ChildProcess;
  /** Resolves when the process exits: its code (128 + n for signal n) and output. */
  done: Promise<{ code: number; stdout: string; stderr: string; events: CliEvent[] }>;
}

/**
 * `sparsify ...args` as its own process (from TypeScript source, as tests run), with JSON
 * logs; `onEvent` sees each event as it is printed. A real process is the only way to
 * test what a signal does: in-process, nothing delivers SIGINT while the loop computes.
 */
export function spawnCli(
  args: string[],
  onEvent: (event: CliEvent, run: ChildProcess) => void = () => {},
  options: {
    /** In a process group of its own, as a terminal runs a command: `process.kill(-pid)` signals the group. */
    detached?: boolean;
  } = {},
): CliRun {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'src/cli.ts', ...args, '--log-format', 'json'],
    {
      cwd: TRAINER_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SPARSIFY_BACKEND: 'wasm' },
      detached: options.detached ?? false,
    },
  );
  let stdout = '';
  let stderr = '';
  let pending = '';
  const events: CliEvent[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.startsWith('{'))) {
      const event = JSON.parse(line) as CliEvent;
      events.push(event);
      onEvent(event, child);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const done = new Promise<{ code: number; stdout: string; stderr: string; events: CliEvent[] }>(
    (resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const signalCode = signal === 'SIGINT' ? 130 : signal === 'SIGKILL' ? 137 : 1;
        resolve({ code: code ?? signalCode, stdout, stderr, events });
      });
    },
  );
  return { child, done };
}

/** Each tensor's SHA-256 as the checkpoint recorded it: equal maps mean bit-identical tensors. */
export function tensorDigests(path: string): Record<string, string> {
  const bytes = readFileSync(path);
  const { metadata } = decodeSafetensors(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    path,
  );
  return JSON.parse(metadata.sha256 ?? '{}') as Record<string, string>;
}
