import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenMasker, keptCount } from '../src/index.js';
import { BACKENDS, expectAllClose, ramp, useBackend } from './backends.js';

const TRAIN = { epoch: 0, step: 0 };

describe.each(BACKENDS)('createTokenMasker on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('drops the ratio of one stream and keeps the rest in order', () => {
    tf.tidy(() => {
      const masker = createTokenMasker({ ratio: 0.75, seed: 1 });
      const tokens = ramp([3, 16, 5]) as tf.Tensor3D;
      const masked = masker(tokens, TRAIN);
      expect(masked.tokens.shape).toEqual([3, 4, 5]);
      const plan = masked.plan!;
      for (const [b, set] of plan.keepSets.entries()) {
        expect([...set]).toEqual([...set].sort((x, y) => x - y));
        // every kept row is the input's row at that position
        expectAllClose(
          tf.gather(tf.gather(tokens, b), Array.from(set)),
          tf.gather(masked.tokens, b),
        );
      }
    });
  });

  it('keeps listed positions (a class token) and masks the ratio of the others', () => {
    tf.tidy(() => {
      const masker = createTokenMasker({ ratio: 0.5, keep: [0] });
      const masked = masker(ramp([4, 17, 2]) as tf.Tensor3D, TRAIN);
      expect(masked.tokens.shape).toEqual([4, 9, 2]);
      for (const set of masked.plan!.keepSets) expect(set[0]).toBe(0);
    });
  });

  it('is off in evaluation, from activeEpochs on, and at ratio 0: tokens pass through', () => {
    tf.tidy(() => {
      const masker = createTokenMasker({ ratio: 0.5, activeEpochs: 2 });
      const tokens = ramp([2, 8, 3]) as tf.Tensor3D;
      for (const step of [
        { epoch: 0, step: 0, training: false },
        { epoch: 2, step: 40 },
      ]) {
        const masked = masker(tokens, step);
        expect(masked.plan).toBeNull();
        expect(masked.tokens).toBe(tokens);
        const positions = ramp([1, 8, 3]);
        expect(masked.gather(positions)).toBe(positions);
        expectAllClose(masked.restore(tokens), tokens);
      }
      expect(masker.isActive({ epoch: 1, step: 7 })).toBe(true);
      expect(createTokenMasker({ ratio: 0 })(tokens, TRAIN).plan).toBeNull();
      expect(createTokenMasker({ activeEpochs: Infinity }).isActive({ epoch: 1e6, step: 0 })).toBe(
        true,
      );
    });
  });

  it('draws from (seed, step): same step same plan, another step or seed another plan', () => {
    tf.tidy(() => {
      const tokens = ramp([4, 32, 2]) as tf.Tensor3D;
      const sets = (seed: number, step: number) =>
        createTokenMasker({ seed })(tokens, { epoch: 0, step }).plan!.keepSets.map((s) => [...s]);
      expect(sets(7, 3)).toEqual(sets(7, 3));
      expect(sets(7, 3)).not.toEqual(sets(7, 4));
      expect(sets(7, 3)).not.toEqual(sets(8, 3));
    });
  });

  it('gathers aligned tensors (shared positions) and restores with a fill token', () => {
    tf.tidy(() => {
      const masker = createTokenMasker({ ratio: 0.5, seed: 3 });
      const tokens = ramp([2, 6, 4]) as tf.Tensor3D;
      const positions = ramp([1, 6, 4]);
      const masked = masker(tokens, TRAIN);
      const keptPositions = masked.gather(positions);
      expect(keptPositions.shape).toEqual([2, 3, 4]);
      for (const [b, set] of masked.plan!.keepSets.entries()) {
        expectAllClose(
          tf.gather(tf.squeeze(positions, [0]), Array.from(set)),
          tf.gather(keptPositions, b),
        );
      }
      const fill = tf.fill([4], 9);
      const restored = masked.restore(masked.tokens, fill);
      const drop = tf.expandDims(masked.plan!.dropMask, 2);
      expectAllClose(restored, tf.add(tf.mul(tokens, tf.sub(1, drop)), tf.mul(drop, 9)));
    });
  });

  it('time mode drops whole steps of a [time, tokens] grid', () => {
    tf.tidy(() => {
      const masker = createTokenMasker({
        ratio: 0.5,
        mode: 'time',
        layout: { timeSteps: 4, tokensPerStep: 3 },
      });
      const masked = masker(ramp([2, 12, 2]) as tf.Tensor3D, TRAIN);
      expect(masked.tokens.shape).toEqual([2, 6, 2]);
      for (const set of masked.plan!.keepSets) {
        const steps = new Set(Array.from(set, (n) => Math.floor(n / 3)));
        expect(steps.size).toBe(2);
      }
    });
  });

  it('gradients reach kept tokens only', () => {
    const masker = createTokenMasker({ ratio: 0.5, seed: 9 });
    const tokens = ramp([2, 8, 3]) as tf.Tensor3D;
    const keepSets = masker(tokens, TRAIN).plan!.keepSets;
    const gradient = tf.grad((x: tf.Tensor) => tf.sum(masker(x as tf.Tensor3D, TRAIN).tokens))(
      tokens,
    );
    const values = gradient.arraySync() as number[][][];
    keepSets.forEach((set, b) => {
      for (let n = 0; n < 8; n++) {
        expect(values[b]![n]).toEqual(Array(3).fill(set.includes(n) ? 1 : 0));
      }
    });
    tf.dispose([tokens, gradient]);
  });

  it('a batch of one, and errors that name the option', () => {
    tf.tidy(() => {
      expect(createTokenMasker()(ramp([1, 4, 2]) as tf.Tensor3D, TRAIN).tokens.shape).toEqual([
        1, 2, 2,
      ]);
      expect(() => createTokenMasker({ ratio: 1 })).toThrow(
        /options.ratio must be a number in \[0, 1\)/,
      );
      expect(() => createTokenMasker({ mode: 'cross-modal' as never })).toThrow(/options.mode/);
      expect(() => createTokenMasker({ activeEpochs: -1 })).toThrow(/activeEpochs/);
      expect(() => createTokenMasker({ keep: [0], mode: 'time' })).toThrow(/keep works with mode/);
      const tokens = ramp([1, 4, 2]) as tf.Tensor3D;
      expect(() => createTokenMasker({ keep: [4] })(tokens, TRAIN)).toThrow(/outside \[0, 4\)/);
      expect(() =>
        createTokenMasker({ mode: 'time', layout: { timeSteps: 3, tokensPerStep: 2 } })(
          tokens,
          TRAIN,
        ),
      ).toThrow(/does not match the 4 maskable tokens/);
    });
  });
});

describe('createTokenMasker (properties)', () => {
  beforeAll(() => useBackend('cpu'));

  it('keeps keep.length + keptCount(N - keep.length, r) distinct tokens, the listed ones included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 24 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat(1000),
        (numTokens, ratio, keepRaw, batchSize, step) => {
          const keep = keepRaw.filter((k) => k < numTokens).slice(0, numTokens - 1);
          tf.tidy(() => {
            const masked = createTokenMasker({ ratio, keep, seed: 5 })(
              tf.zeros([batchSize, numTokens, 1]) as tf.Tensor3D,
              { epoch: 0, step },
            );
            const expected =
              ratio === 0 ? numTokens : keep.length + keptCount(numTokens - keep.length, ratio);
            expect(masked.tokens.shape[1]).toBe(expected);
            for (const set of masked.plan?.keepSets ?? []) {
              expect(new Set(set).size).toBe(set.length);
              for (const k of keep) expect(set.includes(k)).toBe(true);
            }
          });
        },
      ),
    );
  });
});
