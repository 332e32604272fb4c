import {
  type _FusedMatMulAttrs,
  type BatchMatMulAttrs,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { blasMatMul } from './blas-matmul.js';
import { FusedKernelName } from './fused-kernel-names.js';
import { requiredInput } from './kernel-inputs.js';
import { type MatMulPlan, planMatMul } from './matmul-plan.js';
import type { NativeBlas } from './native-blas.js';
import { nativeFusedKernels } from './native-fused.js';
import { asWasmHeapBackend, type WasmHeapBackend } from './wasm-heap.js';
import {
  type ClampActivation,
  clampActivation,
  simdMatMulWithBias,
  simdWeightBiasGrad,
  xnnpackMatMul,
} from './xnnpack-matmul.js';

type Activation = NonNullable<_FusedMatMulAttrs['activation']>;

/** Where the products run: the native BLAS when it loaded, else XNNPACK inside wasm. */
export interface MatMulRoute {
  blas: NativeBlas | null;
  /** The kernels being replaced, still used for what the fast path does not cover (non-float32, empty). */
  stockBatchMatMul: KernelFunc;
  stockFusedMatMul: KernelFunc;
}

function runKernel(
  backend: WasmHeapBackend,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`tfjs-fast-kernels: the wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({ inputs, backend: backend as never, attrs }) as TensorInfo;
}

/** Applies `f` to `x` and frees `x`, which is an intermediate this kernel owns. */
function replace(
  backend: WasmHeapBackend,
  x: TensorInfo,
  f: (x: TensorInfo) => TensorInfo,
): TensorInfo {
  const y = f(x);
  backend.disposeData(x.dataId);
  return y;
}

function applyActivation(
  backend: WasmHeapBackend,
  x: TensorInfo,
  activation: Activation,
  prelu: TensorInfo | undefined,
  leakyreluAlpha: number | undefined,
): TensorInfo {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return replace(backend, x, (v) => runKernel(backend, 'Relu', { x: v }));
    case 'relu6':
      return replace(backend, x, (v) => runKernel(backend, 'Relu6', { x: v }));
    case 'elu':
      return replace(backend, x, (v) => runKernel(backend, 'Elu', { x: v }));
    case 'sigmoid':
      return replace(backend, x, (v) => runKernel(backend, 'Sigmoid', { x: v }));
    case 'leakyrelu':
      return replace(backend, x, (v) =>
        runKernel(backend, 'LeakyRelu', { x: v }, { alpha: leakyreluAlpha ?? 0.2 }),
      );
    case 'prelu': {
      if (prelu == null)
        throw new Error(
          'tfjs-fast-kernels _FusedMatMul: prelu activation needs preluActivationWeights',
        );
      return replace(backend, x, (v) => runKernel(backend, 'Prelu', { x: v, alpha: prelu }));
    }
    default:
      throw new Error(
        `tfjs-fast-kernels _FusedMatMul: unknown activation '${activation as string}'`,
      );
  }
}

function clampActivationOf(activation: Activation): ClampActivation | null {
  if (activation === 'linear' || activation === 'relu' || activation === 'relu6') {
    return clampActivation[activation];
  }
  return null;
}

function isFastPathCase(a: TensorInfo, b: TensorInfo, plan: MatMulPlan): boolean {
  return (
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    plan.m > 0 &&
    plan.n > 0 &&
    plan.k > 0 &&
    plan.batchOut > 0
  );
}

/**
 * One matmul with an optional bias and activation. A rank-1 bias of length n is fused into
 * the GEMM (both engines); relu/relu6 are fused as XNNPACK's output clamp; anything else runs
 * as the wasm backend's own kernels afterwards, exactly as tfjs composes them.
 */
function fusedProduct(
  backend: WasmHeapBackend,
  route: MatMulRoute,
  plan: MatMulPlan,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: TensorInfo | undefined,
  activation: Activation,
  prelu: TensorInfo | undefined,
  leakyreluAlpha: number | undefined,
): TensorInfo {
  const biasFuses =
    bias != null && bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === plan.n;
  const biasAfter = bias != null && !biasFuses ? bias : null;
  let product: TensorInfo;
  let activationDone = false;
  if (route.blas != null) {
    product = blasMatMul(
      backend,
      route.blas,
      a,
      b,
      transposeA,
      transposeB,
      plan,
      biasFuses ? (bias ?? null) : null,
    );
  } else {
    // The clamp acts on the GEMM output, so it can only stand in for the activation when
    // no bias is left to add afterwards.
    const clamp = biasAfter == null ? clampActivationOf(activation) : null;
    activationDone = clamp != null;
    product = xnnpackMatMul(
      backend,
      a,
      b,
      transposeA,
      transposeB,
      plan,
      biasFuses ? (bias ?? null) : null,
      clamp ?? clampActivation.linear,
    );
  }
  if (biasAfter != null)
    product = replace(backend, product, (v) => runKernel(backend, 'Add', { a: v, b: biasAfter }));
  return activationDone
    ? product
    : applyActivation(backend, product, activation, prelu, leakyreluAlpha);
}

export function batchMatMulConfig(route: MatMulRoute): KernelConfig {
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const a = requiredInput(args.inputs, 'a', 'BatchMatMul');
      const b = requiredInput(args.inputs, 'b', 'BatchMatMul');
      const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
      const backend = asWasmHeapBackend(args.backend);
      const plan = planMatMul(a.shape, b.shape, transposeA, transposeB);
      if (typeof backend === 'string' || !isFastPathCase(a, b, plan))
        return route.stockBatchMatMul(args);
      return fusedProduct(
        backend,
        route,
        plan,
        a,
        b,
        transposeA,
        transposeB,
        undefined,
        'linear',
        undefined,
        undefined,
      );
    },
  };
}

export function fusedMatMulConfig(route: MatMulRoute): KernelConfig {
  return {
    kernelName: '_FusedMatMul',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const a = requiredInput(args.inputs, 'a', '_FusedMatMul');
      const b = requiredInput(args.inputs, 'b', '_FusedMatMul');
      const { bias, preluActivationWeights } = args.inputs;
      const { transposeA, transposeB, activation, leakyreluAlpha } =
        args.attrs as unknown as _FusedMatMulAttrs;
      const backend = asWasmHeapBackend(args.backend);
      const plan = planMatMul(a.shape, b.shape, transposeA, transposeB);
      if (typeof backend === 'string' || !isFastPathCase(a, b, plan))
        return route.stockFusedMatMul(args);
      return fusedProduct(
        backend,
        route,
        plan,
        a,
        b,
        transposeA,
        transposeB,
        bias,
        activation ?? 'linear',
        preluActivationWeights,
        leakyreluAlpha,
      );
    },
  };
}

/**
 * FusedKernelName.biasMatMul: a b + bias for a [R, K], b [K, N] and a float32 bias [N], with
 * the floats of BatchMatMul followed by Add on every route: the SIMD module adds the bias to
 * each finished sum before storing it (no second pass over the output, no second launch);
 * the native BLAS and XNNPACK routes, which would start their sums from the bias (other
 * floats), run the product and then the backend's Add.
 */
export function biasMatMulConfig(route: MatMulRoute): KernelConfig {
  return {
    kernelName: FusedKernelName.biasMatMul,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const name = FusedKernelName.biasMatMul;
      const a = requiredInput(args.inputs, 'a', name);
      const b = requiredInput(args.inputs, 'b', name);
      const bias = requiredInput(args.inputs, 'bias', name);
      const backend = asWasmHeapBackend(args.backend);
      if (typeof backend === 'string')
        throw new Error(`tfjs-fast-kernels ${name}: not a wasm backend (${backend})`);
      if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0])
        throw new Error(
          `tfjs-fast-kernels ${name}: expected a [R, K] and b [K, N], got [${a.shape}] and [${b.shape}]`,
        );
      if (bias.shape.length !== 1 || bias.shape[0] !== b.shape[1])
        throw new Error(
          `tfjs-fast-kernels ${name}: expected bias [${b.shape[1]}], got [${bias.shape}]`,
        );
      const plan = planMatMul(a.shape, b.shape, false, false);
      const floats = a.dtype === 'float32' && b.dtype === 'float32' && bias.dtype === 'float32';
      if (floats && route.blas == null && isFastPathCase(a, b, plan)) {
        const fused = simdMatMulWithBias(backend, a, b, plan, bias);
        if (fused != null) return fused;
      }
      const product = runKernel(
        backend,
        'BatchMatMul',
        { a, b },
        { transposeA: false, transposeB: false },
      );
      return replace(backend, product, (v) => runKernel(backend, 'Add', { a: v, b: bias }));
    },
  };
}

/**
 * FusedKernelName.weightBiasGrad: [x^T dy, dy's column sums] for x [R, in], dy [R, out]. On
 * the SIMD route (no native BLAS or addon, the product small enough) one pass of the SIMD
 * module; elsewhere the transposed product and SparsifyColumnSum as separate kernels, which
 * are what the SIMD pass computes, float for float.
 */
export function weightBiasGradConfig(route: MatMulRoute): KernelConfig {
  return {
    kernelName: FusedKernelName.weightBiasGrad,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const name = FusedKernelName.weightBiasGrad;
      const x = requiredInput(args.inputs, 'x', name);
      const dy = requiredInput(args.inputs, 'dy', name);
      const backend = asWasmHeapBackend(args.backend);
      if (typeof backend === 'string')
        throw new Error(`tfjs-fast-kernels ${name}: not a wasm backend (${backend})`);
      if (x.shape.length !== 2 || dy.shape.length !== 2 || x.shape[0] !== dy.shape[0])
        throw new Error(
          `tfjs-fast-kernels ${name}: expected x [R, in] and dy [R, out], got [${x.shape}] and [${dy.shape}]`,
        );
      const plan = planMatMul(x.shape, dy.shape, true, false);
      const floats = x.dtype === 'float32' && dy.dtype === 'float32';
      if (
        floats &&
        route.blas == null &&
        nativeFusedKernels() == null &&
        isFastPathCase(x, dy, plan)
      ) {
        const fused = simdWeightBiasGrad(backend, x, dy, plan);
        if (fused != null) return fused;
      }
      return [
        runKernel(backend, 'BatchMatMul', { a: x, b: dy }, { transposeA: true, transposeB: false }),
        runKernel(backend, FusedKernelName.columnSum, { x: dy }),
      ];
    },
  };
}
