import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { disableFastKernels } from '../src/enable.js';
import { enableFastKernels } from '../src/index.js';
import { seededValues, tf } from './backends.js';

/** Float32 bit patterns: -0, NaN and last-bit differences all count. */
function bits(values: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values).buffer));
}

/** Gradients of sum(f(inputs) * up) on a backend, with the stock or this package's gradients. */
async function gradients(
  backend: 'cpu' | 'wasm',
  fast: boolean,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  shapes: number[][],
  seed: number,
): Promise<number[][]> {
  if (fast) await enableFastKernels({ native: 'off' });
  else disableFastKernels();
  await tf.setBackend(backend);
  const inputs = shapes.map((shape, i) =>
    tf.tensor(seededValues(tf.util.sizeFromShape(shape), seed + i), shape),
  );
  const out = f(...inputs);
  const up = tf.tensor(seededValues(out.size, seed + 99), out.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), up)))(inputs);
  const values = grads.map((g) => bits(g.dataSync()));
  tf.dispose([...inputs, out, up, ...grads]);
  return values;
}

/** A shape and another that broadcasts against it (some axes 1, maybe fewer axes). */
const broadcastPair = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 })
  .chain((shape) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
        fc.integer({ min: 0, max: shape.length }),
      )
      .map(([ones, drop]) => [shape, shape.map((d, i) => (ones[i] ? 1 : d)).slice(drop)]),
  );

describe.each(['cpu', 'wasm'] as const)(
  'leaner gradients on %s: the stock values, bit for bit',
  (backend) => {
    afterAll(() => enableFastKernels({ native: 'off' }));

    it('Multiply, with broadcasting either way', async () => {
      await fc.assert(
        fc.asyncProperty(
          broadcastPair,
          fc.boolean(),
          fc.integer({ min: 0, max: 1e6 }),
          async ([a, b], swap, seed) => {
            const shapes = swap ? [b!, a!] : [a!, b!];
            const f = (x: tf.Tensor, y: tf.Tensor) => tf.mul(x, y);
            const stock = await gradients(backend, false, f as never, shapes, seed);
            const fast = await gradients(backend, true, f as never, shapes, seed);
            expect(fast).toEqual(stock);
          },
        ),
        { numRuns: 30 },
      );
    });

    it('Multiply by an int32 tensor still casts it', async () => {
      const f = (x: tf.Tensor) => tf.mul(x, tf.tensor1d([2, -3, 4], 'int32'));
      expect(await gradients(backend, true, f as never, [[2, 3]], 5)).toEqual(
        await gradients(backend, false, f as never, [[2, 3]], 5),
      );
    });
  },
);

describe('registration', () => {
  it('reports the gradients it replaced and restores the stock ones on disable', async () => {
    disableFastKernels();
    const stock = tf.getGradient('Multiply');
    const report = await enableFastKernels({ native: 'off' });
    expect(report.gradients).toEqual(['Multiply']);
    expect(tf.getGradient('Multiply')).not.toBe(stock);
    disableFastKernels();
    expect(tf.getGradient('Multiply')).toBe(stock);
    await enableFastKernels({ native: 'off' });
  });

  it('a float32 cast on wasm shares the data; other casts convert', async () => {
    await enableFastKernels({ native: 'off' });
    await tf.setBackend('wasm');
    const x = tf.tensor1d([1.5, -2.25, 3]);
    const before = tf.memory().numDataBuffers;
    const same = tf.cast(x, 'float32');
    expect(tf.memory().numDataBuffers).toBe(before);
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.25, 3]);
    expect(Array.from(tf.cast(x, 'int32').dataSync())).toEqual([1, -2, 3]);
    x.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.25, 3]);
    same.dispose();
  });
});
