import {
  add,
  engine,
  type GradConfig,
  type KernelConfig,
  type NamedTensorMap,
  reshape,
  softmax as stockSoftmax,
  sum,
  type Tensor,
} from '@tensorflow/tfjs-core';
import { FusedKernelName } from './fused-kernel-names.js';
import { computeOnHost, hostKernelConfigs } from './host-arrays.js';
import { requiredInput } from './kernel-inputs.js';
import { hasKernel } from './registered.js';

/**
 * Softmax over rows of `width`, `bias` (groups x width, or empty) added first: rows come in
 * `groups` equal runs and run g adds bias row g.
 */
export function softmaxRows(
  logits: Float32Array,
  bias: Float32Array | null,
  y: Float32Array,
  width: number,
): void {
  const rows = logits.length / width;
  const groups = bias == null ? 1 : bias.length / width;
  const rowsPerGroup = rows / groups;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    const b = bias == null ? -1 : Math.floor(r / rowsPerGroup) * width;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < width; i++) {
      const v = (logits[o + i] as number) + (b < 0 ? 0 : (bias![b + i] as number));
      y[o + i] = v;
      if (v > max) max = v;
    }
    let total = 0;
    for (let i = 0; i < width; i++) {
      const e = Math.exp((y[o + i] as number) - max);
      y[o + i] = e;
      total += e;
    }
    const inverse = 1 / total;
    for (let i = 0; i < width; i++) y[o + i] = (y[o + i] as number) * inverse;
  }
}

/** dx = y (dy - sum(dy y)) per row. */
export function softmaxGradRows(
  dy: Float32Array,
  y: Float32Array,
  dx: Float32Array,
  width: number,
): void {
  const rows = y.length / width;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let dot = 0;
    for (let i = 0; i < width; i++) dot += (dy[o + i] as number) * (y[o + i] as number);
    for (let i = 0; i < width; i++)
      dx[o + i] = (y[o + i] as number) * ((dy[o + i] as number) - dot);
  }
}

function rowsOf(shape: number[], width: number): number {
  return shape.reduce((a, b) => a * b, 1) / width;
}

function checkBias(kernelName: string, logits: number[], bias: number[] | undefined): void {
  if (logits.length === 0 || logits[logits.length - 1] === 0)
    throw new Error(
      `tfjs-fast-kernels ${kernelName}: logits need a non-empty last axis, got [${logits}]`,
    );
  if (bias === undefined) return;
  if (
    logits.length < 2 ||
    bias.length !== 2 ||
    bias[0] !== logits[0] ||
    bias[1] !== logits[logits.length - 1]
  )
    throw new Error(
      `tfjs-fast-kernels ${kernelName}: bias must be [${logits[0]}, ${logits[logits.length - 1]}] for logits [${logits}], got [${bias}]`,
    );
}

export const softmaxKernels: KernelConfig[] = [
  ...hostKernelConfigs(FusedKernelName.softmax, (args) => {
    const logits = requiredInput(args.inputs, 'logits', FusedKernelName.softmax);
    const bias = args.inputs.bias;
    checkBias(FusedKernelName.softmax, logits.shape, bias?.shape);
    const width = logits.shape[logits.shape.length - 1] as number;
    const inputs = bias == null ? [logits] : [logits, bias];
    return computeOnHost(
      args.backend,
      FusedKernelName.softmax,
      inputs,
      [[...logits.shape]],
      (ins, outs) => softmaxRows(ins[0]!, ins[1] ?? null, outs[0]!, width),
      (simd, ins, outs) => {
        const rows = rowsOf(logits.shape, width);
        const groups = bias == null ? 1 : (bias.shape[0] as number);
        simd.softmaxRows(ins[0]!, ins[1] ?? 0, outs[0]!, rows, width, rows / groups);
      },
      (native, heap, ins, outs) => {
        const rows = rowsOf(logits.shape, width);
        const groups = bias == null ? 1 : (bias.shape[0] as number);
        native.softmaxRows(heap, ins[0]!, ins[1] ?? 0, outs[0]!, rows, width, rows / groups);
      },
    )[0]!;
  }),
  ...hostKernelConfigs(FusedKernelName.softmaxGrad, (args) => {
    const dy = requiredInput(args.inputs, 'dy', FusedKernelName.softmaxGrad);
    const y = requiredInput(args.inputs, 'y', FusedKernelName.softmaxGrad);
    if (dy.shape.join() !== y.shape.join())
      throw new Error(
        `tfjs-fast-kernels ${FusedKernelName.softmaxGrad}: dy [${dy.shape}] and y [${y.shape}] differ`,
      );
    const width = y.shape[y.shape.length - 1] as number;
    return computeOnHost(
      args.backend,
      FusedKernelName.softmaxGrad,
      [dy, y],
      [[...y.shape]],
      (ins, outs) => softmaxGradRows(ins[0]!, ins[1]!, outs[0]!, width),
      (simd, ins, outs) =>
        simd.softmaxGradRows(ins[0]!, ins[1]!, outs[0]!, rowsOf(y.shape, width), width),
      (native, heap, ins, outs) =>
        native.softmaxGradRows(heap, ins[0]!, ins[1]!, outs[0]!, rowsOf(y.shape, width), width),
    )[0]!;
  }),
];

export const softmaxGradConfig: GradConfig = {
  kernelName: FusedKernelName.softmax,
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [y] = saved as [Tensor];
    const dLogits = engine().runKernel(FusedKernelName.softmaxGrad, {
      dy: dy as Tensor,
      y,
    }) as Tensor;
    const logits = (): Tensor => dLogits;
    // bias [B, N] reached every row of logits[b]: its gradient sums theirs.
    const bias = (): Tensor => {
      const shape = y.shape;
      const groups = shape[0] as number;
      const width = shape[shape.length - 1] as number;
      return sum(reshape(logits(), [groups, -1, width]), 1);
    };
    return { logits, bias };
  },
};

function biasBroadcastShape(logits: Tensor, bias: Tensor): number[] {
  return [
    bias.shape[0] as number,
    ...logits.shape.slice(1, -1).map(() => 1),
    bias.shape[1] as number,
  ];
}

/** The stock composition `softmax` stands for. */
export function softmaxComposition(logits: Tensor, bias: Tensor | null = null): Tensor {
  return stockSoftmax(
    bias == null ? logits : add(logits, reshape(bias, biasBroadcastShape(logits, bias))),
  );
}

/**
 * Softmax over the last axis of `logits + bias`, where `bias` [B, N] (optional) is added to
 * every row of `logits[b]` (an attention's additive key bias over [B, H, Nq, N] scores):
 * one kernel forward, one for the gradient, where `enableFastKernels` registered them.
 */
export function softmax<T extends Tensor>(logits: T, bias: Tensor | null = null): T {
  checkBias('softmax', logits.shape, bias?.shape);
  if (!hasKernel(FusedKernelName.softmax)) return softmaxComposition(logits, bias) as T;
  const inputs: NamedTensorMap = bias == null ? { logits } : { logits, bias };
  return engine().runKernel(FusedKernelName.softmax, inputs) as T;
}
