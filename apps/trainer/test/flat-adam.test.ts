import { enableFastKernels, FusedKernelName } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../src/rng.js';
import { FlatAdam } from '../src/train/flat-adam.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

let created: tf.Variable[] = [];
afterEach(() => {
  tf.dispose(created);
  created = [];
});

function randomValues(size: number, rng: Rng, scale: number): Float32Array {
  return Float32Array.from({ length: size }, () => (rng.next() * 2 - 1) * scale);
}

/** Two identical sets of parameters, one per optimizer under test. */
function twinParameters(
  shapes: number[][],
  seed: number,
  tag = String(seed),
): [tf.Variable[], tf.Variable[]] {
  const rng = new Rng(seed);
  const values = shapes.map((shape) =>
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      rng,
      1,
    ),
  );
  const make = (prefix: string) =>
    shapes.map((shape, i) => {
      const variable = tf.variable(
        tf.tensor(values[i] as Float32Array, shape),
        true,
        `${prefix}${tag}/p${i}`,
      );
      created.push(variable);
      return variable;
    });
  return [make('stock'), make('flat')];
}

/** The same random gradients for both sets; some steps get gradients of all zeros. */
function gradientsFor(variables: tf.Variable[], rng: Rng, scale: number): tf.NamedTensorMap {
  const grads: tf.NamedTensorMap = {};
  for (const variable of variables)
    grads[variable.name] = tf.tensor(randomValues(variable.size, rng, scale), variable.shape);
  return grads;
}

function bits(tensor: tf.Tensor): number[] {
  return Array.from(new Uint32Array(Float32Array.from(tensor.dataSync()).buffer));
}

function expectSameBits(a: tf.Tensor[], b: tf.Tensor[]): void {
  expect(a.map((t) => t.shape)).toEqual(b.map((t) => t.shape));
  for (const [i, tensor] of a.entries()) expect(bits(tensor)).toEqual(bits(b[i] as tf.Tensor));
}

/** Steps both optimizers with the same gradients (renamed for each set). */
function stepBoth(
  stock: tf.Optimizer,
  flat: FlatAdam,
  [stockVars, flatVars]: [tf.Variable[], tf.Variable[]],
  rng: Rng,
  scale: number,
): void {
  const grads = gradientsFor(stockVars, rng, scale);
  const renamed: tf.NamedTensorMap = {};
  stockVars.forEach((variable, i) => {
    renamed[(flatVars[i] as tf.Variable).name] = grads[variable.name] as tf.Tensor;
  });
  stock.applyGradients(grads);
  flat.applyGradients(renamed);
  tf.dispose(Object.values(grads));
}

