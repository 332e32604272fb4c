import {
  add,
  engine,
  type GradConfig,
  type KernelConfig,
  moments,
  mul,
  type NamedAttrMap,
  rsqrt,
  sub,
  type Tensor,
} from '@tensorflow/tfjs-core';
import { FusedKernelName } from './fused-kernel-names.js';
import { computeOnHost, hostKernelConfigs } from './host-arrays.js';
import { requiredInput } from './kernel-inputs.js';
import { hasKernel } from './registered.js';

export interface LayerNormAttrs {
  epsilon: number;
}

/** y = (x - mean) / sqrt(var + epsilon) * gamma + beta per row of `width`; sums in doubles. */
export function layerNormRows(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  y: Float32Array,
  width: number,
  epsilon: number,
): void {
  const rows = x.length / width;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let sum = 0;
    for (let i = 0; i < width; i++) sum += x[o + i] as number;
    const mean = sum / width;
    let squares = 0;
    for (let i = 0; i < width; i++) {
      const d = (x[o + i] as number) - mean;
      squares += d * d;
    }
    const inverseStd = 1 / Math.sqrt(squares / width + epsilon);
    for (let i = 0; i < width; i++) {
      y[o + i] =
        ((x[o + i] as number) - mean) * inverseStd * (gamma[i] as number) + (beta[i] as number);
    }
  }
}

/**
 * dx, dgamma, dbeta of `layerNormRows` in one pass per row, the row's moments recomputed
 * from x (one more read of x instead of two saved tensors and their kernels):
 * dx = rstd (dy gamma - mean(dy gamma) - xhat mean(dy gamma xhat)).
 */
export function layerNormGradRows(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
  width: number,
  epsilon: number,
): void {
  const rows = x.length / width;
  const gammaSums = new Float64Array(width);
  const betaSums = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let sum = 0;
    for (let i = 0; i < width; i++) sum += x[o + i] as number;
    const mean = sum / width;
    let squares = 0;
    for (let i = 0; i < width; i++) {
      const d = (x[o + i] as number) - mean;
      squares += d * d;
    }
    const inverseStd = 1 / Math.sqrt(squares / width + epsilon);
    let gradSum = 0;
    let gradDotNormed = 0;
    for (let i = 0; i < width; i++) {
      const g = dy[o + i] as number;
      const normed = ((x[o + i] as number) - mean) * inverseStd;
      const scaled = g * (gamma[i] as number);
      gradSum += scaled;
      gradDotNormed += scaled * normed;
      gammaSums[i] = (gammaSums[i] as number) + g * normed;
      betaSums[i] = (betaSums[i] as number) + g;
    }
    const gradMean = gradSum / width;
    const gradDotMean = gradDotNormed / width;
    for (let i = 0; i < width; i++) {
      const normed = ((x[o + i] as number) - mean) * inverseStd;
      dx[o + i] =
        inverseStd *
        ((dy[o + i] as number) * (gamma[i] as number) - gradMean - normed * gradDotMean);
    }
  }
  dgamma.set(gammaSums);
  dbeta.set(betaSums);
}

function rowsOf(shape: number[], width: number): number {
  return shape.reduce((a, b) => a * b, 1) / width;
}

function checkedWidth(
  kernelName: string,
  shape: number[],
  gammaShape: number[],
  betaShape?: number[],
): number {
  const width = shape[shape.length - 1];
  if (width == null || width === 0)
    throw new Error(
      `tfjs-fast-kernels ${kernelName}: x must have a non-empty last axis, got [${shape}]`,
    );
  for (const [name, s] of [
    ['gamma', gammaShape],
    ['beta', betaShape],
  ] as const) {
    if (s !== undefined && (s.length !== 1 || s[0] !== width))
      throw new Error(`tfjs-fast-kernels ${kernelName}: ${name} must be [${width}], got [${s}]`);
  }
  return width;
}

