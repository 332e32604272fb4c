import {
  concat,
  engine,
  type GradConfig,
  type KernelConfig,
  mul,
  type NamedAttrMap,
  type NamedTensorMap,
  pad,
  reshape,
  slice,
  type Tensor,
  type Tensor2D,
  type Tensor4D,
  transpose,
} from '@tensorflow/tfjs-core';
import { FusedKernelName } from './fused-kernel-names.js';
import { computeOnHost, hostKernelConfigs } from './host-arrays.js';
import { requiredInput } from './kernel-inputs.js';
import { hasKernel } from './registered.js';

export interface SplitHeadsAttrs {
  /** B: rows of x are B runs of N tokens. */
  batch: number;
  /** H */
  heads: number;
  /** First column of x taken. */
  offset: number;
  /** Columns taken, H d. */
  width: number;
  /** Multiplies every value (1/sqrt(d) for queries). */
  scale: number;
}

export interface MergeHeadsAttrs {
  /** One per part, multiplying it. */
  scales: number[];
}

/** out[b, h, n, j] = scale x[b N + n, offset + h d + j]. */
export function splitHeadsValues(
  x: Float32Array,
  out: Float32Array,
  columns: number,
  { batch, heads, offset, width, scale }: SplitHeadsAttrs,
): void {
  const tokens = x.length / columns / batch;
  const depth = width / heads;
  // The float32 scale, as tfjs's Multiply takes it: then the copy equals the composition exactly.
  const factor = Math.fround(scale);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let n = 0; n < tokens; n++) {
        const from = (b * tokens + n) * columns + offset + h * depth;
        for (let j = 0; j < depth; j++) out[o++] = factor * (x[from + j] as number);
      }
    }
  }
}

/** out[b N + n, p H d + h d + j] = scales[p] parts[p][b, h, n, j]. */
export function mergeHeadsValues(
  parts: Float32Array[],
  out: Float32Array,
  shape: number[],
  scales: number[],
): void {
  const [batch, heads, tokens, depth] = shape as [number, number, number, number];
  const columns = parts.length * heads * depth;
  parts.forEach((part, p) => {
    const scale = Math.fround(scales[p] as number);
    let i = 0;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        for (let n = 0; n < tokens; n++) {
          const to = (b * tokens + n) * columns + p * heads * depth + h * depth;
          for (let j = 0; j < depth; j++) out[to + j] = scale * (part[i++] as number);
        }
      }
    }
  });
}

function checkSplit(name: string, shape: number[], attrs: SplitHeadsAttrs): void {
  const { batch, heads, offset, width } = attrs;
  const [rows, columns] = shape as [number, number];
  if (
    shape.length !== 2 ||
    batch < 1 ||
    rows % batch !== 0 ||
    heads < 1 ||
    width % heads !== 0 ||
    offset < 0 ||
    offset + width > columns
  ) {
    throw new Error(
      `tfjs-fast-kernels ${name}: x [${shape}] cannot give ${heads} heads of columns ${offset}..${offset + width} for batch ${batch}`,
    );
  }
}

function mergeInputs(inputs: NamedTensorMap | Record<string, unknown>): string[] {
  return Object.keys(inputs)
    .filter((k) => /^x\d+$/.test(k))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

export const attentionHeadsKernels: KernelConfig[] = [
  ...hostKernelConfigs(FusedKernelName.splitHeads, (args) => {
    const x = requiredInput(args.inputs, 'x', FusedKernelName.splitHeads);
    const attrs = args.attrs as unknown as SplitHeadsAttrs;
    checkSplit(FusedKernelName.splitHeads, x.shape, attrs);
    const tokens = (x.shape[0] as number) / attrs.batch;
    const shape = [attrs.batch, attrs.heads, tokens, attrs.width / attrs.heads];
    const { batch, heads, offset, width, scale } = attrs;
    return computeOnHost(
      args.backend,
      FusedKernelName.splitHeads,
      [x],
      [shape],
      (ins, outs) => splitHeadsValues(ins[0]!, outs[0]!, x.shape[1] as number, attrs),
      // f32 arguments take the float32 scale, as the JS loop does with Math.fround.
      (simd, ins, outs) =>
        simd.splitHeadsCopy(
          ins[0]!,
          outs[0]!,
          batch,
          tokens,
          heads,
          width / heads,
          x.shape[1] as number,
          offset,
          scale,
        ),
    )[0]!;
  }),
  ...hostKernelConfigs(FusedKernelName.mergeHeads, (args) => {
    const names = mergeInputs(args.inputs);
    const parts = names.map((name) => requiredInput(args.inputs, name, FusedKernelName.mergeHeads));
    const { scales } = args.attrs as unknown as MergeHeadsAttrs;
    const shape = parts[0]?.shape ?? [];
    if (
      parts.length === 0 ||
      shape.length !== 4 ||
      parts.some((p) => p.shape.join() !== shape.join()) ||
      scales.length !== parts.length
    ) {
      throw new Error(
        `tfjs-fast-kernels ${FusedKernelName.mergeHeads}: needs parts x0.. of one [B, H, N, d] shape and a scale each, got ${parts.map((p) => `[${p.shape}]`)} and ${scales.length} scales`,
      );
    }
    const [batch, heads, tokens, depth] = shape as [number, number, number, number];
    return computeOnHost(
      args.backend,
      FusedKernelName.mergeHeads,
      parts,
      [[batch * tokens, parts.length * heads * depth]],
      (ins, outs) => mergeHeadsValues(ins, outs[0]!, shape, scales),
      (simd, ins, outs) => {
        ins.forEach((part, p) => {
          simd.mergeHeadsCopy(
            part,
            outs[0]!,
            batch,
            tokens,
            heads,
            depth,
            ins.length,
            p,
            scales[p] as number,
          );
        });
      },
    )[0]!;
  }),
];

export const splitHeadsGradConfig: GradConfig = {
  kernelName: FusedKernelName.splitHeads,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [Tensor];
    const { offset, width, scale } = attrs as unknown as SplitHeadsAttrs;
    return {
      x: () => {
        const merged = mergeHeads([dy as Tensor4D], [scale]);
        const columns = x.shape[1] as number;
        return offset === 0 && width === columns
          ? merged
          : pad(merged, [
              [0, 0],
              [offset, columns - offset - width],
            ]);
      },
    };
  },
};

