import {
  add,
  engine,
  type GradConfig,
  type KernelConfig,
  mul,
  pow,
  type Tensor,
  tanh,
} from '@tensorflow/tfjs-core';
import { fastTanh } from './fast-tanh.js';
import { FusedKernelName } from './fused-kernel-names.js';
import { computeOnHost, hostKernelConfigs } from './host-arrays.js';
import { requiredInput } from './kernel-inputs.js';
import { hasKernel } from './registered.js';

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const SCALE = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

export function geluValues(x: Float32Array, y: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i] as number;
    y[i] = 0.5 * v * (1 + fastTanh(SCALE * (v + CUBIC * v * v * v)));
  }
}

/** d/dx of 0.5 x (1 + tanh(u)), u = c (x + k x^3): 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 k x^2). */
export function geluGradValues(dy: Float32Array, x: Float32Array, dx: Float32Array): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i] as number;
    const square = v * v;
    const t = fastTanh(SCALE * (v + CUBIC * square * v));
    dx[i] =
      (dy[i] as number) *
      (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SCALE * (1 + 3 * CUBIC * square));
  }
}

export const geluKernels: KernelConfig[] = [
  ...hostKernelConfigs(FusedKernelName.gelu, (args) => {
    const x = requiredInput(args.inputs, 'x', FusedKernelName.gelu);
    return computeOnHost(
      args.backend,
      FusedKernelName.gelu,
      [x],
      [[...x.shape]],
      (ins, outs) => geluValues(ins[0]!, outs[0]!),
      (simd, ins, outs) => simd.geluValues(ins[0]!, outs[0]!, sizeOf(x.shape)),
      (native, heap, ins, outs) => native.geluValues(heap, ins[0]!, outs[0]!, sizeOf(x.shape)),
    )[0]!;
  }),
  ...hostKernelConfigs(FusedKernelName.geluGrad, (args) => {
    const dy = requiredInput(args.inputs, 'dy', FusedKernelName.geluGrad);
    const x = requiredInput(args.inputs, 'x', FusedKernelName.geluGrad);
    if (dy.shape.join() !== x.shape.join())
      throw new Error(
        `tfjs-fast-kernels ${FusedKernelName.geluGrad}: dy [${dy.shape}] and x [${x.shape}] differ`,
      );
    return computeOnHost(
      args.backend,
      FusedKernelName.geluGrad,
      [dy, x],
      [[...x.shape]],
      (ins, outs) => geluGradValues(ins[0]!, ins[1]!, outs[0]!),
      (simd, ins, outs) => simd.geluGradValues(ins[0]!, ins[1]!, outs[0]!, sizeOf(x.shape)),
      (native, heap, ins, outs) =>
        native.geluGradValues(heap, ins[0]!, ins[1]!, outs[0]!, sizeOf(x.shape)),
    )[0]!;
  }),
];

export const geluGradConfig: GradConfig = {
  kernelName: FusedKernelName.gelu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [Tensor];
    return {
      x: () => engine().runKernel(FusedKernelName.geluGrad, { dy: dy as Tensor, x }) as Tensor,
    };
  },
};

/** The stock composition `gelu` stands for. */
export function geluComposition(x: Tensor): Tensor {
  return mul(mul(0.5, x), add(1, tanh(mul(SCALE, add(x, mul(CUBIC, pow(x, 3)))))));
}

/**
 * GELU, tanh form: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`, one kernel each way
 * (with a rational tanh) where `enableFastKernels` registered it; the composition elsewhere.
 */
export function gelu<T extends Tensor>(x: T): T {
  if (x.dtype !== 'float32') throw new Error(`gelu: x must be float32, got ${x.dtype}`);
  if (!hasKernel(FusedKernelName.gelu)) return geluComposition(x) as T;
  return engine().runKernel(FusedKernelName.gelu, { x }) as T;
}
