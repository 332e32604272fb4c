import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyMaskPlan,
  createRng,
  disposeMaskPlan,
  keptCount,
  maskTokens,
  restoreTokens,
} from '../src/index.js';
import { BACKENDS, expectAllClose, ramp, useBackend } from './backends.js';

describe('keptCount', () => {
  it('rounds N(1 - ratio), halves up, and keeps at least one', () => {
    expect(keptCount(196, 0.5)).toBe(98);
    expect(keptCount(196, 0.75)).toBe(49);
    expect(keptCount(5, 0.5)).toBe(3);
    expect(keptCount(10, 0.9)).toBe(1); // 10 * (1 - 0.9) = 0.9999999999999998
    expect(keptCount(16, 0.99)).toBe(1);
    expect(keptCount(7, 0)).toBe(7);
  });

  it('rejects ratios outside [0, 1)', () => {
    expect(() => keptCount(4, 1)).toThrow(/in \[0, 1\)/);
    expect(() => keptCount(4, -0.1)).toThrow(/in \[0, 1\)/);
    expect(() => keptCount(4, Number.NaN)).toThrow(/in \[0, 1\)/);
  });
});

describe.each(BACKENDS)('maskTokens on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('returns visible [B, N_keep, D], ascending int32 keep indices, restore indices and the drop mask', () => {
    tf.tidy(() => {
      const tokens = ramp([3, 10, 4]) as tf.Tensor3D;
      const { visible, keepIndices, restoreIndices, mask, plan } = maskTokens(tokens, {
        ratio: 0.5,
        seed: 1,
      });
      expect(visible.shape).toEqual([3, 5, 4]);
      expect(keepIndices.shape).toEqual([3, 5]);
      expect(keepIndices.dtype).toBe('int32');
      expect(restoreIndices.shape).toEqual([3, 10]);
      expect(mask.shape).toEqual([3, 10]);
      expect(keepIndices).toBe(plan.keepIndices);
      const keep = keepIndices.arraySync() as number[][];
      const dropped = mask.arraySync() as number[][];
      const rows = tokens.arraySync() as number[][][];
      const kept = visible.arraySync() as number[][][];
      for (let b = 0; b < 3; b++) {
        for (let k = 1; k < 5; k++) expect(keep[b]![k]!).toBeGreaterThan(keep[b]![k - 1]!);
        for (let k = 0; k < 5; k++) {
          expect(dropped[b]![keep[b]![k]!]).toBe(0);
          expect(kept[b]![k]).toEqual(rows[b]![keep[b]![k]!]);
        }
        expect(dropped[b]!.reduce((sum, x) => sum + x, 0)).toBe(5);
        expect([...(restoreIndices.arraySync() as number[][])[b]!].sort((x, y) => x - y)).toEqual(
          Array.from({ length: 10 }, (_, i) => i),
        );
      }
    });
  });

  it('round-trips through restoreTokens', () => {
    tf.tidy(() => {
      const tokens = ramp([2, 12, 3]) as tf.Tensor3D;
      const { visible, mask, plan } = maskTokens(tokens, { ratio: 0.75, seed: 3 });
      const kept = tf.expandDims(tf.sub(1, mask), 2);
      expectAllClose(restoreTokens(plan, visible), tf.mul(tokens, kept));
    });
  });

  it('is the identity at ratio 0 and keeps one token when the ratio leaves less', () => {
    tf.tidy(() => {
      const tokens = ramp([2, 7, 3]) as tf.Tensor3D;
      const none = maskTokens(tokens, { ratio: 0, seed: 4 });
      expectAllClose(none.visible, tokens);
      expect(tf.sum(none.mask).arraySync()).toBe(0);
      const one = maskTokens(tokens, { ratio: 0.9, seed: 4 });
      expect(one.visible.shape).toEqual([2, 1, 3]);
      expect(tf.sum(one.mask, 1).arraySync()).toEqual([6, 6]);
    });
  });

  it('repeats with the same seed, differs with another, and advances a shared rng', () => {
    tf.tidy(() => {
      const tokens = ramp([4, 16, 2]) as tf.Tensor3D;
      const indices = (options: Parameters<typeof maskTokens>[1]) =>
        maskTokens(tokens, options).keepIndices.arraySync();
      expect(indices({ ratio: 0.5, seed: 7 })).toEqual(indices({ ratio: 0.5, seed: 7 }));
      expect(indices({ ratio: 0.5, seed: 7 })).not.toEqual(indices({ ratio: 0.5, seed: 8 }));
      const rng = createRng(7);
      expect(indices({ ratio: 0.5, rng })).toEqual(indices({ ratio: 0.5, seed: 7 }));
      expect(indices({ ratio: 0.5, rng })).not.toEqual(indices({ ratio: 0.5, seed: 7 }));
    });
  });

  it('masks structured layouts (time mode drops whole steps)', () => {
    tf.tidy(() => {
      const tokens = ramp([2, 12, 2]) as tf.Tensor3D;
      const layout = { timeSteps: 4, tokensPerStep: 3 };
      const { keepIndices } = maskTokens(tokens, { ratio: 0.5, seed: 5, mode: 'time', layout });
      for (const row of keepIndices.arraySync() as number[][]) {
        const steps = new Set(row.map((n) => Math.floor(n / 3)));
        expect(steps.size).toBe(2);
        expect(row.length).toBe(6);
      }
      expect(() =>
        maskTokens(tokens, {
          ratio: 0.5,
          seed: 5,
          mode: 'time',
          layout: { timeSteps: 5, tokensPerStep: 3 },
        }),
      ).toThrow(/does not match N = 12/);
    });
  });

  it('sends the upstream gradient to kept tokens and exactly 0 to dropped ones (also through positions)', () => {
    tf.tidy(() => {
      const patches = ramp([3, 8, 4]);
      const positions = ramp([1, 8, 4]);
      const upstream = ramp([3, 4, 4]);
      let mask: tf.Tensor2D | undefined;
      const [patchGrad, positionGrad] = tf.grads((p: tf.Tensor, e: tf.Tensor) => {
        const masked = maskTokens(tf.add(p, e) as tf.Tensor3D, { ratio: 0.5, seed: 9 });
        mask = tf.keep(masked.mask);
        return tf.sum(tf.mul(masked.visible, upstream));
      })([patches, positions]);
      const dropped = (mask!.arraySync() as number[][]).flatMap((row, b) =>
        row.map((d, n) => [b, n, d] as const),
      );
      const g = patchGrad!.arraySync() as number[][][];
      for (const [b, n, d] of dropped) {
        if (d === 1) expect(g[b]![n]).toEqual([0, 0, 0, 0]);
        else expect(g[b]![n]!.some((x) => x !== 0)).toBe(true);
      }
      const replay = maskTokens(patches as tf.Tensor3D, { ratio: 0.5, seed: 9 });
      expectAllClose(patchGrad!, restoreTokens(replay.plan, upstream as tf.Tensor3D));
      expectAllClose(positionGrad!, tf.sum(patchGrad!, 0, true));
      mask!.dispose();
    });
  });

  it('leaks no tensors once the result is disposed', () => {
    const tokens = ramp([2, 16, 8]) as tf.Tensor3D;
    const positions = ramp([1, 16, 8]);
    const run = () => {
      const { visible, plan } = maskTokens(tokens, { ratio: 0.5, seed: 1 });
      tf.dispose([visible, applyMaskPlan(plan, positions)]);
      disposeMaskPlan(plan);
    };
    tf.tidy(run);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.tidy(run);
    for (let i = 0; i < 5; i++) run();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([tokens, positions]);
  });

  it('names the bad argument', () => {
    tf.tidy(() => {
      const tokens = ramp([2, 4, 3]) as tf.Tensor3D;
      expect(() => maskTokens(ramp([4, 3]) as tf.Tensor3D, { ratio: 0.5, seed: 1 })).toThrow(
        /tokens must be \[B, N, D\]/,
      );
      expect(() => maskTokens(tokens, { ratio: 1, seed: 1 })).toThrow(/options.ratio/);
      expect(() => maskTokens(tokens, { ratio: 0.5 })).toThrow(
        /exactly one of options.seed and options.rng/,
      );
    });
  });
});
