/**
 * The encoder with tfjs-fast-kernels' fused kernels against its own compositions (what it
 * runs without them): loss and every parameter's gradient, on cpu and wasm. Composed here
 * because the encoder does not depend on the kernels package. The bounds are the fused
 * ops' float32 rounding carried through a 3-block model, documented in
 * docs/benchmarks/fused-kernels.md.
 */
import '@tensorflow/tfjs-backend-wasm';
import {
  type AmuseBatch,
  createAmuseModel,
  type InputSpec,
  perSampleCrossEntropy,
} from '@sparsify/amuse-encoder';
import { createIqrTokenReducer } from '@sparsify/iqr-token-merge';
import { disableFastKernels, enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';

const INPUTS: InputSpec = {
  video: { kind: 'frames', timeSteps: 3, height: 32, width: 32 },
  audio: { kind: 'fbank', timeSteps: 3, frames: 32, melBins: 32 },
};

function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 4294967296 - 0.5;
  }
  return out;
}

function batchOf(size: number): AmuseBatch {
  const ids = new Int32Array(size * 14);
  for (let b = 0; b < size; b++)
    for (let i = 0; i < 6 + b; i++) ids[b * 14 + i] = 1 + ((b * 7 + i * 13) % 92);
  return {
    question: tf.tensor2d(ids, [size, 14], 'int32'),
    video: {
      kind: 'frames',
      frames: tf.tensor4d(values(size * 3 * 32 * 32 * 3, 1), [size * 3, 32, 32, 3]),
    },
    audio: { kind: 'fbank', fbank: tf.tensor4d(values(size * 3 * 32 * 32, 2), [size, 3, 32, 32]) },
  };
}

function tinyModel() {
  return createAmuseModel({
    preset: 'tiny',
    width: 32,
    heads: 2,
    depth: 3,
    questionAdapterBlocks: 1,
    reduceAfterBlock: 0,
    adapterGateInit: 0.1,
    inputs: INPUTS,
    seed: 5,
  });
}

/**
 * Loss and every parameter's gradient of a fresh seeded model on a fixed batch; with
 * `merge`, the IQR reducer merges tokens after block 0.
 */
function lossAndGrads(merge = false): { loss: number; grads: Map<string, Float32Array> } {
  const model = tinyModel();
  const batch = batchOf(3);
  const labels = tf.tensor1d([3, 17, 41], 'int32');
  const reducer = merge ? createIqrTokenReducer({ iqrMultiplier: 1.5, minKeep: 0.25 }) : null;
  const { value, grads } = tf.variableGrads(
    () =>
      tf.mean(
        perSampleCrossEntropy(model.forward(batch, { training: true, reducer }).logits, labels),
      ) as tf.Scalar,
    model.trainableVariables(),
  );
  const out = new Map<string, Float32Array>();
  for (const [name, variable] of model.parameters()) {
    const grad = grads[variable.name];
    if (grad !== undefined) out.set(name, Float32Array.from(grad.dataSync()));
  }
  const loss = value.dataSync()[0] as number;
  tf.dispose([value, labels, ...Object.values(grads)]);
  tf.dispose(
    [batch.question, ...Object.values(batch.video), ...Object.values(batch.audio)].filter(
      (t): t is tf.Tensor => t instanceof tf.Tensor,
    ),
  );
  model.dispose();
  return { loss, grads: out };
}

/** The largest gradient gap over all weights, each relative to that weight's largest |expected|. */
function worstRelativeGap(
  expectedGrads: Map<string, Float32Array>,
  actualGrads: Map<string, Float32Array>,
): number {
  let worst = 0;
  for (const [name, expected] of expectedGrads) {
    const actual = actualGrads.get(name) as Float32Array;
    let gap = 0;
    let scale = 1e-30;
    for (let i = 0; i < expected.length; i++) {
      gap = Math.max(gap, Math.abs((actual[i] as number) - (expected[i] as number)));
      scale = Math.max(scale, Math.abs(expected[i] as number));
    }
    worst = Math.max(worst, gap / scale);
  }
  return worst;
}

