import type { TensorInfo } from '@tensorflow/tfjs-core';
import { aFollowsOutput, type MatMulPlan } from './matmul-plan.js';
import type { NativeBlas } from './native-blas.js';
import { heapAddress, type WasmHeapBackend } from './wasm-heap.js';

/**
 * `out = op(a) x op(b) (+ bias)` by the native BLAS, reading and writing the wasm heap in
 * place. BLAS takes transposed operands as they are, so nothing is copied; a batch of A
 * against one untransposed-A weight folds into a single tall GEMM.
 */
export function blasMatMul(
  backend: WasmHeapBackend,
  blas: NativeBlas,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  plan: MatMulPlan,
  bias: TensorInfo | null,
): TensorInfo {
  const { m, k, n } = plan;
  const out = backend.makeOutput(plan.outShape, 'float32');
  const aOffset = heapAddress(backend, a).offset;
  const bOffset = heapAddress(backend, b).offset;
  const outOffset = heapAddress(backend, out).offset;
  const biasOffset = bias == null ? -1 : heapAddress(backend, bias).offset;
  // The heap buffer is read only after every allocation above: growing memory replaces it.
  const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
  if (aFollowsOutput(plan) && !transposeA) {
    const one = (offset: number) => Uint32Array.of(offset);
    blas.sgemmBatch(
      heap,
      false,
      transposeB,
      plan.batchA * m,
      n,
      k,
      one(aOffset),
      one(bOffset),
      one(outOffset),
      biasOffset,
    );
    return out;
  }
  const aOffsets = new Uint32Array(plan.batchOut);
  const bOffsets = new Uint32Array(plan.batchOut);
  const outOffsets = new Uint32Array(plan.batchOut);
  for (let o = 0; o < plan.batchOut; o++) {
    aOffsets[o] = aOffset + 4 * m * k * (plan.aSlice[o] as number);
    bOffsets[o] = bOffset + 4 * k * n * (plan.bSlice[o] as number);
    outOffsets[o] = outOffset + 4 * m * n * o;
  }
  blas.sgemmBatch(
    heap,
    transposeA,
    transposeB,
    m,
    n,
    k,
    aOffsets,
    bOffsets,
    outOffsets,
    biasOffset,
  );
  return out;
}
