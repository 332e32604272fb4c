import { getKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import { aFollowsOutput, type MatMulPlan } from './matmul-plan.js';
import { type SimdKernels, simdKernelsFor } from './simd-kernels.js';
import { heapAddress, registerView, releaseView, type WasmHeapBackend } from './wasm-heap.js';

/** Activations XNNPACK applies as an output clamp (codes of tfjs-backend-wasm's FusableActivation). */
export const clampActivation = { linear: 0, relu: 1, relu6: 2 } as const;
export type ClampActivation = (typeof clampActivation)[keyof typeof clampActivation];

type FusedMatMulFn = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  activation: number,
  biasId: number,
  preluId: number,
  leakyAlpha: number,
  outId: number,
) => void;

const fusedMatMulByModule = new WeakMap<object, FusedMatMulFn>();

/** The C++ `_FusedMatMul` entry point; it takes XNNPACK only for batch-1 untransposed products. */
function wasmFusedMatMul(backend: WasmHeapBackend): FusedMatMulFn {
  let fn = fusedMatMulByModule.get(backend.wasm);
  if (fn == null) {
    fn = backend.wasm.cwrap('_FusedMatMul', null, [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
      'number',
      'number',
      'number',
      'number',
    ]) as FusedMatMulFn;
    fusedMatMulByModule.set(backend.wasm, fn);
  }
  return fn;
}

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

/** Swaps the last two axes with the wasm backend's own Transpose kernel. */
function transposeLastTwo(backend: WasmHeapBackend, x: TensorInfo): TensorInfo {
  const transpose = getKernel('Transpose', 'wasm');
  if (transpose == null)
    throw new Error('tfjs-fast-kernels: the wasm backend has no Transpose kernel');
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose.kernelFunc({
    inputs: { x },
    backend: backend as never,
    attrs: { perm },
  }) as TensorInfo;
}

/**
 * Products that run as the SIMD module's `matMulSlice` instead of XNNPACK: at most this
 * m k n per matrix, and B (k n floats, here up to 1 MB) small enough to stay in cache while
 * every row of A streams over it. Each XNNPACK call creates an operator and packs B, which it uses once
 * (B is an activation, a gradient or a weight that Adam replaced since the last step), and
 * runs batched products one call per matrix; at the demo model's sizes that overhead made
 * XNNPACK 8-26 GFLOP/s where matMulSlice runs 24-32 (docs/benchmarks/fused-kernels.md).
 * 2^25 takes the patch embedding ([640, 768] x [768, 64]) and its weight gradient, which
 * XNNPACK ran at 26 and 14 GFLOP/s (with the transpose), matMulSlice at 29 and 26.
 * Larger products (the block bench's) keep XNNPACK, untested against this kernel.
 */
export const SIMD_MATMUL_MAX_WORK = 1 << 25;
export const SIMD_MATMUL_MAX_B = 1 << 18;

function simdFits(plan: MatMulPlan, activation: ClampActivation): boolean {
  return (
    activation === clampActivation.linear &&
    plan.k * plan.n <= SIMD_MATMUL_MAX_B &&
    plan.m * plan.k * plan.n <= SIMD_MATMUL_MAX_WORK
  );
}

/**
 * Bytes of B that matMulSlice keeps in the L1 cache at a time (16 KB): p runs in blocks of
 * `bytes / (4 n)` rows of B (at least 16). The weight gradients' k of 640-1280 gained
 * 10-15% (29-30 GFLOP/s from 25-26). Env SPARSIFY_SIMD_BLOCK_BYTES overrides it (0: no
 * blocks), for benchmarks.
 */
let blockBytes = Number(
  (typeof process !== 'undefined' ? process.env?.SPARSIFY_SIMD_BLOCK_BYTES : undefined) ?? 16384,
);

/** Sets the bytes of B a block holds (0: no blocks); for tests. Returns the previous value. */
export function setSimdMatMulBlockBytes(bytes: number): number {
  const previous = blockBytes;
  blockBytes = bytes;
  return previous;
}

function simdBlockK(n: number): number {
  if (blockBytes <= 0) return 0;
  return Math.max(16, Math.floor(blockBytes / (4 * n)));
}

/**
 * Products of small matrices without a clamp: the SIMD module, no transposes. A bias (a
 * float32 row of n, `bias`) is added to each finished sum in the product's last pass over
 * out: the floats of the product followed by an Add of the bias, without the Add's pass and
 * launch.
 */
function simdMatMul(
  backend: WasmHeapBackend,
  simd: SimdKernels,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  plan: MatMulPlan,
  bias: TensorInfo | null,
): TensorInfo {
  const { m, k, n } = plan;
  const out = backend.makeOutput(plan.outShape, 'float32');
  const scratch = transposeB ? backend.makeOutput([k * n], 'float32') : null;
  const aOffset = heapAddress(backend, a).offset;
  const bOffset = heapAddress(backend, b).offset;
  const outOffset = heapAddress(backend, out).offset;
  const scratchOffset = scratch == null ? 0 : heapAddress(backend, scratch).offset;
  const biasOffset = bias == null ? 0 : heapAddress(backend, bias).offset;
  const blockK = simdBlockK(n);
  const ta = transposeA ? 1 : 0;
  const tb = transposeB ? 1 : 0;
  if (aFollowsOutput(plan) && !transposeA) {
    // Every matrix of A against one B: one tall product.
    simd.matMulSlice(
      aOffset,
      bOffset,
      outOffset,
      plan.batchOut * m,
      k,
      n,
      0,
      tb,
      scratchOffset,
      blockK,
      biasOffset,
    );
  } else {
    for (let o = 0; o < plan.batchOut; o++) {
      simd.matMulSlice(
        aOffset + 4 * m * k * (plan.aSlice[o] as number),
        bOffset + 4 * k * n * (plan.bSlice[o] as number),
        outOffset + 4 * m * n * o,
        m,
        k,
        n,
        ta,
        tb,
        scratchOffset,
        blockK,
        biasOffset,
      );
    }
  }
  if (scratch != null) backend.disposeData(scratch.dataId);
  return out;
}

