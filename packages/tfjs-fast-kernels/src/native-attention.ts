import {
  customGrad,
  engine,
  type GradSaveFunc,
  getBackend,
  getKernel,
  type KernelConfig,
  matMul,
  mul,
  type NamedAttrMap,
  sub,
  sum,
  type Tensor,
  type Tensor2D,
  type Tensor4D,
} from '@tensorflow/tfjs-core';
import { attentionCore, attentionCoreRuns } from './attention-core.js';
import { mergeHeads, splitHeads } from './attention-heads.js';
import { FusedKernelName } from './fused-kernel-names.js';
import { requiredInput } from './kernel-inputs.js';
import { nativeFusedKernels } from './native-fused.js';
import { softmax } from './softmax.js';
import { asWasmHeapBackend, heapAddress } from './wasm-heap.js';

/** B and H of `packedSelfAttention`: qkv's rows are B runs of N tokens, D split into H heads. */
export interface PackedAttentionShape {
  batch: number;
  heads: number;
}

function checkPacked(name: string, shape: number[], { batch, heads }: PackedAttentionShape): void {
  const [rows, columns] = shape as [number, number];
  if (
    shape.length !== 2 ||
    !Number.isInteger(batch) ||
    batch < 1 ||
    rows % batch !== 0 ||
    !Number.isInteger(heads) ||
    heads < 1 ||
    columns % (3 * heads) !== 0
  )
    throw new Error(
      `tfjs-fast-kernels ${name}: qkv [${shape}] must be [B N, 3 D] with B = ${batch} dividing the rows and H = ${heads} dividing D`,
    );
}

function wasmBackendOf(backend: unknown, kernelName: string) {
  const wasm = asWasmHeapBackend(backend);
  const native = nativeFusedKernels();
  if (typeof wasm === 'string' || native == null || typeof native.attentionForward !== 'function')
    throw new Error(
      `tfjs-fast-kernels ${kernelName}: runs only on wasm with the native addon's fused kernels on (${typeof wasm === 'string' ? wasm : 'addon kernels off'})`,
    );
  return { wasm, native };
}

/**
 * The native attention core (native/attention-core.c): {qkv [B N, 3D]}, attrs {batch, heads}
 * -> [out [B N, D], probabilities [B, H, N, N]]; and its gradient {dy, qkv, probabilities}
 * -> dqkv [B N, 3D]. Registered on wasm where the addon loaded; `packedSelfAttention` is the
 * op (the gradient is wired there, through customGrad).
 */
export const nativeAttentionKernels: KernelConfig[] = [
  {
    kernelName: FusedKernelName.nativeAttention,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const qkv = requiredInput(args.inputs, 'qkv', FusedKernelName.nativeAttention);
      const attrs = args.attrs as unknown as PackedAttentionShape;
      checkPacked(FusedKernelName.nativeAttention, qkv.shape, attrs);
      const { wasm, native } = wasmBackendOf(args.backend, FusedKernelName.nativeAttention);
      const [rows, columns] = qkv.shape as [number, number];
      const tokens = rows / attrs.batch;
      const width = columns / 3;
      const out = wasm.makeOutput([rows, width], 'float32');
      const probabilities = wasm.makeOutput([attrs.batch, attrs.heads, tokens, tokens], 'float32');
      native.attentionForward(
        wasm.wasm.HEAPU8.buffer as ArrayBuffer,
        heapAddress(wasm, qkv).offset,
        heapAddress(wasm, out).offset,
        heapAddress(wasm, probabilities).offset,
        attrs.batch,
        tokens,
        attrs.heads,
        width,
      );
      return [out, probabilities];
    },
  },
  {
    kernelName: FusedKernelName.nativeAttentionGrad,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const name = FusedKernelName.nativeAttentionGrad;
      const dy = requiredInput(args.inputs, 'dy', name);
      const qkv = requiredInput(args.inputs, 'qkv', name);
      const probabilities = requiredInput(args.inputs, 'probabilities', name);
      const attrs = args.attrs as unknown as PackedAttentionShape;
      checkPacked(name, qkv.shape, attrs);
      const [rows, columns] = qkv.shape as [number, number];
      const tokens = rows / attrs.batch;
      if (
        dy.shape.join() !== [rows, columns / 3].join() ||
        probabilities.shape.join() !== [attrs.batch, attrs.heads, tokens, tokens].join()
      )
        throw new Error(
          `tfjs-fast-kernels ${name}: dy [${dy.shape}] or probabilities [${probabilities.shape}] do not fit qkv [${qkv.shape}]`,
        );
      const { wasm, native } = wasmBackendOf(args.backend, name);
      const dqkv = wasm.makeOutput([rows, columns], 'float32');
      native.attentionBackward(
        wasm.wasm.HEAPU8.buffer as ArrayBuffer,
        heapAddress(wasm, dy).offset,
        heapAddress(wasm, qkv).offset,
        heapAddress(wasm, probabilities).offset,
        heapAddress(wasm, dqkv).offset,
        attrs.batch,
        tokens,
        attrs.heads,
        columns / 3,
      );
      return dqkv;
    },
  },
];

