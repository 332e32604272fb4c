import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyMaskPlan, createMaskPlan, disposeMaskPlan, restoreTokens } from '../src/index.js';
import { BACKENDS, expectAllClose, ramp, useBackend } from './backends.js';

// Two samples of N = 5 tokens, each keeping 2 (given in arbitrary order).
const KEEP_SETS = [
  [3, 1],
  [0, 4],
];

describe('createMaskPlan', () => {
  beforeAll(() => useBackend('cpu'));

  it('sorts kept positions, marks dropped ones and restores the MAE shuffle order', () => {
    const plan = createMaskPlan(KEEP_SETS, 5);
    expect(plan.numKeep).toBe(2);
    expect(plan.keepIndices.dtype).toBe('int32');
    expect(plan.keepIndices.arraySync()).toEqual([
      [1, 3],
      [0, 4],
    ]);
    expect(plan.dropMask.arraySync()).toEqual([
      [1, 0, 1, 0, 1],
      [0, 1, 1, 1, 0],
    ]);
    // shuffle = [kept ascending, dropped ascending]; restore = argsort(shuffle).
    expect(plan.restoreIndices.arraySync()).toEqual([
      [2, 0, 3, 1, 4],
      [0, 2, 3, 4, 1],
    ]);
    disposeMaskPlan(plan);
  });

  it('rejects unequal keep counts, repeats and out-of-range positions', () => {
    expect(() => createMaskPlan([[0, 1], [2]], 4)).toThrow(
      /sample 1 keeps 1 tokens but sample 0 keeps 2/,
    );
    expect(() => createMaskPlan([[1, 1]], 4)).toThrow(/sample 0 has position 1/);
    expect(() => createMaskPlan([[4]], 4)).toThrow(/outside \[0, 4\)/);
    expect(() => createMaskPlan([], 4)).toThrow(/batch of zero/);
  });
});

