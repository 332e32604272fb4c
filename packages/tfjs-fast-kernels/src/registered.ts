import { getBackend, getGradient, getKernel } from '@tensorflow/tfjs-core';

/** Whether `kernelName` runs on the active backend and has a gradient registered. */
export function hasKernel(kernelName: string): boolean {
  return getKernel(kernelName, getBackend()) != null && getGradient(kernelName) != null;
}