export const mergeHeadsGradConfig: GradConfig = {
  kernelName: FusedKernelName.mergeHeads,
  gradFunc: (dy, _saved, attrs) => {
    const { scales } = attrs as unknown as MergeHeadsAttrs;
    const grads: Record<string, () => Tensor> = {};
    const partWidth = ((dy as Tensor).shape[1] as number) / scales.length;
    // The parts' shapes are not saved: B, H follow from the attrs the forward call recorded.
    const { batch, heads } = attrs as unknown as { batch: number; heads: number };
    scales.forEach((scale, p) => {
      grads[`x${p}`] = () =>
        splitHeads(dy as Tensor2D, {
          batch,
          heads,
          offset: p * partWidth,
          width: partWidth,
          scale,
        });
    });
    return grads;
  },
};

/** The composition `splitHeads` stands for. */
export function splitHeadsComposition(x: Tensor2D, attrs: SplitHeadsAttrs): Tensor4D {
  const { batch, heads, offset, width, scale } = attrs;
  const rows = x.shape[0];
  const part = width === x.shape[1] ? x : slice(x, [0, offset], [rows, width]);
  const heads4 = transpose(
    reshape(part, [batch, rows / batch, heads, width / heads]),
    [0, 2, 1, 3],
  );
  return (scale === 1 ? heads4 : mul(heads4, scale)) as Tensor4D;
}

/** The composition `mergeHeads` stands for. */
export function mergeHeadsComposition(parts: Tensor4D[], scales: number[]): Tensor2D {
  const merged = parts.map((part, p) => {
    const [b, h, n, d] = part.shape;
    const scaled = scales[p] === 1 ? part : mul(part, scales[p] as number);
    return reshape(transpose(scaled, [0, 2, 1, 3]), [b * n, h * d]) as Tensor2D;
  });
  return merged.length === 1 ? (merged[0] as Tensor2D) : (concat(merged, 1) as Tensor2D);
}

/**
 * Columns offset..offset+width of x [B N, W] as H heads [B, H, N, width/H], times `scale`:
 * slice, reshape, transpose and scaling in one copy.
 */
export function splitHeads(x: Tensor2D, attrs: SplitHeadsAttrs): Tensor4D {
  checkSplit('splitHeads', x.shape, attrs);
  if (!hasKernel(FusedKernelName.splitHeads)) return splitHeadsComposition(x, attrs);
  return engine().runKernel(
    FusedKernelName.splitHeads,
    { x },
    attrs as unknown as NamedAttrMap,
  ) as Tensor4D;
}

/**
 * Heads [B, H, N, d] back to rows [B N, H d], each part times its scale, the parts side by
 * side: [B N, P H d] (the inverse of `splitHeads` over a packed q|k|v projection).
 */
export function mergeHeads(parts: Tensor4D[], scales: number[]): Tensor2D {
  if (parts.length === 0 || scales.length !== parts.length)
    throw new Error(
      `mergeHeads: needs one scale per part, got ${parts.length} parts, ${scales.length} scales`,
    );
  if (!hasKernel(FusedKernelName.mergeHeads)) return mergeHeadsComposition(parts, scales);
  const inputs: NamedTensorMap = {};
  parts.forEach((part, p) => {
    inputs[`x${p}`] = part;
  });
  const [batch, heads] = parts[0]!.shape;
  return engine().runKernel(FusedKernelName.mergeHeads, inputs, {
    scales,
    batch,
    heads,
  } as unknown as NamedAttrMap) as Tensor2D;
}
