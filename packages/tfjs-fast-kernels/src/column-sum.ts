import {
  broadcastTo,
  engine,
  type GradConfig,
  type KernelConfig,
  reshape,
  sum,
  type Tensor,
} from '@tensorflow/tfjs-core';
import { FusedKernelName } from './fused-kernel-names.js';
import { computeOnHost, hostKernelConfigs } from './host-arrays.js';
import { requiredInput } from './kernel-inputs.js';
import { hasKernel } from './registered.js';

/** out[c] = sum over rows of x[r, c], in doubles, reading x once in order. */
export function columnSums(x: Float32Array, out: Float32Array): void {
  const width = out.length;
  const sums = new Float64Array(width);
  const rows = x.length / width;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let c = 0; c < width; c++) sums[c] = (sums[c] as number) + (x[o + c] as number);
  }
  out.set(sums);
}

export const columnSumKernels: KernelConfig[] = hostKernelConfigs(
  FusedKernelName.columnSum,
  (args) => {
    const x = requiredInput(args.inputs, 'x', FusedKernelName.columnSum);
    const width = x.shape[x.shape.length - 1];
    if (width == null)
      throw new Error(`tfjs-fast-kernels ${FusedKernelName.columnSum}: x must have rank >= 1`);
    const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return computeOnHost(
      args.backend,
      FusedKernelName.columnSum,
      [x],
      [[width]],
      (ins, outs) => columnSums(ins[0]!, outs[0]!),
      (simd, ins, outs) => simd.columnSums(ins[0]!, outs[0]!, rows, width),
      (native, heap, ins, outs) => native.columnSums(heap, ins[0]!, outs[0]!, rows, width),
    )[0]!;
  },
);

export const columnSumGradConfig: GradConfig = {
  kernelName: FusedKernelName.columnSum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [Tensor];
    return { x: () => broadcastTo(dy as Tensor, x.shape) };
  },
};

/**
 * [..., C] -> [C], the sum over every leading axis: a bias's gradient in one pass over x.
 * Stock wasm sums a non-innermost axis as a Transpose and a Sum.
 */
export function columnSum(x: Tensor): Tensor {
  if (x.rank < 1) throw new Error('columnSum: x must have rank >= 1');
  if (x.dtype !== 'float32') throw new Error(`columnSum: x must be float32, got ${x.dtype}`);
  if (!hasKernel(FusedKernelName.columnSum)) {
    const width = x.shape[x.rank - 1] as number;
    return sum(reshape(x, [-1, width]), 0);
  }
  return engine().runKernel(FusedKernelName.columnSum, { x }) as Tensor;
}