describe('FlatAdam', () => {
  it('updates parameters and moments bit for bit like tf.train.adam, through a learning-rate decay', async () => {
    const twins = twinParameters([[16, 24], [24], [1], [2, 3, 5]], 1);
    const stock = tf.train.adam(1e-3);
    const flat = new FlatAdam(1e-3);
    const rng = new Rng(2);
    for (let step = 0; step < 6; step++) {
      if (step === 4) {
        (stock as unknown as { learningRate: number }).learningRate = 1e-4;
        flat.learningRate = 1e-4;
      }
      stepBoth(stock, flat, twins, rng, step === 2 ? 0 : 10 ** (step - 3));
    }
    expectSameBits(twins[0], twins[1]);
    expect(flat.iterations).toBe(stock.iterations);
    const stockWeights = await stock.getWeights();
    const flatWeights = await flat.getWeights();
    expect(flatWeights.map((w) => w.name.replace(/^flat/, 'stock'))).toEqual(
      stockWeights.map((w) => w.name),
    );
    expectSameBits(
      stockWeights.map((w) => w.tensor),
      flatWeights.map((w) => w.tensor),
    );
    expectSameBits([(stock as unknown as { accBeta1: tf.Tensor }).accBeta1], [flat.accBeta1]);
    tf.dispose([stockWeights[0]?.tensor as tf.Tensor, flatWeights[0]?.tensor as tf.Tensor]);
    stock.dispose();
    flat.dispose();
  });

  it('matches tf.train.adam for any shapes, gradient scales and step counts (property)', () => {
    let seed = 100;
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.double({ min: -6, max: 2, noNaN: true }),
        (shapes, steps, logScale) => {
          seed++;
          const twins = twinParameters(shapes, seed);
          const stock = tf.train.adam(1e-2);
          const flat = new FlatAdam(1e-2);
          const rng = new Rng(seed);
          for (let step = 0; step < steps; step++)
            stepBoth(stock, flat, twins, rng, 10 ** logScale);
          expectSameBits(twins[0], twins[1]);
          stock.dispose();
          flat.dispose();
        },
      ),
      { numRuns: 25 },
    );
  });

  it("resumes from tf.train.adam's saved state, and tf.train.adam from its state, without a bit of difference", async () => {
    const shapes = [[2, 3], [3]];
    // Uninterrupted reference: stock Adam for 4 steps.
    const reference = twinParameters(shapes, 7, 'reference');
    const referenceStock = tf.train.adam(1e-2);
    const referenceFlat = new FlatAdam(1e-2);
    const rngA = new Rng(8);
    for (let step = 0; step < 4; step++)
      stepBoth(referenceStock, referenceFlat, reference, rngA, 1);

    // Same steps, switching optimizer halfway through via getWeights/setWeights.
    const switched = twinParameters(shapes, 7, 'switched');
    const firstHalfStock = tf.train.adam(1e-2);
    const firstHalfFlat = new FlatAdam(1e-2);
    const rngB = new Rng(8);
    for (let step = 0; step < 2; step++) stepBoth(firstHalfStock, firstHalfFlat, switched, rngB, 1);
    const secondHalfFlat = new FlatAdam(1e-2);
    const secondHalfStock = tf.train.adam(1e-2);
    const stockState = await firstHalfStock.getWeights();
    const flatState = await firstHalfFlat.getWeights();
    // Cross over. Moments belong to positions, as in tf.train.adam: the other set's slot
    // names (a resumed run's variables get new names) are taken as they are.
    await secondHalfFlat.setWeights(stockState);
    await secondHalfStock.setWeights(flatState);
    // The checkpoint saves beta^t as accumulated; setWeights alone recomputes it with pow.
    secondHalfFlat.accBeta1.assign(
      (firstHalfStock as unknown as { accBeta1: tf.Variable }).accBeta1,
    );
    secondHalfFlat.accBeta2.assign(
      (firstHalfStock as unknown as { accBeta2: tf.Variable }).accBeta2,
    );
    (secondHalfStock as unknown as { accBeta1: tf.Variable }).accBeta1.assign(
      firstHalfFlat.accBeta1,
    );
    (secondHalfStock as unknown as { accBeta2: tf.Variable }).accBeta2.assign(
      firstHalfFlat.accBeta2,
    );
    for (let step = 2; step < 4; step++)
      stepBoth(secondHalfStock, secondHalfFlat, switched, rngB, 1);

    expectSameBits(reference[0], switched[0]);
    expectSameBits(reference[1], switched[1]);
    expect(secondHalfFlat.iterations).toBe(4);
    const resumedSlots = await secondHalfFlat.getWeights();
    expect(resumedSlots.map((w) => w.name).slice(1, 3)).toEqual([
      'stockswitched/p0/m',
      'stockswitched/p1/m',
    ]);
    resumedSlots[0]?.tensor.dispose();
    tf.dispose([stockState[0]?.tensor as tf.Tensor, flatState[0]?.tensor as tf.Tensor]);
    for (const optimizer of [
      referenceStock,
      referenceFlat,
      firstHalfStock,
      firstHalfFlat,
      secondHalfFlat,
      secondHalfStock,
    ])
      optimizer.dispose();
  });

  it('leaks no tensors across steps and repeated getWeights calls', async () => {
    const [, variables] = twinParameters([[4, 4], [4]], 11);
    const flat = new FlatAdam(1e-3);
    const rng = new Rng(12);
    const step = () => {
      const grads = gradientsFor(variables, rng, 1);
      flat.applyGradients(grads);
      tf.dispose(Object.values(grads));
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      step();
      const weights = await flat.getWeights();
      weights[0]?.tensor.dispose();
    }
    const weights = await flat.getWeights();
    expect(weights.map((w) => w.name)).toEqual([
      'iter',
      'flat11/p0/m',
      'flat11/p1/m',
      'flat11/p0/v',
      'flat11/p1/v',
    ]);
    weights[0]?.tensor.dispose();
    // The four per-parameter views stay alive until the next getWeights or dispose.
    expect(tf.memory().numTensors).toBe(before + 4);
    flat.dispose();
    expect(tf.memory().numTensors).toBe(before - 4);
  });

  it('says what is wrong when a gradient is missing or the parameters change', () => {
    const [, variables] = twinParameters([[2], [3]], 21);
    const flat = new FlatAdam(1e-3);
    const [first, second] = variables as [tf.Variable, tf.Variable];
    const grads = { [first.name]: tf.ones([2]), [second.name]: tf.ones([3]) };
    flat.applyGradients(grads);
    expect(() =>
      flat.applyGradients({
        [second.name]: grads[second.name] as tf.Tensor,
        [first.name]: grads[first.name] as tf.Tensor,
      }),
    ).toThrow(
      /differ from the ones its moments were made for.*one fixed list of parameters in one order/,
    );
    expect(() =>
      flat.applyGradients({
        [first.name]: grads[first.name] as tf.Tensor,
        [second.name]: null as unknown as tf.Tensor,
      }),
    ).toThrow(`FlatAdam: no gradient for "${second.name}"`);
    const stray = tf.ones([2]);
    expect(() => flat.applyGradients({ nowhere: stray })).toThrow(
      'FlatAdam: no variable named "nowhere"',
    );
    tf.dispose([stray, ...Object.values(grads)]);
    flat.dispose();
  });
});

