import { afterAll, describe, expect, it } from 'vitest';
import {
  disableFastKernels,
  enableFastKernels,
  packedSelfAttention,
  packedSelfAttentionComposition,
} from '../src/index.js';
import { nativeFusedKernels } from '../src/native-fused.js';
import { seededValues, tf } from './backends.js';
import { nativeLoad, requireNative } from './engines.js';
import { FUSED_BOUNDS, relativeGap } from './fused-bounds.js';

/**
 * packedSelfAttention (native/attention-core.c with the addon, its one-node composition
 * without) against the stock tfjs composition on cpu: value and qkv's gradient of
 * sum(attention(qkv) * w), within FUSED_BOUNDS.packedSelfAttention of the largest reference
 * magnitude. Shapes leave tails that fill no vector (head width 3, 7 or 37 tokens) and give
 * more (batch, head) pairs than threads.
 */

interface Case {
  batch: number;
  tokens: number;
  width: number;
  heads: number;
}
const cases: Case[] = [
  { batch: 2, tokens: 7, width: 12, heads: 4 },
  { batch: 3, tokens: 37, width: 64, heads: 2 },
  { batch: 2, tokens: 197, width: 64, heads: 4 },
];

/** The block's stock attention: split, reshape, transpose, scale, softmax, merge. */
function stockAttention(qkv: tf.Tensor2D, { batch, tokens, width, heads }: Case): tf.Tensor2D {
  const d = width / heads;
  const [q, k, v] = tf
    .split(qkv, 3, 1)
    .map((part) => tf.transpose(tf.reshape(part, [batch, tokens, heads, d]), [0, 2, 1, 3]));
  const scores = tf.matMul(tf.mul(q!, 1 / Math.sqrt(d)), k!, false, true);
  const context = tf.matMul(tf.softmax(scores), v!);
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * tokens, width]);
}

function valueAndGrad(op: (qkv: tf.Tensor2D) => tf.Tensor2D, c: Case): Float32Array[] {
  return tf.tidy(() => {
    const qkv = tf.tensor2d(seededValues(c.batch * c.tokens * 3 * c.width, 5), [
      c.batch * c.tokens,
      3 * c.width,
    ]);
    // Scaled so the softmax is far from uniform.
    const scaled = tf.mul(qkv, 2) as tf.Tensor2D;
    const out = op(scaled);
    const w = tf.tensor(seededValues(out.size, 99), out.shape);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(op(x as tf.Tensor2D), w)))(scaled);
    return [out, grad].map((t) => Float32Array.from(t.dataSync()));
  });
}

function relativeGaps(actual: Float32Array[], expected: Float32Array[]): number[] {
  return actual.map((values, i) => relativeGap(values, expected[i] as Float32Array));
}

async function stockOnCpu(c: Case): Promise<Float32Array[]> {
  disableFastKernels();
  await tf.setBackend('cpu');
  return valueAndGrad((qkv) => stockAttention(qkv, c), c);
}

afterAll(() => disableFastKernels());

describe('packedSelfAttention without the addon (the one-node composition)', () => {
  for (const c of cases) {
    it(`matches the stock composition at B${c.batch} N${c.tokens} D${c.width} H${c.heads}`, async () => {
      const expected = await stockOnCpu(c);
      await tf.setBackend('wasm');
      await enableFastKernels({ native: 'off' });
      const shape = { batch: c.batch, heads: c.heads };
      const actual = valueAndGrad((qkv) => packedSelfAttention(qkv, shape), c);
      for (const gap of relativeGaps(actual, expected))
        expect(gap).toBeLessThan(FUSED_BOUNDS.packedSelfAttention);
      // On cpu the composition runs from plain ops and JS kernels.
      await tf.setBackend('cpu');
      const onCpu = valueAndGrad((qkv) => packedSelfAttentionComposition(qkv, shape), c);
      for (const gap of relativeGaps(onCpu, expected))
        expect(gap).toBeLessThan(FUSED_BOUNDS.packedSelfAttention);
      // With no kernel of this package registered: stock ops only.
      disableFastKernels();
      const stockOps = valueAndGrad((qkv) => packedSelfAttentionComposition(qkv, shape), c);
      for (const gap of relativeGaps(stockOps, expected))
        expect(gap).toBeLessThan(FUSED_BOUNDS.packedSelfAttention);
    });
  }
});

describe.skipIf(!nativeLoad.loaded && !requireNative)(
  `packedSelfAttention on the native attention core${nativeLoad.loaded || requireNative ? '' : ` — SKIPPED: ${nativeLoad.reason}`}`,
  () => {
    for (const c of cases) {
      it(`matches the stock composition at B${c.batch} N${c.tokens} D${c.width} H${c.heads}, the same bits on every call`, async () => {
        const expected = await stockOnCpu(c);
        await tf.setBackend('wasm');
        await enableFastKernels({ native: 'require' });
        expect(typeof nativeFusedKernels()?.attentionForward).toBe('function');
        const shape = { batch: c.batch, heads: c.heads };
        const actual = valueAndGrad((qkv) => packedSelfAttention(qkv, shape), c);
        for (const gap of relativeGaps(actual, expected))
          expect(gap).toBeLessThan(FUSED_BOUNDS.packedSelfAttention);
        const again = valueAndGrad((qkv) => packedSelfAttention(qkv, shape), c);
        expect(again.map((a) => Array.from(a))).toEqual(actual.map((a) => Array.from(a)));
      });
    }

    it('runs one kernel forward and one backward (no head copies or softmax passes)', async () => {
      await tf.setBackend('wasm');
      await enableFastKernels({ native: 'require' });
      const c = cases[1]!;
      const qkv = tf.tensor2d(seededValues(c.batch * c.tokens * 3 * c.width, 5), [
        c.batch * c.tokens,
        3 * c.width,
      ]);
      const info = await tf.profile(() =>
        tf.grad((x: tf.Tensor) => tf.sum(packedSelfAttention(x as tf.Tensor2D, c)))(qkv),
      );
      const names = info.kernels.map((k) => k.name);
      expect(names.filter((n) => n.startsWith('SparsifyNativeAttention'))).toEqual([
        'SparsifyNativeAttention',
        'SparsifyNativeAttentionGrad',
      ]);
      expect(names.filter((n) => /Heads|Softmax|MatMul/.test(n))).toEqual([]);
      qkv.dispose();
    });
  },
);
