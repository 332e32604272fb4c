import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/** A kernel's required input, or an error naming the kernel and the missing input. */
export function requiredInput(
  inputs: NamedTensorInfoMap,
  name: string,
  kernelName: string,
): TensorInfo {
  const input = inputs[name];
  if (input == null) throw new Error(`tfjs-fast-kernels ${kernelName}: missing input '${name}'`);
  return input;
}