/** Whether the native attention core serves the active backend now. */
function nativeAttentionRuns(): boolean {
  return (
    getKernel(FusedKernelName.nativeAttention, getBackend()) != null &&
    typeof nativeFusedKernels()?.attentionForward === 'function'
  );
}

/** The softmax gradient y (dy - sum(dy y)): the fused kernel where registered, else ops. */
function softmaxGrad(dy: Tensor, y: Tensor): Tensor {
  if (getKernel(FusedKernelName.softmaxGrad, getBackend()) != null)
    return engine().runKernel(FusedKernelName.softmaxGrad, { dy, y }) as Tensor;
  const dot = sum(mul(dy, y), -1, true);
  return mul(y, sub(dy, dot));
}

/**
 * The composition the native core stands for, as one tape node: heads split out of qkv
 * (q scaled by 1/sqrt(d)), softmax(q k^T) v, heads merged; the backward pass writes q's, k's
 * and v's gradients back as one packed matrix.
 */
export function packedSelfAttentionComposition(
  qkv: Tensor2D,
  { batch, heads }: PackedAttentionShape,
): Tensor2D {
  const width = (qkv.shape[1] as number) / 3;
  const scale = 1 / Math.sqrt(width / heads);
  return customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [packed, save] = args as [Tensor2D, GradSaveFunc];
    const take = (offset: number, factor: number) =>
      splitHeads(packed, { batch, heads, offset, width, scale: factor });
    const q = take(0, scale);
    const k = take(width, 1);
    const v = take(2 * width, 1);
    const probabilities = softmax(matMul(q, k, false, true));
    save([q, k, v, probabilities]);
    return {
      value: mergeHeads([matMul(probabilities, v) as Tensor4D], [1]),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [qs, ks, vs, ps] = saved as [Tensor4D, Tensor4D, Tensor4D, Tensor4D];
        const dContext = splitHeads(dy as Tensor2D, { batch, heads, offset: 0, width, scale: 1 });
        const dScores = softmaxGrad(matMul(dContext, vs, false, true), ps);
        const dq = matMul(dScores, ks) as Tensor4D;
        const dk = matMul(dScores, qs, true, false) as Tensor4D;
        const dv = matMul(ps, dContext, true, false) as Tensor4D;
        // q's heads were scaled on the way in: the merge scales their gradient back.
        return [mergeHeads([dq, dk, dv], [scale, 1, 1])];
      },
    };
  })(qkv) as Tensor2D;
}

/**
 * Multi-head self-attention's core over a packed q|k|v projection: qkv [B N, 3D] ->
 * [B N, D], softmax(q k^T / sqrt(D/H)) v per batch item and head, the heads side by side.
 * Where the native addon's fused kernels run (enableFastKernels with the addon), one native
 * call each way, threaded over (batch, head) pairs; else, where enableFastKernels registered
 * the attention core, `attentionCore` (one SIMD kernel each way on wasm); elsewhere the same
 * composition as one tape node (`packedSelfAttentionComposition`). Not bit-identical between the two (the
 * scale is applied inside the product); the error bound is in the README.
 */
export function packedSelfAttention(qkv: Tensor2D, shape: PackedAttentionShape): Tensor2D {
  checkPacked('packedSelfAttention', qkv.shape, shape);
  if (!nativeAttentionRuns()) {
    if (!attentionCoreRuns()) return packedSelfAttentionComposition(qkv, shape);
    const width = (qkv.shape[1] as number) / 3;
    return attentionCore([qkv], {
      batch: shape.batch,
      heads: shape.heads,
      width,
      sources: [0, 0, 0],
      offsets: [0, width, 2 * width],
    });
  }
  const attrs = { batch: shape.batch, heads: shape.heads } as unknown as NamedAttrMap;
  return customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [packed, save] = args as [Tensor2D, GradSaveFunc];
    const [out, probabilities] = engine().runKernel(
      FusedKernelName.nativeAttention,
      { qkv: packed },
      attrs,
    ) as [Tensor2D, Tensor4D];
    save([packed, probabilities as Tensor4D]);
    // save() kept its own reference where a gradient is recorded; this one is not returned.
    probabilities.dispose();
    return {
      value: out as Tensor2D,
      gradFunc: (dy: Tensor, saved: Tensor[]) => [
        engine().runKernel(
          FusedKernelName.nativeAttentionGrad,
          { dy, qkv: saved[0] as Tensor, probabilities: saved[1] as Tensor },
          attrs,
        ) as Tensor,
      ],
    };
  })(qkv) as Tensor2D;
}