describe.each(BACKENDS)('applying and inverting a plan on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('keeps the planned tokens of [B, N, D], [B, N] and shared [1, N, D] tensors', () => {
    tf.tidy(() => {
      const plan = createMaskPlan(KEEP_SETS, 5);
      const tokens = ramp([2, 5, 3]);
      const visible = applyMaskPlan(plan, tokens);
      expect(visible.shape).toEqual([2, 2, 3]);
      const t = tokens.arraySync() as number[][][];
      expect(visible.arraySync()).toEqual([
        [t[0]![1], t[0]![3]],
        [t[1]![0], t[1]![4]],
      ]);
      const sizes = tf.tensor2d([
        [10, 11, 12, 13, 14],
        [20, 21, 22, 23, 24],
      ]);
      expect(applyMaskPlan(plan, sizes).arraySync()).toEqual([
        [11, 13],
        [20, 24],
      ]);
      const positions = ramp([1, 5, 3]);
      expectAllClose(
        applyMaskPlan(plan, positions),
        applyMaskPlan(plan, tf.tile(positions, [2, 1, 1])),
      );
    });
  });

  it('round-trips: restore(keep(x)) is x where kept and the fill token where dropped', () => {
    tf.tidy(() => {
      const plan = createMaskPlan(KEEP_SETS, 5);
      const tokens = ramp([2, 5, 3]) as tf.Tensor3D;
      const kept = tf.expandDims(tf.sub(1, plan.dropMask), 2);
      expectAllClose(restoreTokens(plan, applyMaskPlan(plan, tokens)), tf.mul(tokens, kept));
      const fillToken = tf.tensor1d([7, 8, 9]);
      const restored = restoreTokens(plan, applyMaskPlan(plan, tokens), fillToken);
      const expected = tf.add(
        tf.mul(tokens, kept),
        tf.mul(tf.expandDims(plan.dropMask, 2), fillToken),
      );
      expectAllClose(restored, expected);
      // MAE's way (concat mask tokens, gather with ids_restore) gives the same tokens. Done with
      // a flat gather: stock wasm's tf.gather with batchDims = 1 returns wrong rows
      // (tensorflow/tfjs#8658).
      const maskTokens = tf.tile(tf.reshape(fillToken, [1, 1, 3]), [2, 3, 1]);
      const shuffled = tf.reshape(tf.concat([applyMaskPlan(plan, tokens), maskTokens], 1), [10, 3]);
      const rows = tf.add(plan.restoreIndices, tf.tensor2d([[0], [5]], [2, 1], 'int32'));
      const unshuffled = tf.reshape(tf.gather(shuffled, tf.reshape(rows, [10])), [2, 5, 3]);
      expectAllClose(unshuffled, expected);
    });
  });

  it('gives kept tokens the upstream gradient, dropped tokens exactly 0, and reaches positional embeddings', () => {
    tf.tidy(() => {
      const plan = createMaskPlan(KEEP_SETS, 5);
      const patches = ramp([2, 5, 3]);
      const positions = tf.mul(ramp([1, 5, 3]), 2);
      const upstream = ramp([2, 2, 3]);
      const [patchGrad, positionGrad] = tf.grads((p: tf.Tensor, e: tf.Tensor) =>
        tf.sum(tf.mul(applyMaskPlan(plan, tf.add(p, e)), upstream)),
      )([patches, positions]);
      const expected = restoreTokens(plan, upstream as tf.Tensor3D);
      expectAllClose(patchGrad!, expected);
      const g = patchGrad!.arraySync() as number[][][];
      for (const [b, n] of [
        [0, 0],
        [0, 2],
        [0, 4],
        [1, 1],
        [1, 2],
        [1, 3],
      ] as const) {
        expect(g[b]![n]).toEqual([0, 0, 0]);
      }
      expectAllClose(positionGrad!, tf.sum(expected, 0, true));
    });
  });

  it('differentiates restoreTokens with respect to visible tokens and the fill token', () => {
    tf.tidy(() => {
      const plan = createMaskPlan(KEEP_SETS, 5);
      const visible = ramp([2, 2, 3]);
      const fillToken = tf.tensor1d([1, 2, 3]);
      const upstream = ramp([2, 5, 3]);
      const [visibleGrad, fillGrad] = tf.grads((v: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.mul(restoreTokens(plan, v as tf.Tensor3D, f), upstream)),
      )([visible, fillToken]);
      expectAllClose(visibleGrad!, applyMaskPlan(plan, upstream));
      const droppedUpstream = tf.sum(tf.mul(upstream, tf.expandDims(plan.dropMask, 2)), [0, 1]);
      expectAllClose(fillGrad!, droppedUpstream, 1e-4);
    });
  });

  it('names the argument and shape on bad input', () => {
    tf.tidy(() => {
      const plan = createMaskPlan(KEEP_SETS, 5);
      expect(() => applyMaskPlan(plan, ramp([2, 4, 3]))).toThrow(/x must be \[B, 5, \.\.\.\]/);
      expect(() => applyMaskPlan(plan, ramp([3, 5, 3]))).toThrow(
        /batch 3 but the plan was made for batch 2/,
      );
      expect(() => restoreTokens(plan, ramp([2, 3, 3]) as tf.Tensor3D)).toThrow(
        /visible must be \[2, 2, D\]/,
      );
      expect(() => restoreTokens(plan, ramp([2, 2, 3]) as tf.Tensor3D, tf.ones([4]))).toThrow(
        /fillToken/,
      );
    });
  });

  it('leaks no tensors once disposed', () => {
    const tokens = ramp([2, 5, 3]);
    const run = () => {
      const plan = createMaskPlan(KEEP_SETS, 5);
      tf.tidy(() =>
        tf.grad((x: tf.Tensor) =>
          tf.sum(restoreTokens(plan, applyMaskPlan(plan, x) as tf.Tensor3D)),
        )(tokens),
      ).dispose();
      disposeMaskPlan(plan);
    };
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tokens.dispose();
  });
});
