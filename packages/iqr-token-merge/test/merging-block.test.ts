import { beforeAll, describe, expect, it } from 'vitest';
import {
  mergingBlock,
  mergingTransformer,
  multiHeadAttention,
  type PreNormBlock,
  preNormBlockFromLayers,
  tokenSequence,
} from '../src/index.js';
import { BACKENDS, expectAllClose, tf, useBackend } from './fixtures.js';

const WIDTH = 8;
const HEADS = 2;

/** A pre-norm block over plain variables, as a user would write it. */
function plainBlock(seed: number): { block: PreNormBlock; variables: tf.Variable[] } {
  const weight = (rows: number, columns: number, salt: number) =>
    tf.variable(tf.randomNormal([rows, columns], 0, 0.3, 'float32', seed * 10 + salt));
  const wqkv = weight(WIDTH, 3 * WIDTH, 1);
  const wproj = weight(WIDTH, WIDTH, 2);
  const w1 = weight(WIDTH, 2 * WIDTH, 3);
  const w2 = weight(2 * WIDTH, WIDTH, 4);
  const dense = (x: tf.Tensor3D, w: tf.Variable) => {
    const [b, n, d] = x.shape;
    return tf.reshape(tf.matMul(tf.reshape(x, [b * n, d]), w), [b, n, w.shape[1]!]) as tf.Tensor3D;
  };
  const norm = (x: tf.Tensor3D) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))) as tf.Tensor3D;
  };
  const block: PreNormBlock = {
    heads: HEADS,
    norm1: norm,
    qkv: (x) => {
      const [q, k, v] = tf.split(dense(x, wqkv), 3, 2) as tf.Tensor3D[];
      return { q: q!, k: k!, v: v! };
    },
    proj: (x) => dense(x, wproj),
    norm2: norm,
    mlp: (x) => dense(tf.relu(dense(x, w1)), w2),
  };
  return { block, variables: [wqkv, wproj, w1, w2] };
}

/** The same block without merging, written out: the reference a merging block must match at r = 0. */
function denseReference(block: PreNormBlock, x: tf.Tensor3D): tf.Tensor3D {
  const { q, k, v } = block.qkv(block.norm1(x));
  const { output } = multiHeadAttention(q, k, v, block.heads);
  const h = tf.add(x, block.proj(output)) as tf.Tensor3D;
  return tf.add(h, block.mlp(block.norm2(h))) as tf.Tensor3D;
}