describe.each(['cpu', 'wasm'] as const)('the encoder with fused kernels on %s', (backend) => {
  afterAll(() => disableFastKernels());

  it('gives the loss and every gradient of its own compositions, within rounding', async () => {
    await tf.setBackend(backend);
    await enableFastKernels({ native: 'off', fused: false });
    const stock = lossAndGrads();
    await enableFastKernels({ native: 'off', fused: true });
    const fused = lossAndGrads();
    expect(Math.abs(fused.loss - stock.loss) / Math.abs(stock.loss)).toBeLessThan(1e-5);
    expect([...fused.grads.keys()].sort()).toEqual([...stock.grads.keys()].sort());
    const worst = worstRelativeGap(stock.grads, fused.grads);
    console.log(`${backend}: worst relative gradient gap ${worst.toExponential(2)}`);
    // And the fused path really ran: every fused kernel appears in a training step.
    const model = tinyModel();
    const batch = batchOf(2);
    const profile = await tf.profile(() => {
      tf.dispose(
        tf.variableGrads(
          () => tf.sum(model.forward(batch, { training: true }).logits) as tf.Scalar,
          model.trainableVariables(),
        ).grads,
      );
    });
    const launched = new Set(profile.kernels.map((k) => k.name));
    for (const name of [
      'SparsifyLayerNorm',
      'SparsifyLayerNormGrad',
      'SparsifyGelu',
      'SparsifyGeluGrad',
      // A linear layer's bias gradient: inside its weight gradient's kernel on wasm (issue
      // 23o), a column sum of its own on cpu.
      backend === 'wasm' ? 'SparsifyWeightBiasGrad' : 'SparsifyColumnSum',
      // The attention core: heads, products and softmax in one kernel each way.
      'SparsifyAttention',
      'SparsifyAttentionGrad',
    ])
      expect(launched).toContain(name);
    // Which the core replaces inside attention (none is launched elsewhere in this model).
    for (const name of ['SparsifySoftmaxGrad', 'SparsifySplitHeads', 'SparsifyMergeHeads'])
      expect(launched).not.toContain(name);
    model.dispose();
    expect(worst).toBeLessThan(5e-5);
  }, 120_000);
});

describe('the weight and bias gradients in one kernel (SparsifyWeightBiasGrad, wasm)', () => {
  afterAll(() => enableFastKernels({ native: 'off' }));

  // The encoder looks the kernel up on every call, so unregistering it switches the same
  // model back to the transposed product and the column sum: every float must stay.
  it.each([false, true])(
    'gives the loss and every gradient of the product and column sum, bit for bit (merge: %s)',
    async (merge) => {
      await tf.setBackend('wasm');
      await enableFastKernels({ native: 'off' });
      const kernel = tf.getKernel('SparsifyWeightBiasGrad', 'wasm');
      expect(kernel).toBeDefined();
      const fused = lossAndGrads(merge);
      tf.unregisterKernel('SparsifyWeightBiasGrad', 'wasm');
      try {
        const separate = lossAndGrads(merge);
        expect(fused.loss).toBe(separate.loss);
        expect([...fused.grads.keys()].sort()).toEqual([...separate.grads.keys()].sort());
        for (const [name, values] of separate.grads)
          expect(Array.from(fused.grads.get(name) as Float32Array), name).toEqual(
            Array.from(values),
          );
      } finally {
        tf.registerKernel(kernel as tf.KernelConfig);
      }
    },
    120_000,
  );
});

describe('the default wasm path against stock tfjs-backend-wasm', () => {
  afterAll(() => enableFastKernels({ native: 'off' }));

  // Everything tfjs-fast-kernels changes at once: fused kernels, small products as SIMD
  // matMulSlice, transposed gradient products read in place (SparsifyMatMul, also the merge
  // product), tensors saved for gradients shared. With and without token merging.
  it.each([false, true])(
    'gives the loss and every gradient of stock wasm within rounding (merge: %s)',
    async (merge) => {
      await tf.setBackend('wasm');
      disableFastKernels();
      const stock = lossAndGrads(merge);
      await enableFastKernels({ native: 'off' });
      const fast = lossAndGrads(merge);
      expect(Math.abs(fast.loss - stock.loss) / Math.abs(stock.loss)).toBeLessThan(1e-5);
      expect([...fast.grads.keys()].sort()).toEqual([...stock.grads.keys()].sort());
      const worst = worstRelativeGap(stock.grads, fast.grads);
      console.log(`merge ${merge}: worst relative gradient gap ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(5e-5);
    },
    120_000,
  );
});
