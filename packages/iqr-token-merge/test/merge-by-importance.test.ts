import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeMergePlan, mergeByImportance } from '../src/index.js';
import { BACKENDS, expectAllClose, tf, useBackend } from './fixtures.js';

/** Tokens [B, N, D] and scores [B, N] drawn from a seed. */
function batch(batchSize: number, tokenCount: number, width: number, seed: number) {
  return {
    tokens: tf.randomNormal([batchSize, tokenCount, width], 0, 1, 'float32', seed) as tf.Tensor3D,
    scores: tf.randomUniform([batchSize, tokenCount], 0, 1, 'float32', seed + 1) as tf.Tensor2D,
  };
}

const partition = (sources: Int32Array[]) =>
  sources.flatMap((s) => [...s]).sort((a, b) => a - b) as number[];

describe.each(BACKENDS)('mergeByImportance on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('with r, every sample loses exactly r tokens and sizes sum to N', () => {
    tf.tidy(() => {
      const { tokens, scores } = batch(3, 10, 4, 1);
      const merged = mergeByImportance(tokens, { importance: scores, r: 4 });
      expect(merged.tokens.shape).toEqual([3, 6, 4]);
      expect([...merged.keptCounts]).toEqual([6, 6, 6]);
      expect(merged.padMask.sum().dataSync()[0]).toBe(0);
      const sizes = merged.sizes.sum(1).dataSync();
      expect([...sizes]).toEqual([10, 10, 10]);
      for (const sample of merged.sources) {
        expect(partition(sample)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
    });
  });

  it('keeps the r-th highest scores: the kept tokens are the top N - r', () => {
    tf.tidy(() => {
      const tokens = tf.randomNormal([1, 6, 3], 0, 1, 'float32', 3) as tf.Tensor3D;
      const scores = tf.tensor2d([[0.1, 0.9, 0.3, 0.8, 0.2, 0.7]]);
      const merged = mergeByImportance(tokens, { importance: scores, r: 3 });
      expect([...merged.plan.keptIndices[0]!]).toEqual([1, 3, 5]);
    });
  });

  it('r = 0 merges nothing: tokens, sizes and sources are the input', () => {
    tf.tidy(() => {
      const { tokens, scores } = batch(2, 5, 3, 5);
      const merged = mergeByImportance(tokens, { importance: scores, r: 0 });
      expectAllClose(merged.tokens.dataSync(), tokens.dataSync());
      expect([...merged.sizes.dataSync()]).toEqual(Array(10).fill(1));
      expect(merged.sources.map((s) => s.map((t) => [...t]))).toEqual([
        [[0], [1], [2], [3], [4]],
        [[0], [1], [2], [3], [4]],
      ]);
    });
  });

  it('r >= N - 1 keeps one token (plus protected ones) holding everything', () => {
    tf.tidy(() => {
      const { tokens, scores } = batch(2, 7, 3, 7);
      for (const r of [6, 7, 100]) {
        const merged = mergeByImportance(tokens, { importance: scores, r });
        expect(merged.tokens.shape).toEqual([2, 1, 3]);
        expect([...merged.sizes.dataSync()]).toEqual([7, 7]);
        // one output = the plain mean of the tokens
        expectAllClose(merged.tokens.dataSync(), tokens.mean(1).dataSync());
      }
      const withCls = mergeByImportance(tokens, {
        importance: scores,
        r: 50,
        protectedTokens: [0],
      });
      expect(withCls.tokens.shape).toEqual([2, 2, 3]);
      expect([...withCls.sizes.dataSync()]).toEqual([1, 6, 1, 6]);
    });
  });

  it('target sets the output length, protected tokens included', () => {
    tf.tidy(() => {
      const { tokens, scores } = batch(2, 12, 3, 9);
      const merged = mergeByImportance(tokens, {
        importance: scores,
        target: 5,
        protectedTokens: [0],
      });
      expect(merged.tokens.shape).toEqual([2, 5, 3]);
      expect([...merged.plan.keptIndices[0]!].slice(0, 1)).toEqual([0]);
      expect([...merged.sizes.dataSync()].slice(0, 1)).toEqual([1]);
      // a sequence already short enough is left alone
      const short = mergeByImportance(tokens, { importance: scores, target: 20 });
      expect(short.tokens.shape).toEqual([2, 12, 3]);
    });
  });

  it('all-equal scores pick the lowest positions, deterministically', () => {
    tf.tidy(() => {
      const tokens = tf.randomNormal([1, 8, 2], 0, 1, 'float32', 11) as tf.Tensor3D;
      const scores = tf.fill([1, 8], 0.5) as tf.Tensor2D;
      const first = mergeByImportance(tokens, { importance: scores, r: 5 });
      expect([...first.plan.keptIndices[0]!]).toEqual([0, 1, 2]);
      // IQR on equal scores: IQR = 0, nothing above the fence, minKeep decides
      const fence = mergeByImportance(tokens, { importance: scores, minKeep: 3 });
      expect([...fence.plan.keptIndices[0]!]).toEqual([0, 1, 2]);
    });
  });

  it('minKeep raises what the IQR fence keeps (the fence alone keeps the outliers)', () => {
    tf.tidy(() => {
      const tokens = tf.randomNormal([1, 64, 4], 0, 1, 'float32', 13) as tf.Tensor3D;
      // two outliers among 64 similar scores
      const values = Array.from({ length: 64 }, (_, i) => 0.1 + (i % 7) * 0.001);
      values[5] = 0.9;
      values[40] = 0.8;
      const scores = tf.tensor2d([values]);
      expect(mergeByImportance(tokens, { importance: scores }).keptCounts[0]).toBe(2);
      expect(mergeByImportance(tokens, { importance: scores, minKeep: 16 }).keptCounts[0]).toBe(16);
      expect(mergeByImportance(tokens, { importance: scores, minKeep: 0.5 }).keptCounts[0]).toBe(
        32,
      );
    });
  });

  it('scores from attention, from a query and from a tensor agree', () => {
    tf.tidy(() => {
      const tokens = tf.randomNormal([2, 9, 4], 0, 1, 'float32', 17) as tf.Tensor3D;
      const cls = tf.slice(tokens, [0, 0, 0], [2, 1, 4]) as tf.Tensor3D;
      const attention = tf.reshape(
        tf.softmax(tf.mul(tf.matMul(cls, tokens, false, true), 0.5)),
        [2, 1, 1, 9],
      ) as tf.Tensor4D;
      const scores = tf.reshape(attention, [2, 9]) as tf.Tensor2D;
      const options = { r: 4, protectedTokens: [0] };
      const fromQuery = mergeByImportance(tokens, { ...options, importance: { query: cls } });
      const fromAttention = mergeByImportance(tokens, { ...options, importance: { attention } });
      const fromScores = mergeByImportance(tokens, { ...options, importance: scores });
      expect(fromQuery.plan.keptIndices.map((k) => [...k])).toEqual(
        fromScores.plan.keptIndices.map((k) => [...k]),
      );
      expect(fromAttention.plan.keptIndices.map((k) => [...k])).toEqual(
        fromScores.plan.keptIndices.map((k) => [...k]),
      );
    });
  });

  it('is differentiable in the tokens: d merged_j / d x_i = s_i / s_j for i in j', () => {
    const { tokens, scores } = batch(2, 6, 3, 19);
    const sizes = tf.tensor2d([
      [1, 2, 1, 3, 1, 1],
      [2, 1, 1, 1, 1, 4],
    ]);
    const upstream = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 20);
    const options = { importance: scores, r: 3, sizes };
    const plan = mergeByImportance(tokens, options).plan;
    const gradient = tf.grad((x: tf.Tensor) =>
      tf.sum(tf.mul(mergeByImportance(x as tf.Tensor3D, options).tokens, upstream)),
    )(tokens);
    const up = upstream.dataSync();
    const expected = new Float32Array(2 * 6 * 3);
    for (let b = 0; b < 2; b++) {
      for (let n = 0; n < 6; n++) {
        const slot = plan.destination[b * 6 + n]!;
        for (let d = 0; d < 3; d++) {
          expected[(b * 6 + n) * 3 + d] = plan.weight[b * 6 + n]! * up[(b * 3 + slot) * 3 + d]!;
        }
      }
    }
    expectAllClose(gradient.dataSync(), expected);
    tf.dispose([tokens, scores, sizes, upstream, gradient]);
  });

  it('apply and unmerge use the same plan on aligned tensors', () => {
    tf.tidy(() => {
      const { tokens, scores } = batch(1, 6, 2, 23);
      const positions = tf.tensor2d([[0, 1, 2, 3, 4, 5]]);
      const merged = mergeByImportance(tokens, { importance: scores, r: 3 });
      const meanPosition = merged.apply(positions).dataSync();
      merged.sources[0]!.forEach((members, j) => {
        const mean = [...members].reduce((a, b) => a + b, 0) / members.length;
        expect(meanPosition[j]).toBeCloseTo(mean, 5);
      });
      expect(merged.unmerge(merged.tokens).shape).toEqual([1, 6, 2]);
    });
  });

  it('composes source maps across calls', () => {
    tf.tidy(() => {
      const { tokens, scores } = batch(2, 10, 3, 29);
      const first = mergeByImportance(tokens, { importance: scores, r: 3 });
      const second = mergeByImportance(first.tokens, {
        importance: tf.randomUniform([2, 7], 0, 1, 'float32', 30) as tf.Tensor2D,
        r: 3,
        sizes: first.sizes,
        sources: first.sources,
      });
      expect(second.tokens.shape).toEqual([2, 4, 3]);
      for (const [b, sample] of second.sources.entries()) {
        expect(partition(sample)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const sizes = second.sizes.dataSync().slice(b * 4, b * 4 + 4);
        expect([...sizes]).toEqual(sample.map((members) => members.length));
      }
    });
  });

  it('rejects mixed or malformed rules with errors naming the option', () => {
    tf.tidy(() => {
      const { tokens, scores } = batch(1, 4, 2, 31);
      const call = (extra: object) => () =>
        mergeByImportance(tokens, { importance: scores, ...extra });
      expect(call({ r: 1, target: 2 })).toThrow(/one of r .* and target/);
      expect(call({ r: 1, iqrMultiplier: 1.5 })).toThrow(/iqrMultiplier sets the IQR fence/);
      expect(call({ target: 2, minKeep: 1 })).toThrow(/minKeep/);
      expect(call({ r: -1 })).toThrow(/r must be an integer >= 0/);
      expect(call({ target: 0 })).toThrow(/target must be an integer >= 1/);
      expect(call({ keys: tf.zeros([1, 3, 2]) })).toThrow(/options.keys must be \[1, 4, Dk\]/);
      expect(() =>
        mergeByImportance(tokens, { importance: tf.zeros([1, 5]) as tf.Tensor2D, r: 1 }),
      ).toThrow(/importance must give \[1, 4\] scores/);
    });
  });
});

