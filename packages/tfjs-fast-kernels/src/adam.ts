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

export const adamKernels: KernelConfig[] = hostKernelConfigs(FusedKernelName.adam, (args) => {
  const name = FusedKernelName.adam;
  const g = requiredInput(args.inputs, 'g', name);
  const m = requiredInput(args.inputs, 'm', name);
  const v = requiredInput(args.inputs, 'v', name);
  const w = requiredInput(args.inputs, 'w', name);
  const mask = args.inputs.decayMask ?? null;
  const n = g.shape.reduce((a, b) => a * b, 1);
  for (const [what, t] of [
    ['m', m],
    ['v', v],
    ['w', w],
    ['decayMask', mask],
  ] as const) {
    if (t !== null && t.shape.reduce((a, b) => a * b, 1) !== n)
      throw new Error(
        `tfjs-fast-kernels ${name}: ${what} has shape [${t.shape}], expected ${n} values as g`,
      );
  }
  const attrs = args.attrs as unknown as AdamAttrs & NamedAttrMap;
  const inputs = mask === null ? [g, m, v, w] : [g, m, v, w, mask];
  return computeOnHost(
    args.backend,
    name,
    inputs,
    [[n], [n], [n]],
    (ins, outs) =>
      adamValues(
        ins[0]!,
        ins[1]!,
        ins[2]!,
        ins[3]!,
        ins[4] ?? null,
        outs[0]!,
        outs[1]!,
        outs[2]!,
        attrs,
      ),
    (simd, ins, outs) =>
      simd.adamUpdate(
        ins[0]!,
        ins[1]!,
        ins[2]!,
        ins[3]!,
        ins[4] ?? 0,
        outs[0]!,
        outs[1]!,
        outs[2]!,
        n,
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
      ),
  );
});
