/**
 * Which functions V8 deoptimises and re-optimises during training steps, after a warm-up
 * (issue 23): run under V8's tracing flags, this prints a marker line between the warm-up and
 * the traced steps, and the trace lines after the marker are tallied by function and reason.
 *   node --trace-deopt --trace-opt --conditions=source --import tsx bench/deopt-trace.ts [case] [warmup] [steps] > trace.txt
 *   node --conditions=source --import tsx bench/deopt-trace.ts --tally trace.txt [steps]
 * case: dense | masked | merge (default dense). SPARSIFY_WASM_FMA=1 picks the FMA build.
 */
import { readFileSync } from 'node:fs';
import { prepareBackend } from '../src/commands/runtime.js';
import { Logger } from '../src/log/logger.js';
import { demoBatches, demoTrainer } from './demo-batches.js';

const MARKER = '=== deopt-trace: timed steps start ===';
const CASES = {
  dense: { preset: 'dense', epoch: 0 },
  masked: { preset: 'sparsify', epoch: 0 },
  merge: { preset: 'sparsify', epoch: 3 },
} as const;

/** Counts of deopts (by function and reason) and of optimisations (by function) after the marker. */
function tally(path: string, steps: number): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  const start = lines.indexOf(MARKER);
  if (start < 0) throw new Error(`deopt-trace: no marker line in ${path}`);
  const deopts = new Map<string, number>();
  const opts = new Map<string, number>();
  const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const line of lines.slice(start + 1)) {
    // [bailout (kind: deopt-eager, reason: wrong map): begin. deoptimizing 0x..<JSFunction name (sfi = ..)>, ...]
    const bailout =
      /\[bailout \(kind: ([^,)]+)(?:, reason: ([^)]+))?\): begin\. deoptimizing 0x[0-9a-f]+ <JSFunction ([^(>]*?) ?\(sfi/.exec(
        line,
      );
    if (bailout) {
      add(deopts, `${bailout[3] || '(anonymous)'}: ${bailout[2] ?? bailout[1]}`);
      continue;
    }
    // [compiling method 0x.. <JSFunction name (sfi = ..)> (target TURBOFAN), mode: ...]
    const compiling =
      /\[compiling method 0x[0-9a-f]+ <JSFunction ([^(>]*?) ?\(sfi.*\(target ([A-Z]+)\)/.exec(line);
    if (compiling) add(opts, `${compiling[1] || '(anonymous)'} ${compiling[2]}`);
  }
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n| ${title} | a step |`);
    console.log('|---|---:|');
    for (const [key, n] of [...map].sort((a, b) => b[1] - a[1]).slice(0, 40))
      console.log(`| ${key} | ${(n / steps).toFixed(2)} |`);
  };
  print('deopts after the warm-up, by function: reason', deopts);
  print('compilations after the warm-up, by function (tier)', opts);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--tally') {
    tally(process.argv[3]!, Number(process.argv[4] ?? 20));
    return;
  }
  const name = (process.argv[2] ?? 'dense') as keyof typeof CASES;
  const warmup = Number(process.argv[3] ?? 40);
  const steps = Number(process.argv[4] ?? 20);
  const c = CASES[name];
  if (!c) throw new Error(`deopt-trace: unknown case "${name}" (dense | masked | merge)`);
  const logger = new Logger({ quiet: true, format: 'text' });
  await prepareBackend('auto', true, logger);
  const data = await demoBatches(logger, 16, 8);
  const setup = demoTrainer(c.preset, c.epoch, data);
  for (let i = 0; i < warmup; i++) setup.step();
  console.log(MARKER);
  for (let i = 0; i < steps; i++) setup.step();
  setup.dispose();
}

await main();