/**
 * a b + bias (bias added to each finished sum) as one SIMD product where the product fits
 * the SIMD route and the SIMD module runs; null otherwise.
 */
export function simdMatMulWithBias(
  backend: WasmHeapBackend,
  a: TensorInfo,
  b: TensorInfo,
  plan: MatMulPlan,
  bias: TensorInfo,
): TensorInfo | null {
  if (!simdFits(plan, clampActivation.linear)) return null;
  const simd = simdKernelsFor(backend);
  if (simd == null) return null;
  return simdMatMul(backend, simd, a, b, false, false, plan, bias);
}

/**
 * [x^T dy, dy's column sums] for x [R, in] and dy [R, out] as one SIMD pass (weightBiasGrad:
 * the floats of the transposed product and of the column-sum kernel) where the product fits
 * the SIMD route and the SIMD module runs; null otherwise.
 */
export function simdWeightBiasGrad(
  backend: WasmHeapBackend,
  x: TensorInfo,
  dy: TensorInfo,
  plan: MatMulPlan,
): [TensorInfo, TensorInfo] | null {
  if (!simdFits(plan, clampActivation.linear)) return null;
  const simd = simdKernelsFor(backend);
  if (simd == null) return null;
  const { m, k, n } = plan;
  const dw = backend.makeOutput([m, n], 'float32');
  const db = backend.makeOutput([n], 'float32');
  simd.weightBiasGrad(
    heapAddress(backend, x).offset,
    heapAddress(backend, dy).offset,
    heapAddress(backend, dw).offset,
    heapAddress(backend, db).offset,
    k,
    m,
    n,
    simdBlockK(n),
  );
  return [dw, db];
}

/**
 * `out = op(a) x op(b) (+ bias) (clamped)` through XNNPACK's fully-connected operator, the
 * only fast matmul in tfjs-backend-wasm. Transposed operands are transposed first; a batch
 * of A against one B becomes a single tall GEMM (so B, often a weight, is packed once and
 * XNNPACK's cache keyed on its id stays warm); other batches run slice by slice on
 * zero-copy views of the heap. Small products run as the SIMD module's `matMulSlice`
 * instead (simdFits).
 */
export function xnnpackMatMul(
  backend: WasmHeapBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  plan: MatMulPlan,
  bias: TensorInfo | null,
  activation: ClampActivation,
): TensorInfo {
  const { m, k, n } = plan;
  if (simdFits(plan, activation)) {
    const simd = simdKernelsFor(backend);
    if (simd != null) return simdMatMul(backend, simd, a, b, transposeA, transposeB, plan, bias);
  }
  const biasId = bias == null ? 0 : (backend.dataIdMap.get(bias.dataId)?.id ?? 0);
  const aRows = transposeA ? transposeLastTwo(backend, a) : a;
  const bRows = transposeB ? transposeLastTwo(backend, b) : b;
  const out = backend.makeOutput(plan.outShape, 'float32');
  const fused = wasmFusedMatMul(backend);
  const aAddress = heapAddress(backend, aRows);
  const bAddress = heapAddress(backend, bRows);
  const outAddress = heapAddress(backend, out);
  if (aFollowsOutput(plan)) {
    fused(
      aAddress.id,
      shapeBytes([1, plan.batchA * m, k]),
      3,
      bAddress.id,
      shapeBytes([1, k, n]),
      3,
      false,
      false,
      activation,
      biasId,
      0,
      0,
      outAddress.id,
    );
  } else {
    const aShape = shapeBytes([1, m, k]);
    const bShape = shapeBytes([1, k, n]);
    const sharedB = plan.batchB === 1;
    for (let o = 0; o < plan.batchOut; o++) {
      const aId = registerView(
        backend,
        aAddress.offset + 4 * m * k * (plan.aSlice[o] as number),
        m * k,
      );
      const bId = sharedB
        ? bAddress.id
        : registerView(backend, bAddress.offset + 4 * k * n * (plan.bSlice[o] as number), k * n);
      const outId = registerView(backend, outAddress.offset + 4 * m * n * o, m * n);
      fused(aId, aShape, 3, bId, bShape, 3, false, false, activation, biasId, 0, 0, outId);
      releaseView(backend, aId);
      if (!sharedB) releaseView(backend, bId);
      releaseView(backend, outId);
    }
  }
  if (aRows !== a) backend.disposeData(aRows.dataId);
  if (bRows !== b) backend.disposeData(bRows.dataId);
  return out;
}
