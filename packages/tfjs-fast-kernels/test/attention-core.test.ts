import v8 from 'node:v8';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AttentionCoreAttrs,
  attentionCore,
  disableFastKernels,
  enableFastKernels,
  fmaBuildSupport,
  mergeHeads,
  softmax,
  splitHeads,
} from '../src/index.js';
import { seededValues, tf } from './backends.js';
import { FUSED_BOUNDS, relativeGap } from './fused-bounds.js';

/**
 * attentionCore (SparsifyAttention / SparsifyAttentionGrad: SIMD on wasm, JS loops on cpu)
 * against the stock tfjs composition on cpu with none of this package's kernels: the value
 * and every input's gradient of sum(attention * w), within FUSED_BOUNDS.attentionCore of the
 * largest reference magnitude. On wasm it is also checked bit for bit against the separate
 * fused kernels it replaces (splitHeads, BatchMatMul, softmax, mergeHeads), which run the
 * same SIMD steps on the same layouts.
 */

// Node 20 validates relaxed SIMD (the FMA build) only behind this V8 flag, as in fma-build.test.ts.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

interface Case {
  name: string;
  batch: number;
  queries: number;
  keys: number;
  width: number;
  heads: number;
  /** Self-attention: q|k|v packed in one input; else q alone and k|v packed. */
  packed: boolean;
  bias: boolean;
}

const cases: Case[] = [
  {
    name: 'the demo block',
    batch: 4,
    queries: 80,
    keys: 80,
    width: 64,
    heads: 4,
    packed: true,
    bias: false,
  },
  {
    name: 'odd head width, odd tokens, bias',
    batch: 2,
    queries: 7,
    keys: 7,
    width: 15,
    heads: 5,
    packed: true,
    bias: true,
  },
  {
    name: 'cross-attention to 14 keys, bias',
    batch: 3,
    queries: 37,
    keys: 14,
    width: 64,
    heads: 4,
    packed: false,
    bias: true,
  },
  {
    name: 'one token, one item',
    batch: 1,
    queries: 1,
    keys: 1,
    width: 8,
    heads: 2,
    packed: true,
    bias: false,
  },
  {
    name: 'one key, many queries',
    batch: 2,
    queries: 9,
    keys: 1,
    width: 12,
    heads: 3,
    packed: false,
    bias: true,
  },
];

function layoutOf(c: Case): AttentionCoreAttrs {
  return c.packed
    ? {
        batch: c.batch,
        heads: c.heads,
        width: c.width,
        sources: [0, 0, 0],
        offsets: [0, c.width, 2 * c.width],
      }
    : {
        batch: c.batch,
        heads: c.heads,
        width: c.width,
        sources: [0, 1, 1],
        offsets: [0, 0, c.width],
      };
}

function inputsOf(c: Case, seed: number): tf.Tensor2D[] {
  // Scaled so the softmax is far from uniform.
  const make = (rows: number, columns: number, s: number) =>
    tf.mul(tf.tensor2d(seededValues(rows * columns, s), [rows, columns]), 2) as tf.Tensor2D;
  return c.packed
    ? [make(c.batch * c.queries, 3 * c.width, seed)]
    : [make(c.batch * c.queries, c.width, seed), make(c.batch * c.keys, 2 * c.width, seed + 1)];
}

function biasOf(c: Case, seed: number): tf.Tensor2D | null {
  if (!c.bias) return null;
  // log-sizes and a padding slot, as the encoder's key bias after token merging.
  const values = seededValues(c.batch * c.keys, seed).map((v) => Math.log(1 + 3 * Math.abs(v)));
  if (c.keys > 1) values[c.keys - 1] = -1e9;
  return tf.tensor2d(values, [c.batch, c.keys]);
}

type Op = (xs: tf.Tensor2D[], attrs: AttentionCoreAttrs, bias: tf.Tensor2D | null) => tf.Tensor2D;

function columnsOf(xs: tf.Tensor2D[], attrs: AttentionCoreAttrs, role: number): tf.Tensor2D {
  const x = xs[attrs.sources[role]!]!;
  return tf.slice(x, [0, attrs.offsets[role]!], [x.shape[0], attrs.width]);
}

