/**
 * What the training loop's yield to the event loop before each step (so Ctrl-C's handler
 * can run) costs: the demo's dense step on the synthetic benchmark, timed in alternating
 * blocks with and without `await new Promise(setImmediate)` before each step, on one model.
 * Prints the median step time of each and their ratio.
 *   node --conditions=source --import tsx bench/yield-cost.ts [rounds]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareBackend } from '../src/commands/runtime.js';
import { resolveTrainConfig } from '../src/config/train-config.js';
import { Logger } from '../src/log/logger.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import { FlatAdam } from '../src/train/flat-adam.js';
import { trainStep } from '../src/train/train-loop.js';

const rounds = Number(process.argv[2] ?? 10);
const STEPS_PER_BLOCK = 8;
const logger = new Logger({ quiet: true });
await prepareBackend('wasm', true, logger);
const config = resolveTrainConfig({
  preset: 'dense',
  videos: 24,
  cacheDir: mkdtempSync(join(tmpdir(), 'yield-cost-')),
});
const dataset = await loadDataset(config.data, logger);
const model = new SparsifiedAmuse(config, dataset.inputs);
const optimizer = new FlatAdam(config.lr);
const batch = await dataset.train.load([0, 1, 2, 3, 4, 5, 6, 7]);
const weights = new Float32Array(8).fill(1);
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function block(withYield: boolean): Promise<number[]> {
  const times: number[] = [];
  for (let s = 0; s < STEPS_PER_BLOCK; s++) {
    const began = performance.now();
    if (withYield) await yieldToEventLoop();
    trainStep(model, optimizer, batch, weights, { training: true, epoch: 5, step: s });
    times.push(performance.now() - began);
  }
  return times;
}

await block(false); // warm-up: kernels compiled, buffers allocated
const plain: number[] = [];
const yielded: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so a drift of the machine's speed hits both alike.
  if (r % 2 === 0) {
    plain.push(...(await block(false)));
    yielded.push(...(await block(true)));
  } else {
    yielded.push(...(await block(true)));
    plain.push(...(await block(false)));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
let empty = performance.now();
for (let i = 0; i < 10_000; i++) await yieldToEventLoop();
empty = (performance.now() - empty) / 10_000;
console.log(`steps per variant: ${plain.length}`);
console.log(`median step without yield: ${median(plain).toFixed(2)} ms`);
console.log(`median step with yield:    ${median(yielded).toFixed(2)} ms`);
console.log(`ratio with / without:      ${(median(yielded) / median(plain)).toFixed(4)}`);
console.log(`one yield alone:           ${(empty * 1000).toFixed(1)} us`);
optimizer.dispose();
model.dispose();