// With tfjs-fast-kernels' fused Adam registered (FusedKernelName.adam), FlatAdam's step is
// one kernel; unregistered, its composition. The same bits, with AdamW's decay and clipping.
describe.each(['wasm', 'cpu'] as const)('FlatAdam fused step on %s', (backend) => {
  afterEach(async () => {
    await tf.setBackend('wasm');
    await enableFastKernels({ native: 'off' });
  });

  it('gives the composition bit for bit, with weight decay and clipping, and runs as one kernel', async () => {
    await tf.setBackend(backend);
    const shapes = [[7, 5], [5], [3, 4, 2], [1]];
    const run = async (fused: boolean) => {
      await enableFastKernels({ native: 'off', fused });
      expect(tf.getKernel(FusedKernelName.adam, backend) != null).toBe(fused);
      const [variables] = twinParameters(shapes, 77, fused ? 'fused' : 'composed');
      const optimizer = new FlatAdam(3e-3, 0.9, 0.999, undefined, {
        weightDecay: 0.05,
        clipNorm: 1.5,
        decays: (v) => v.rank >= 2,
      });
      const rng = new Rng(5);
      let kernels: string[] = [];
      for (let step = 0; step < 4; step++) {
        // Scales both below and above the clipping bound.
        const grads = gradientsFor(variables, rng, step % 2 === 0 ? 0.1 : 3);
        const info = await tf.profile(() => optimizer.applyGradients(grads));
        kernels = info.kernels.map((k) => k.name);
        tf.dispose(Object.values(grads));
      }
      const out = variables.map(bits);
      const slots = (await optimizer.getWeights()).map(({ tensor }) =>
        Array.from(new Uint32Array(Float32Array.from(tensor.dataSync()).buffer)),
      );
      optimizer.dispose();
      return { out, slots, kernels };
    };
    const composed = await run(false);
    const fused = await run(true);
    expect(fused.out).toEqual(composed.out);
    expect(fused.slots).toEqual(composed.slots);
    expect(fused.kernels).toContain(FusedKernelName.adam);
    expect(composed.kernels).not.toContain(FusedKernelName.adam);
    expect(fused.kernels.length).toBeLessThan(composed.kernels.length);
  });
});