/** The stock composition: slice, reshape, transpose, scale, q k^T, + bias, softmax, v, merge. */
const stockOp: Op = (xs, attrs, bias) => {
  const { batch, heads, width } = attrs;
  const d = width / heads;
  const [q, k, v] = [0, 1, 2].map((role) => {
    const part = columnsOf(xs, attrs, role);
    return tf.transpose(tf.reshape(part, [batch, part.shape[0] / batch, heads, d]), [0, 2, 1, 3]);
  });
  let scores = tf.matMul(tf.mul(q!, 1 / Math.sqrt(d)), k!, false, true);
  if (bias != null) scores = tf.add(scores, tf.reshape(bias, [batch, 1, 1, bias.shape[1]]));
  const context = tf.matMul(tf.softmax(scores), v!);
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [(q!.shape[2] as number) * batch, width]);
};

/** The separate fused kernels the core replaces (the encoder's path before it). */
const separateKernelsOp: Op = (xs, attrs, bias) => {
  const { batch, heads, width } = attrs;
  const scale = 1 / Math.sqrt(width / heads);
  const take = (role: number, factor: number) =>
    splitHeads(xs[attrs.sources[role]!]!, {
      batch,
      heads,
      offset: attrs.offsets[role]!,
      width,
      scale: factor,
    });
  const probabilities = softmax(
    tf.matMul(take(0, scale), take(1, 1), false, true),
    bias ?? undefined,
  );
  return mergeHeads([tf.matMul(probabilities, take(2, 1)) as tf.Tensor4D], [1]);
};

const coreOp: Op = (xs, attrs, bias) => attentionCore(xs, attrs, bias);