describe('fixed-count merge plan (properties)', () => {
  const input = fc
    .record({
      batchSize: fc.integer({ min: 1, max: 3 }),
      tokenCount: fc.integer({ min: 1, max: 12 }),
      keyDim: fc.integer({ min: 1, max: 3 }),
      r: fc.integer({ min: 0, max: 14 }),
      target: fc.integer({ min: 1, max: 14 }),
      protect: fc.boolean(),
      useTarget: fc.boolean(),
    })
    .chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        scores: fc.array(fc.integer({ min: 0, max: 3 }), {
          minLength: shape.batchSize * shape.tokenCount,
          maxLength: shape.batchSize * shape.tokenCount,
        }),
        keys: fc.array(fc.integer({ min: -2, max: 2 }), {
          minLength: shape.batchSize * shape.tokenCount * shape.keyDim,
          maxLength: shape.batchSize * shape.tokenCount * shape.keyDim,
        }),
      }),
    );

  it('sizes sum to N, sources partition the tokens, kept count honours r / target', () => {
    fc.assert(
      fc.property(input, ({ shape, scores, keys }) => {
        const { batchSize, tokenCount, keyDim, r, target, protect, useTarget } = shape;
        const protectedTokens = protect ? [0] : [];
        const plan = computeMergePlan(
          { batchSize, tokenCount, keyDim, scores, keys },
          useTarget ? { target, protectedTokens } : { r, protectedTokens },
        );
        const candidates = tokenCount - protectedTokens.length;
        const keptCandidates =
          candidates === 0
            ? 0
            : useTarget
              ? Math.min(candidates, Math.max(target - protectedTokens.length, 1))
              : r === 0
                ? candidates
                : Math.max(candidates - r, 1);
        for (let b = 0; b < batchSize; b++) {
          expect(plan.keptCounts[b]).toBe(keptCandidates + protectedTokens.length);
          let total = 0;
          for (let j = 0; j < plan.keptCounts[b]!; j++)
            total += plan.sizes[b * plan.outputTokens + j]!;
          expect(total).toBe(tokenCount);
          const all = plan.sources[b]!.flatMap((s) => [...s]).sort((x, y) => x - y);
          expect(all).toEqual(Array.from({ length: tokenCount }, (_, i) => i));
          if (protect) expect([...plan.sources[b]![0]!]).toEqual([0]);
        }
      }),
    );
  });
});
