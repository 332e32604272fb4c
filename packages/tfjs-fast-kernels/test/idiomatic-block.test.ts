import { beforeAll, describe, expect, it } from 'vitest';
import { idiomaticBlockGradients } from '../bench/idiomatic-block.js';
import { enableFastKernels } from '../src/index.js';
import { maxAbsDiff, seededValues, tf } from './backends.js';
import { engines } from './engines.js';
import { type BlockShape, blockGradients, makeBlockWeights } from './transformer-block.js';

// Head width 3 and 7 tokens, as in transformer-block.test.ts: no SIMD-friendly shape.
const shape: BlockShape = { batch: 2, tokens: 7, width: 12, heads: 4 };
const inputValues = seededValues(shape.batch * shape.tokens * shape.width, 99);

/** Loss and every weight gradient of one training step, as plain arrays. */
async function stepOn(
  backend: 'cpu' | 'wasm',
  idiomatic: boolean,
): Promise<Record<string, Float32Array>> {
  await tf.setBackend(backend);
  const weights = makeBlockWeights(tf, shape, 5);
  const x = tf.tensor3d(inputValues, [shape.batch, shape.tokens, shape.width]);
  const { value, grads } = idiomatic
    ? idiomaticBlockGradients(tf, shape, weights, x)
    : blockGradients(tf, shape, weights, x);
  const result: Record<string, Float32Array> = { loss: Float32Array.from(value.dataSync()) };
  for (const [name, grad] of Object.entries(grads)) {
    result[name.replace(/^block_(\w+?)_\d+$/, '$1')] = Float32Array.from(grad.dataSync());
  }
  tf.dispose([value, x, ...Object.values(grads), ...Object.values(weights)]);
  return result;
}

for (const engine of engines) {
  describe.skipIf(!engine.available)(
    `the block bench's idiomatic block (fused linear and attention), ${engine.name}${engine.reason}`,
    () => {
      beforeAll(async () => {
        await enableFastKernels({ native: engine.native });
      });

      it('gives the loss and every weight gradient of the stock-op block on cpu', async () => {
        const expected = await stepOn('cpu', false);
        const actual = await stepOn('wasm', true);
        expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
        expect(Object.keys(actual)).toHaveLength(13);
        for (const [name, values] of Object.entries(expected)) {
          const scale = Math.max(1e-3, ...values.map(Math.abs));
          expect(maxAbsDiff(values, actual[name] as Float32Array) / scale, name).toBeLessThan(2e-4);
        }
      });

      it('gives the same bits on every step and leaves tf.memory() unchanged', async () => {
        await tf.setBackend('wasm');
        const weights = makeBlockWeights(tf, shape, 6);
        const x = tf.tensor3d(inputValues, [shape.batch, shape.tokens, shape.width]);
        const step = () => {
          const { value, grads } = idiomaticBlockGradients(tf, shape, weights, x);
          const bits = [value, ...Object.values(grads)].map((t) => Array.from(t.dataSync()));
          tf.dispose([value, ...Object.values(grads)]);
          return bits;
        };
        const first = step();
        const before = tf.memory();
        const dataIds = tf.engine().backend.numDataIds();
        for (let i = 0; i < 3; i++) expect(step()).toEqual(first);
        expect(tf.memory().numTensors).toBe(before.numTensors);
        expect(tf.memory().numBytes).toBe(before.numBytes);
        expect(tf.engine().backend.numDataIds()).toBe(dataIds);
        tf.dispose([x, ...Object.values(weights)]);
      });
    },
  );
}