function valueAndGrads(op: Op, c: Case, seed = 5): Float32Array[] {
  return tf.tidy(() => {
    const xs = inputsOf(c, seed);
    const bias = biasOf(c, seed + 7);
    const attrs = layoutOf(c);
    const out = op(xs, attrs, bias);
    const w = tf.tensor(seededValues(out.size, seed + 99), out.shape);
    const grads = tf.grads((...ys: tf.Tensor[]) =>
      tf.sum(tf.mul(op(ys as tf.Tensor2D[], attrs, bias), w)),
    )(xs);
    return [out, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}

function relativeGaps(actual: Float32Array[], expected: Float32Array[]): number[] {
  expect(actual.length).toBe(expected.length);
  return actual.map((values, i) => relativeGap(values, expected[i] as Float32Array));
}

async function stockOnCpu(c: Case, seed = 5): Promise<Float32Array[]> {
  disableFastKernels();
  await tf.setBackend('cpu');
  return valueAndGrads(stockOp, c, seed);
}

afterAll(() => disableFastKernels());

describe('attentionCore', () => {
  for (const c of cases) {
    it(`matches the stock composition on cpu and wasm: ${c.name}`, async () => {
      const expected = await stockOnCpu(c);
      for (const backend of ['cpu', 'wasm'] as const) {
        await tf.setBackend(backend);
        await enableFastKernels({ native: 'off' });
        const actual = valueAndGrads(coreOp, c);
        for (const gap of relativeGaps(actual, expected))
          expect(gap).toBeLessThan(FUSED_BOUNDS.attentionCore);
      }
    });
  }

  for (const c of cases) {
    it(`gives the separate fused kernels' floats on wasm, bit for bit: ${c.name}`, async () => {
      await tf.setBackend('wasm');
      await enableFastKernels({ native: 'off' });
      const separate = valueAndGrads(separateKernelsOp, c);
      const fused = valueAndGrads(coreOp, c);
      expect(fused.map((a) => Array.from(a))).toEqual(separate.map((a) => Array.from(a)));
    });
  }

  // The core reads v (forward), k and dy (backward) and writes the output, dk and dv in place
  // inside their rows (issue 23o): the products' sums keep their order, so every float stays
  // that of the separate kernels, on both SIMD builds, for head widths below, at and above a
  // 16-column block, odd token counts (a row pair and a single row) and keys not a
  // multiple of 4.
  it("gives the separate fused kernels' floats bit for bit for any shape, on both SIMD builds (property)", async () => {
    const builds: ('off' | 'auto')[] = fmaBuildSupport().available ? ['off', 'auto'] : ['off'];
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      queries: fc.integer({ min: 1, max: 23 }),
      keys: fc.integer({ min: 1, max: 23 }),
      heads: fc.integer({ min: 1, max: 3 }),
      depth: fc.integer({ min: 1, max: 21 }),
      packed: fc.boolean(),
      bias: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    await tf.setBackend('wasm');
    for (const fma of builds) {
      await enableFastKernels({ native: 'off', fma });
      fc.assert(
        fc.property(shapes, (s) => {
          const c: Case = {
            name: 'property',
            batch: s.batch,
            queries: s.queries,
            keys: s.packed ? s.queries : s.keys,
            width: s.heads * s.depth,
            heads: s.heads,
            packed: s.packed,
            bias: s.bias,
          };
          const separate = valueAndGrads(separateKernelsOp, c, s.seed);
          const fused = valueAndGrads(coreOp, c, s.seed);
          expect(
            fused.map((a) => Array.from(a)),
            JSON.stringify({ ...s, fma }),
          ).toEqual(separate.map((a) => Array.from(a)));
        }),
        { numRuns: 25, seed: 231 },
      );
    }
    await enableFastKernels({ native: 'off' });
  }, 60_000);

  it('runs one kernel forward and one backward on wasm, and leaks no tensor', async () => {
    await tf.setBackend('wasm');
    await enableFastKernels({ native: 'off' });
    const c = cases[2]!;
    const before = tf.memory().numTensors;
    const xs = tf.tidy(() => inputsOf(c, 5));
    const bias = biasOf(c, 12);
    const info = await tf.profile(() =>
      tf.grads((...ys: tf.Tensor[]) => tf.sum(coreOp(ys as tf.Tensor2D[], layoutOf(c), bias)))(xs),
    );
    tf.dispose(info.result as tf.Tensor[]);
    tf.dispose([...xs, bias!]);
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n.startsWith('SparsifyAttention'))).toEqual([
      'SparsifyAttention',
      'SparsifyAttentionGrad',
    ]);
    expect(names.filter((n) => /Heads|Softmax|BatchMatMul|Transpose/.test(n))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the kernel, the inputs and the reason on a bad layout', async () => {
    await tf.setBackend('cpu');
    await enableFastKernels({ native: 'off' });
    const x = tf.zeros([8, 30]) as tf.Tensor2D;
    expect(() =>
      attentionCore([x], { batch: 2, heads: 2, width: 8, sources: [0, 0, 0], offsets: [0, 8, 16] }),
    ).toThrow(/SparsifyAttention: x0 is not covered exactly.*\[8,30\]/);
    expect(() =>
      attentionCore([tf.zeros([8, 24]) as tf.Tensor2D], {
        batch: 3,
        heads: 2,
        width: 8,
        sources: [0, 0, 0],
        offsets: [0, 8, 16],
      }),
    ).toThrow(/rows a multiple of the batch/);
    tf.dispose(x);
  });

  it('holds its bound for any shape (property: batch, tokens, keys, heads, odd head widths)', async () => {
    const shapes = fc.record({
      batch: fc.integer({ min: 1, max: 3 }),
      queries: fc.integer({ min: 1, max: 21 }),
      keys: fc.integer({ min: 1, max: 21 }),
      heads: fc.integer({ min: 1, max: 3 }),
      depth: fc.integer({ min: 1, max: 9 }),
      packed: fc.boolean(),
      bias: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    await fc.assert(
      fc.asyncProperty(shapes, async (s) => {
        const c: Case = {
          name: 'property',
          batch: s.batch,
          queries: s.queries,
          keys: s.packed ? s.queries : s.keys,
          width: s.heads * s.depth,
          heads: s.heads,
          packed: s.packed,
          bias: s.bias,
        };
        const expected = await stockOnCpu(c, s.seed);
        for (const backend of ['cpu', 'wasm'] as const) {
          await tf.setBackend(backend);
          await enableFastKernels({ native: 'off' });
          const actual = valueAndGrads(coreOp, c, s.seed);
          for (const gap of relativeGaps(actual, expected))
            expect(gap, JSON.stringify({ ...s, backend })).toBeLessThan(FUSED_BOUNDS.attentionCore);
        }
      }),
      { numRuns: 15, seed: 23 },
    );
  }, 60_000);
});