describe.each(BACKENDS)('mergingBlock on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('with r = 0 (or enabled: false) is exactly the dense block', () => {
    tf.tidy(() => {
      const { block } = plainBlock(1);
      const x = tf.randomNormal([2, 7, WIDTH], 0, 1, 'float32', 2) as tf.Tensor3D;
      const reference = denseReference(block, x).dataSync();
      expectAllClose(mergingBlock(block, { r: 0 })(x).tokens.dataSync(), reference, 4);
      expectAllClose(mergingBlock(block, { enabled: false })(x).tokens.dataSync(), reference, 4);
    });
  });

  it('a transformer with r = 2 shortens 9 -> 7 -> 5 -> 3 and keeps the class token first', () => {
    tf.tidy(() => {
      const blocks = [1, 2, 3].map((seed) => plainBlock(seed).block);
      const encoder = mergingTransformer(blocks, { r: 2, importance: 'cls' });
      const out = encoder(tf.randomNormal([2, 9, WIDTH], 0, 1, 'float32', 4) as tf.Tensor3D);
      expect(encoder.lengths).toEqual([7, 5, 3]);
      expect(out.tokens.shape).toEqual([2, 3, WIDTH]);
      expect([...out.sizes.dataSync()].filter((_, i) => i % 3 === 0)).toEqual([1, 1]);
      for (const sample of out.sources!) {
        expect([...sample[0]!]).toEqual([0]);
        expect(sample.flatMap((s) => [...s]).sort((a, b) => a - b)).toEqual([
          0, 1, 2, 3, 4, 5, 6, 7, 8,
        ]);
      }
      // ToMe's model.r = 16: the rule is shared and read on every call
      encoder.merge.r = 1;
      encoder(tf.randomNormal([1, 9, WIDTH], 0, 1, 'float32', 5) as tf.Tensor3D);
      expect(encoder.lengths).toEqual([8, 7, 6]);
    });
  });

  it('the IQR fence with a minimum keeps per-sample counts, padding masked', () => {
    tf.tidy(() => {
      const blocks = [1, 2].map((seed) => plainBlock(seed).block);
      const encoder = mergingTransformer(blocks, { minKeep: 4, protectedTokens: [0] });
      const out = encoder(tf.randomNormal([3, 16, WIDTH], 0, 1, 'float32', 6) as tf.Tensor3D);
      const [batch, length] = out.tokens.shape;
      expect(batch).toBe(3);
      expect(length).toBeLessThanOrEqual(15);
      const sizes = out.sizes.arraySync();
      const pad = out.padMask.arraySync();
      for (let b = 0; b < 3; b++) {
        const real = pad[b]!.filter((p) => p === 0).length;
        // block 1 keeps the class token and >= 4 of 15; block 2 keeps >= min(4, n - 1) of
        // those n >= 4, since the fence always merges at least one token
        expect(real).toBeGreaterThanOrEqual(1 + 3);
        expect(real).toBeLessThan(16);
        expect(sizes[b]!.reduce((a, s) => a + s, 0)).toBe(16);
        pad[b]!.forEach((p, j) => {
          if (p === 1) expect(sizes[b]![j]).toBe(0);
          else expect(sizes[b]![j]).toBeGreaterThanOrEqual(1);
        });
      }
    });
  });

  it('importance from a query (a question) runs through the block q projection', () => {
    tf.tidy(() => {
      const { block } = plainBlock(7);
      const x = tf.randomNormal([2, 10, WIDTH], 0, 1, 'float32', 8) as tf.Tensor3D;
      const question = tf.randomNormal([2, 3, WIDTH], 0, 1, 'float32', 9) as tf.Tensor3D;
      const out = mergingBlock(block, { target: 4 })(x, {
        query: question,
        queryPadMask: tf.tensor2d([
          [0, 0, 1],
          [0, 0, 0],
        ]),
      });
      expect(out.tokens.shape).toEqual([2, 4, WIDTH]);
    });
  });

  it('proportional attention: a token of size s draws the attention of s copies', () => {
    tf.tidy(() => {
      const { block } = plainBlock(11);
      const rows = tf.randomNormal([1, 3, WIDTH], 0, 1, 'float32', 12);
      // token 1 duplicated: 4 tokens of size 1, or 3 tokens with token 1 of size 2
      const duplicated = tf.gather(rows, [0, 1, 1, 2], 1) as tf.Tensor3D;
      const wide = mergingBlock(block, { enabled: false })(duplicated).tokens;
      const merged = mergingBlock(block, { enabled: false })({
        tokens: rows as tf.Tensor3D,
        sizes: tf.tensor2d([[1, 2, 1]]),
        padMask: tf.zeros([1, 3]),
        sources: null,
      }).tokens;
      expectAllClose(merged.dataSync(), tf.gather(wide, [0, 1, 3], 1).dataSync(), 4);
    });
  });

  it('trains: gradients reach every weight and the input through the merges', () => {
    const parts = [1, 2].map(plainBlock);
    const encoder = mergingTransformer(
      parts.map((p) => p.block),
      { r: 3, importance: 'cls' },
    );
    const x = tf.randomNormal([2, 9, WIDTH], 0, 1, 'float32', 13) as tf.Tensor3D;
    const variables = parts.flatMap((p) => p.variables);
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(encoder(x).tokens)) as tf.Scalar,
      variables,
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const variable of variables) {
      const norm = tf.tidy(() => tf.norm(grads[variable.name]!).dataSync()[0]!);
      expect(norm).toBeGreaterThan(0);
      expect(Number.isFinite(norm)).toBe(true);
    }
    const inputGradient = tf.grad((input: tf.Tensor) =>
      tf.mean(tf.square(encoder(input as tf.Tensor3D).tokens)),
    )(x);
    expect(inputGradient.shape).toEqual([2, 9, WIDTH]);
    expect(tf.tidy(() => tf.norm(inputGradient).dataSync()[0]!)).toBeGreaterThan(0);
    tf.dispose([x, value, inputGradient, ...Object.values(grads), ...variables]);
  });

  it('takes tf.layers layers through preNormBlockFromLayers (fused or separate q, k, v)', () => {
    tf.tidy(() => {
      const dense = (units: number, activation?: 'relu') =>
        tf.layers.dense({ units, activation, kernelInitializer: 'glorotNormal' });
      const [qkv, proj, hidden, out] = [
        dense(3 * WIDTH),
        dense(WIDTH),
        dense(2 * WIDTH, 'relu'),
        dense(WIDTH),
      ];
      const [norm1, norm2] = [tf.layers.layerNormalization(), tf.layers.layerNormalization()];
      const fromLayers = preNormBlockFromLayers({
        heads: HEADS,
        norm1,
        qkv,
        proj,
        norm2,
        mlp: [hidden, out],
      });
      const x = tf.randomNormal([2, 10, WIDTH], 0, 1, 'float32', 14) as tf.Tensor3D;
      const result = mergingBlock(fromLayers, { r: 4 })(x);
      expect(result.tokens.shape).toEqual([2, 6, WIDTH]);
      // the same layers written out by hand give the same block
      const apply = (layer: tf.layers.Layer, t: tf.Tensor3D) => layer.apply(t) as tf.Tensor3D;
      const byHand: PreNormBlock = {
        heads: HEADS,
        norm1: (t) => apply(norm1, t),
        qkv: (t) => {
          const [q, k, v] = tf.split(apply(qkv, t), 3, 2) as tf.Tensor3D[];
          return { q: q!, k: k!, v: v! };
        },
        proj: (t) => apply(proj, t),
        norm2: (t) => apply(norm2, t),
        mlp: (t) => apply(out, apply(hidden, t)),
      };
      expectAllClose(
        mergingBlock(byHand, { r: 4 })(x).tokens.dataSync(),
        result.tokens.dataSync(),
        5,
      );
      // separate projections: q, k, v as three layers
      const separate = preNormBlockFromLayers({
        heads: HEADS,
        norm1,
        query: dense(WIDTH),
        key: dense(WIDTH),
        value: dense(WIDTH),
        proj,
        norm2,
        mlp: [hidden, out],
      });
      expect(mergingBlock(separate, { target: 3 })(x).tokens.shape).toEqual([2, 3, WIDTH]);
      expect(() =>
        preNormBlockFromLayers({ heads: HEADS, norm1, qkv, query: qkv, proj, norm2, mlp: out }),
      ).toThrow(/either qkv or all of query, key and value/);
      const broken = preNormBlockFromLayers({
        heads: HEADS,
        norm1,
        qkv,
        proj,
        norm2,
        mlp: { apply: () => 'nope' },
      });
      expect(() => mergingBlock(broken, { r: 1 })(x)).toThrow(/mlp\[0\]\.apply must map/);
    });
  });

  it('a fresh sequence holds every token once', () => {
    tf.tidy(() => {
      const sequence = tokenSequence(tf.zeros([2, 3, 4]) as tf.Tensor3D);
      expect([...sequence.sizes.dataSync()]).toEqual([1, 1, 1, 1, 1, 1]);
      expect([...sequence.padMask.dataSync()]).toEqual([0, 0, 0, 0, 0, 0]);
      expect(sequence.sources).toBeNull();
      expect(() => tokenSequence(tf.zeros([2, 3]) as unknown as tf.Tensor3D)).toThrow(
        /tokens must be \[B, N, D\]/,
      );
    });
  });
});
