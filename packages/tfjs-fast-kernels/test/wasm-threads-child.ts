// One process's side of test/wasm-threads.test.ts: runs a matmul and a transformer block's
// training step (fast kernels on, fused ops) on the wasm backend with `threads` XNNPACK
// threads (1 = the stock module) and prints the results' bytes, so the test can compare the
// threaded module with the single-threaded one bit for bit. It ends without process.exit:
// the test also checks that the threaded module lets Node exit.
//   node --conditions=source --import tsx test/wasm-threads-child.ts <threads>
import { enableFastKernels } from '../src/enable.js';
import { simdKernelsFor } from '../src/simd-kernels.js';
import { asWasmHeapBackend } from '../src/wasm-heap.js';
import { useWasmThreads, wasmThreadsStatus } from '../src/wasm-threads.js';
import { seededValues, tf } from './backends.js';
import { blockGradients, makeBlockWeights } from './transformer-block.js';

const threads = Number(process.argv[2]);
process.env.SPARSIFY_NATIVE_DIR = '/nonexistent-sparsify-native';
useWasmThreads(threads);
await tf.setBackend('wasm');
const report = await enableFastKernels({ native: 'off' });
const backend = asWasmHeapBackend(tf.engine().backend);
if (typeof backend === 'string') throw new Error(backend);

const a = tf.tensor2d(seededValues(300 * 256, 1), [300, 256]);
const b = tf.tensor2d(seededValues(256 * 520, 2), [256, 520]);
const product = tf.matMul(a, b);
const shape = { batch: 4, tokens: 64, width: 128, heads: 4 };
const weights = makeBlockWeights(tf, shape, 7);
const x = tf.tensor3d(seededValues(shape.batch * shape.tokens * shape.width, 3), [
  shape.batch,
  shape.tokens,
  shape.width,
]);
const { value, grads } = blockGradients(tf, shape, weights, x, true);
const bytes = (t: tf.Tensor) => Buffer.from(t.dataSync<'float32'>().buffer).toString('base64');
const result = {
  status: wasmThreadsStatus(),
  sharedHeap: backend.wasm.HEAPU8.buffer instanceof SharedArrayBuffer,
  simdKernels: simdKernelsFor(backend) != null,
  matmulEngine: report.matmulEngine,
  fusedEngine: report.fusedEngine,
  matmul: bytes(product),
  loss: bytes(value),
  grads: Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, bytes(g)])),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
