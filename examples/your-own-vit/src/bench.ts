/**
 * Training time of the example with Sparsify against the same loop dense, as a ratio:
 * the two alternate in one process (dense, sparse, dense, sparse, ...) so that machine
 * load affects both alike. Usage: node --conditions=source --import tsx src/bench.ts [rounds]
 */
import * as tf from '@tensorflow/tfjs';
import { trainWithSparsify } from './train.js';

const rounds = Number(process.argv[2] ?? 5);
const ratios: number[] = [];
// one unmeasured run of each warms up kernels and the JIT
for (const dense of [true, false]) tf.dispose(trainWithSparsify({ dense }).vit.variables);
for (let round = 0; round < rounds; round++) {
  const dense = trainWithSparsify({ dense: true });
  const sparse = trainWithSparsify({ dense: false });
  ratios.push(sparse.trainingMs / dense.trainingMs);
  console.log(
    `round ${round}: dense ${dense.trainingMs.toFixed(0)} ms, sparse ${sparse.trainingMs.toFixed(0)} ms, ratio ${ratios.at(-1)!.toFixed(2)}`,
  );
  tf.dispose([...dense.vit.variables, ...sparse.vit.variables]);
}
const sorted = [...ratios].sort((a, b) => a - b);
console.log(
  `backend ${tf.getBackend()}: sparse / dense training time, median ${sorted[Math.floor(rounds / 2)]!.toFixed(2)} (min ${sorted[0]!.toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)}) over ${rounds} rounds`,
);
