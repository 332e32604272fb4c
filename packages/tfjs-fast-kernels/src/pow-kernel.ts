import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { requiredInput } from './kernel-inputs.js';
import { asWasmHeapBackend, f32View, i32View } from './wasm-heap.js';

/**
 * `x ** e` for a scalar integer exponent 1..4 as repeated products. tfjs-backend-wasm calls
 * powf per element (slower; docs/benchmarks/tfjs-fast-kernels.md), and the tanh-GELU of a transformer MLP is built on
 * `pow(x, 3)` (its gradient on `pow(x, 2)`), so on wasm it cost about as much as a big GEMM.
 * Other exponents and tensor exponents go to the stock kernel.
 */
export function powConfig(stockPow: KernelFunc): KernelConfig {
  return {
    kernelName: 'Pow',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const base = requiredInput(args.inputs, 'a', 'Pow');
      const exponent = requiredInput(args.inputs, 'b', 'Pow');
      const backend = asWasmHeapBackend(args.backend);
      const isScalar = exponent.shape.every((dim) => dim === 1);
      if (
        typeof backend === 'string' ||
        base.dtype !== 'float32' ||
        !isScalar ||
        exponent.dtype === 'bool'
      ) {
        return stockPow(args);
      }
      const e = (
        exponent.dtype === 'int32' ? i32View(backend, exponent) : f32View(backend, exponent)
      )[0] as number;
      if (!(e === 1 || e === 2 || e === 3 || e === 4) || exponent.shape.length > base.shape.length)
        return stockPow(args);
      const out = backend.makeOutput([...base.shape], 'float32');
      // Views after makeOutput: an allocation may grow (and so replace) the heap.
      const x = f32View(backend, base);
      const y = f32View(backend, out);
      const n = x.length;
      if (e === 1) y.set(x);
      else if (e === 2) for (let i = 0; i < n; i++) y[i] = (x[i] as number) * (x[i] as number);
      else if (e === 3) {
        for (let i = 0; i < n; i++) {
          const v = x[i] as number;
          y[i] = v * v * v;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const square = (x[i] as number) * (x[i] as number);
          y[i] = square * square;
        }
      }
      return out;
    },
  };
}
