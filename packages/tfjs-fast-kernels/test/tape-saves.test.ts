import { afterAll, describe, expect, it } from 'vitest';
import { disableFastKernels, enableFastKernels } from '../src/enable.js';
import { restoreTapeSaves, shareTapeSaves, tapeSavesShared } from '../src/tape-saves.js';
import { seededValues, tf } from './backends.js';

function bits(values: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values).buffer));
}

/** A small network: kernels that save inputs and outputs, and a customGrad that saves. */
function loss(x: tf.Tensor2D, w: tf.Tensor2D): tf.Scalar {
  const squash = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [v, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.tanh(v);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, tf.sub(1, tf.square(saved[0] as tf.Tensor))),
    };
  });
  const h = squash(tf.matMul(x, w)) as tf.Tensor2D;
  return tf.mean(tf.mul(tf.softmax(h), tf.exp(h)));
}

/** Gradients of `loss` in float32 bits, the Identity kernels the computation ran, and tensors left. */
async function run(backend: 'cpu' | 'wasm') {
  await tf.setBackend(backend);
  const x = tf.tensor2d(seededValues(6 * 5, 1), [6, 5]);
  const w = tf.tensor2d(seededValues(5 * 4, 2), [5, 4]);
  const before = tf.memory().numTensors;
  let grads: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(a as tf.Tensor2D, b as tf.Tensor2D))([
      x,
      w,
    ]);
  });
  const values = grads.map((g) => bits(g.dataSync()));
  tf.dispose(grads);
  const left = tf.memory().numTensors - before;
  tf.dispose([x, w]);
  return {
    values,
    identities: profile.kernels.filter((k) => k.name === 'Identity').length,
    left,
  };
}

describe.each(['cpu', 'wasm'] as const)('tensors saved for gradients on %s', (backend) => {
  afterAll(async () => {
    await enableFastKernels({ native: 'off' });
  });

  it('are shared references: the same gradients bit for bit, no Identity kernels, nothing left', async () => {
    await enableFastKernels({ native: 'off', shareTapeSaves: false });
    expect(tapeSavesShared()).toBe(false);
    const stock = await run(backend);
    await enableFastKernels({ native: 'off' });
    expect(tapeSavesShared()).toBe(true);
    const shared = await run(backend);
    expect(shared.values).toEqual(stock.values);
    expect(stock.identities).toBeGreaterThan(0);
    expect(shared.identities).toBe(0);
    expect(shared.left).toBe(0);
    expect(stock.left).toBe(0);
  });

  it('keep the stock clone for higher-order gradients', async () => {
    await tf.setBackend(backend);
    // Multiply's gradient reads its saved inputs: the second derivative of x^3 (6x) needs
    // the gradient through those saved tensors, so a save without its tape link would lose it.
    const cube = (x: tf.Tensor) => tf.mul(tf.mul(x, x), x);
    const second = (shared: boolean) => {
      if (shared) shareTapeSaves();
      else restoreTapeSaves();
      const x = tf.tensor1d([-1.5, -0.25, 0.5, 2]);
      const g = tf.grad(tf.grad(cube))(x);
      const values = Array.from(g.dataSync());
      tf.dispose([x, g]);
      return values;
    };
    const stock = second(false);
    const shared = second(true);
    expect(bits(shared)).toEqual(bits(stock));
    expect(shared).toEqual([-9, -1.5, 3, 12]);
  });
});

describe('registration', () => {
  it('disableFastKernels puts the engine clone back', async () => {
    await enableFastKernels({ native: 'off' });
    expect(tapeSavesShared()).toBe(true);
    disableFastKernels();
    expect(tapeSavesShared()).toBe(false);
    const report = await enableFastKernels({ native: 'off' });
    expect(report.tapeSavesShared).toBe(true);
  });

  it('rejects a non-boolean option', async () => {
    await expect(enableFastKernels({ shareTapeSaves: 'yes' as never })).rejects.toThrow(
      /shareTapeSaves must be a boolean/,
    );
  });
});