export const layerNormKernels: KernelConfig[] = [
  ...hostKernelConfigs(FusedKernelName.layerNorm, (args) => {
    const x = requiredInput(args.inputs, 'x', FusedKernelName.layerNorm);
    const gamma = requiredInput(args.inputs, 'gamma', FusedKernelName.layerNorm);
    const beta = requiredInput(args.inputs, 'beta', FusedKernelName.layerNorm);
    const { epsilon } = args.attrs as unknown as LayerNormAttrs;
    const width = checkedWidth(FusedKernelName.layerNorm, x.shape, gamma.shape, beta.shape);
    return computeOnHost(
      args.backend,
      FusedKernelName.layerNorm,
      [x, gamma, beta],
      [[...x.shape]],
      (ins, outs) => layerNormRows(ins[0]!, ins[1]!, ins[2]!, outs[0]!, width, epsilon),
      (simd, ins, outs) =>
        simd.layerNormRows(
          ins[0]!,
          ins[1]!,
          ins[2]!,
          outs[0]!,
          rowsOf(x.shape, width),
          width,
          epsilon,
        ),
      (native, heap, ins, outs) =>
        native.layerNormRows(
          heap,
          ins[0]!,
          ins[1]!,
          ins[2]!,
          outs[0]!,
          rowsOf(x.shape, width),
          width,
          epsilon,
        ),
    )[0]!;
  }),
  ...hostKernelConfigs(FusedKernelName.layerNormGrad, (args) => {
    const dy = requiredInput(args.inputs, 'dy', FusedKernelName.layerNormGrad);
    const x = requiredInput(args.inputs, 'x', FusedKernelName.layerNormGrad);
    const gamma = requiredInput(args.inputs, 'gamma', FusedKernelName.layerNormGrad);
    const { epsilon } = args.attrs as unknown as LayerNormAttrs;
    const width = checkedWidth(FusedKernelName.layerNormGrad, x.shape, gamma.shape);
    return computeOnHost(
      args.backend,
      FusedKernelName.layerNormGrad,
      [dy, x, gamma],
      [[...x.shape], [width], [width]],
      (ins, outs) =>
        layerNormGradRows(ins[0]!, ins[1]!, ins[2]!, outs[0]!, outs[1]!, outs[2]!, width, epsilon),
      (simd, ins, outs) =>
        simd.layerNormGradRows(
          ins[0]!,
          ins[1]!,
          ins[2]!,
          outs[0]!,
          outs[1]!,
          outs[2]!,
          rowsOf(x.shape, width),
          width,
          epsilon,
        ),
      (native, heap, ins, outs) =>
        native.layerNormGradRows(
          heap,
          ins[0]!,
          ins[1]!,
          ins[2]!,
          outs[0]!,
          outs[1]!,
          outs[2]!,
          rowsOf(x.shape, width),
          width,
          epsilon,
        ),
    );
  }),
];

export const layerNormGradConfig: GradConfig = {
  kernelName: FusedKernelName.layerNorm,
  inputsToSave: ['x', 'gamma'],
  gradFunc: (dy, saved, attrs) => {
    const [x, gamma] = saved as [Tensor, Tensor];
    // Run here, not in the closures: backprop runs each closure in its own tidy, which would
    // dispose the two outputs it does not return. The backward pass's own scope frees the
    // ones nobody asks for.
    const [dx, dgamma, dbeta] = engine().runKernel(
      FusedKernelName.layerNormGrad,
      { dy: dy as Tensor, x, gamma },
      attrs as unknown as NamedAttrMap,
    ) as [Tensor, Tensor, Tensor];
    return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
  },
};

/** The stock composition `layerNorm` stands for (what runs where the kernel is not registered). */
export function layerNormComposition(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): Tensor {
  const { mean, variance } = moments(x, -1, true);
  return add(mul(mul(sub(x, mean), rsqrt(add(variance, epsilon))), gamma), beta);
}

/**
 * LayerNorm over the last axis, `(x - mean) / sqrt(var + epsilon) * gamma + beta`, as one
 * kernel forward and one backward (dx, dgamma, dbeta) where `enableFastKernels` registered
 * them for the active backend; the stock composition elsewhere.
 */
export function layerNorm<T extends Tensor>(x: T, gamma: Tensor, beta: Tensor, epsilon = 1e-5): T {
  checkedWidth('layerNorm', x.shape, gamma.shape, beta.shape);
  if (!hasKernel(FusedKernelName.layerNorm))
    return layerNormComposition(x, gamma, beta, epsilon) as T;
  return engine().runKernel(FusedKernelName.layerNorm, { x, gamma, beta }, { epsilon }) as T;
}
