import type { KernelConfig, NamedAttrMap } from '@tensorflow/tfjs-core';
import { FusedKernelName } from './fused-kernel-names.js';
import { computeOnHost, hostKernelConfigs } from './host-arrays.js';
import { requiredInput } from './kernel-inputs.js';

/**
 * The scalars of one Adam step, as the composition it replaces makes them: each becomes a
 * float32 when it meets a tensor (beta1, 1 - beta1, ... are float32 roundings of the
 * doubles), acc1 and acc2 are the float32 beta1^t and beta2^t the optimizer keeps.
 */
export interface AdamAttrs {
  /** Multiplies the gradient first (global-norm clipping); 1 for none. */
  gradScale: number;
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  acc1: number;
  acc2: number;
  epsilon: number;
  /** -learning rate. */
  negLr: number;
  /** lr * weight decay, applied as w (1 - mask decayRate) where a decayMask is given. */
  decayRate: number;
}

const f = Math.fround;

/**
 * The same step in JavaScript, every operation rounded to float32 as it happens: a float32
 * +, -, x, / or sqrt computed in doubles and rounded once is the float32 result (doubles
 * carry more than twice float32's precision), so these are the SIMD kernel's bits too.
 */
export function adamValues(
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  w: Float32Array,
  mask: Float32Array | null,
  mOut: Float32Array,
  vOut: Float32Array,
  wOut: Float32Array,
  a: AdamAttrs,
): void {
  const s = f(a.gradScale);
  const b1 = f(a.beta1);
  const o1 = f(a.oneMinusBeta1);
  const b2 = f(a.beta2);
  const o2 = f(a.oneMinusBeta2);
  const c1 = f(1 - f(a.acc1));
  const c2 = f(1 - f(a.acc2));
  const eps = f(a.epsilon);
  const lr = f(a.negLr);
  const dr = f(a.decayRate);
  for (let i = 0; i < g.length; i++) {
    const gi = f((g[i] as number) * s);
    const mi = f(f((m[i] as number) * b1) + f(gi * o1));
    const vi = f(f((v[i] as number) * b2) + f(f(gi * gi) * o2));
    mOut[i] = mi;
    vOut[i] = vi;
    let wi = w[i] as number;
    if (mask !== null) wi = f(wi * f(1 - f((mask[i] as number) * dr)));
    const step = f(f(mi / c1) / f(f(Math.sqrt(f(vi / c2))) + eps));
    wOut[i] = f(f(step * lr) + wi);
  }
}

/**
 * {m, v [n], decayMask? [n], g0, w0, g1, w1, ...}, attrs AdamAttrs & {count} -> [m', v',
 * w'0, w'1, ...]: parameter i's gradient gi and values wi (any shape) are the next
 * wi.size values of the flat moments, in order, and w'i has wi's shape. So an optimizer
 * over many parameters needs no concat, split or reshape around the step.
 */
export const adamKernels: KernelConfig[] = hostKernelConfigs(FusedKernelName.adam, (args) => {
  const name = FusedKernelName.adam;
  const m = requiredInput(args.inputs, 'm', name);
  const v = requiredInput(args.inputs, 'v', name);
  const mask = args.inputs.decayMask ?? null;
  const attrs = args.attrs as unknown as AdamAttrs & { count: number } & NamedAttrMap;
  const count = attrs.count;
  const n = sizeOf(m.shape);
  const grads = Array.from({ length: count }, (_, i) => requiredInput(args.inputs, `g${i}`, name));
  const values = Array.from({ length: count }, (_, i) => requiredInput(args.inputs, `w${i}`, name));
  const sizes = values.map((w) => sizeOf(w.shape));
  const total = sizes.reduce((a, b) => a + b, 0);
  for (const [what, t] of [
    ['v', v],
    ['decayMask', mask],
  ] as const) {
    if (t !== null && sizeOf(t.shape) !== n)
      throw new Error(
        `tfjs-fast-kernels ${name}: ${what} has shape [${t.shape}], m has ${n} values`,
      );
  }
  grads.forEach((g, i) => {
    if (sizeOf(g.shape) !== sizes[i])
      throw new Error(
        `tfjs-fast-kernels ${name}: g${i} has shape [${g.shape}] but w${i} has [${values[i]!.shape}]`,
      );
  });
  if (total !== n)
    throw new Error(`tfjs-fast-kernels ${name}: the parameters hold ${total} values, m has ${n}`);
  const head = mask === null ? [m, v] : [m, v, mask];
  const inputs = [...head, ...grads, ...values];
  const outputShapes = [[n], [n], ...values.map((w) => [...w.shape])];
  return computeOnHost(
    args.backend,
    name,
    inputs,
    outputShapes,
    (ins, outs) => {
      const maskValues = mask === null ? null : ins[2]!;
      let offset = 0;
      for (let i = 0; i < count; i++) {
        const size = sizes[i]!;
        const at = (x: Float32Array) => x.subarray(offset, offset + size);
        adamValues(
          ins[head.length + i]!,
          at(ins[0]!),
          at(ins[1]!),
          ins[head.length + count + i]!,
          maskValues === null ? null : at(maskValues),
          at(outs[0]!),
          at(outs[1]!),
          outs[2 + i]!,
          attrs,
        );
        offset += size;
      }
    },
    (simd, ins, outs) => {
      let offset = 0;
      for (let i = 0; i < count; i++) {
        const bytes = 4 * offset;
        simd.adamUpdate(
          ins[head.length + i]!,
          ins[0]! + bytes,
          ins[1]! + bytes,
          ins[head.length + count + i]!,
          mask === null ? 0 : ins[2]! + bytes,
          outs[0]! + bytes,
          outs[1]! + bytes,
          outs[2 + i]!,
          sizes[i]!,
          attrs.gradScale,
          attrs.beta1,
          attrs.oneMinusBeta1,
          attrs.beta2,
          attrs.oneMinusBeta2,
          attrs.acc1,
          attrs.acc2,
          attrs.epsilon,
          attrs.negLr,
          attrs.decayRate,
        );
        offset += sizes[i]!;
      }
    },
  );
});

function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}
