import {
  customGrad,
  engine,
  type GradSaveFunc,
  getBackend,
  getKernel,
  type KernelConfig,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type NamedTensorMap,
  type Tensor,
  type Tensor2D,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { FusedKernelName } from './fused-kernel-names.js';
import { computeOnHost, hostKernelConfigs } from './host-arrays.js';
import { requiredInput } from './kernel-inputs.js';

/**
 * Where the attention core reads q, k and v: each is the column range [offset, offset + D)
 * of input `x<source>` (rows b N + n). Every input is covered by its parts exactly (q|k|v
 * [B N, 3D] for self-attention; q [B Nq, D] and k|v [B Nk, 2D] across), so the gradient of
 * each input is written whole, one output per input.
 */
export interface AttentionCoreAttrs {
  /** B: every input's rows are B runs of tokens. */
  batch: number;
  /** H: D splits into H heads of D / H columns. */
  heads: number;
  /** D, the width of q, k and v. */
  width: number;
  /** The input index of q, k and v. */
  sources: [number, number, number];
  /** The first column of q, k and v in their inputs. */
  offsets: [number, number, number];
}

interface Geometry {
  queries: number;
  keys: number;
  depth: number;
  /** The column count of q's, k's and v's input. */
  columns: [number, number, number];
}

/** The inputs x0, x1, ... in order (up to the first missing one). */
function packedInputs(inputs: NamedTensorInfoMap): TensorInfo[] {
  const xs: TensorInfo[] = [];
  for (let i = 0; inputs[`x${i}`] != null; i++) xs.push(inputs[`x${i}`] as TensorInfo);
  return xs;
}

function checkGeometry(
  kernelName: string,
  xs: TensorInfo[],
  attrs: AttentionCoreAttrs,
  bias: TensorInfo | undefined,
): Geometry {
  const { batch, heads, width, sources, offsets } = attrs;
  const fail = (why: string): never => {
    throw new Error(
      `tfjs-fast-kernels ${kernelName}: ${why} (inputs ${xs.map((x) => `[${x.shape}]`).join(' ')}, batch ${batch}, heads ${heads}, width ${width}, sources [${sources}], offsets [${offsets}])`,
    );
  };
  if (xs.length === 0) fail('no input x0');
  if (!Number.isInteger(batch) || batch < 1) fail('batch must be a positive integer');
  if (!Number.isInteger(heads) || heads < 1 || width % heads !== 0 || width < 1)
    fail('heads must divide the width');
  xs.forEach((x, i) => {
    if (x.shape.length !== 2 || (x.shape[0] as number) % batch !== 0)
      fail(`x${i} must be 2-D with rows a multiple of the batch`);
    const mine = offsets.filter((_, role) => sources[role] === i).sort((a, b) => a - b);
    if (
      mine.length === 0 ||
      mine.some((o, k) => o !== k * width) ||
      x.shape[1] !== mine.length * width
    )
      fail(`x${i} is not covered exactly by its parts of width ${width}`);
  });
  const rowsOf = (role: number) => (xs[sources[role] as number]?.shape[0] as number) / batch;
  const queries = rowsOf(0);
  const keys = rowsOf(1);
  if (rowsOf(2) !== keys) fail('k and v must have as many rows');
  if (queries < 1 || keys < 1) fail('q and k need at least one token an item');
  if (
    bias != null &&
    (bias.shape.length !== 2 || bias.shape[0] !== batch || bias.shape[1] !== keys)
  )
    fail(`bias must be [${batch}, ${keys}], got [${bias.shape}]`);
  const columns = sources.map((s) => xs[s]?.shape[1] as number) as [number, number, number];
  return { queries, keys, depth: width / heads, columns };
}

/** Softmax(q k^T / sqrt(d) + bias) v's scale, as a float32 (what the stock Multiply uses). */
function scaleOf(depth: number): number {
  return Math.fround(1 / Math.sqrt(depth));
}

/** dst [rows, depth] = factor x[(b rows + n) columns + offset + h depth + c], as doubles. */
function gatherHead(
  x: Float32Array,
  dst: Float64Array,
  rowStart: number,
  rows: number,
  columns: number,
  column: number,
  depth: number,
  factor: number,
): void {
  for (let n = 0; n < rows; n++) {
    const from = (rowStart + n) * columns + column;
    for (let c = 0; c < depth; c++)
      dst[n * depth + c] =
        factor === 1 ? (x[from + c] as number) : Math.fround(factor * (x[from + c] as number));
  }
}

/** x[(b rows + n) columns + column + c] = head[n, c] (rounded to float32 by the store). */
function scatterHead(
  head: Float64Array,
  x: Float32Array,
  rowStart: number,
  rows: number,
  columns: number,
  column: number,
  depth: number,
  factor: number,
): void {
  for (let n = 0; n < rows; n++) {
    const to = (rowStart + n) * columns + column;
    for (let c = 0; c < depth; c++) x[to + c] = factor * (head[n * depth + c] as number);
  }
}

/**
 * The forward pass on plain arrays (the cpu backend, and wasm without SIMD): each (b, h)
 * pair's heads copied out as doubles, double sums, float32 results. q is scaled (in float32)
 * first, as the separate kernels do.
 */
function attentionForwardValues(
  xs: Float32Array[],
  bias: Float32Array | null,
  out: Float32Array,
  probabilities: Float32Array,
  attrs: AttentionCoreAttrs,
  g: Geometry,
): void {
  const { batch, heads, sources, offsets } = attrs;
  const { queries, keys, depth, columns } = g;
  const [q, k, v] = sources.map((s) => xs[s] as Float32Array) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const scale = scaleOf(depth);
  const width = heads * depth;
  const qh = new Float64Array(queries * depth);
  const kh = new Float64Array(keys * depth);
  const vh = new Float64Array(keys * depth);
  const oh = new Float64Array(queries * depth);
  const row = new Float64Array(keys);
  let p = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      gatherHead(q, qh, b * queries, queries, columns[0], offsets[0] + h * depth, depth, scale);
      gatherHead(k, kh, b * keys, keys, columns[1], offsets[1] + h * depth, depth, 1);
      gatherHead(v, vh, b * keys, keys, columns[2], offsets[2] + h * depth, depth, 1);
      oh.fill(0);
      for (let i = 0; i < queries; i++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < keys; j++) {
          let s = 0;
          for (let c = 0; c < depth; c++)
            s += (qh[i * depth + c] as number) * (kh[j * depth + c] as number);
          s = Math.fround(s) + (bias == null ? 0 : (bias[b * keys + j] as number));
          row[j] = s;
          if (s > max) max = s;
        }
        let total = 0;
        for (let j = 0; j < keys; j++) {
          const e = Math.exp((row[j] as number) - max);
          row[j] = e;
          total += e;
        }
        for (let j = 0; j < keys; j++) {
          const pij = Math.fround((row[j] as number) / total);
          probabilities[p + i * keys + j] = pij;
          for (let c = 0; c < depth; c++)
            oh[i * depth + c] = (oh[i * depth + c] as number) + pij * (vh[j * depth + c] as number);
        }
      }
      scatterHead(oh, out, b * queries, queries, width, h * depth, depth, 1);
      p += queries * keys;
    }
  }
}

/** The backward pass on plain arrays; grads[i] is x_i's gradient (every column written). */
function attentionBackwardValues(
  dy: Float32Array,
  xs: Float32Array[],
  probabilities: Float32Array,
  grads: Float32Array[],
  attrs: AttentionCoreAttrs,
  g: Geometry,
): void {
  const { batch, heads, sources, offsets } = attrs;
  const { queries, keys, depth, columns } = g;
  const [q, k, v] = sources.map((s) => xs[s] as Float32Array) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const [dq, dk, dv] = sources.map((s) => grads[s] as Float32Array) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const scale = scaleOf(depth);
  const width = heads * depth;
  const qh = new Float64Array(queries * depth);
  const kh = new Float64Array(keys * depth);
  const vh = new Float64Array(keys * depth);
  const dyh = new Float64Array(queries * depth);
  const dqh = new Float64Array(queries * depth);
  const dkh = new Float64Array(keys * depth);
  const dvh = new Float64Array(keys * depth);
  const dRow = new Float64Array(keys);
  let p = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      gatherHead(q, qh, b * queries, queries, columns[0], offsets[0] + h * depth, depth, scale);
      gatherHead(k, kh, b * keys, keys, columns[1], offsets[1] + h * depth, depth, 1);
      gatherHead(v, vh, b * keys, keys, columns[2], offsets[2] + h * depth, depth, 1);
      gatherHead(dy, dyh, b * queries, queries, width, h * depth, depth, 1);
      dqh.fill(0);
      dkh.fill(0);
      dvh.fill(0);
      for (let i = 0; i < queries; i++) {
        // dP = dy v^T, then dS = P (dP - sum(dP P)) for this row.
        let dot = 0;
        for (let j = 0; j < keys; j++) {
          let s = 0;
          for (let c = 0; c < depth; c++)
            s += (dyh[i * depth + c] as number) * (vh[j * depth + c] as number);
          dRow[j] = s;
          dot += s * (probabilities[p + i * keys + j] as number);
        }
        for (let j = 0; j < keys; j++) {
          const pij = probabilities[p + i * keys + j] as number;
          const ds = pij * ((dRow[j] as number) - dot);
          for (let c = 0; c < depth; c++) {
            dqh[i * depth + c] =
              (dqh[i * depth + c] as number) + ds * (kh[j * depth + c] as number);
            dkh[j * depth + c] =
              (dkh[j * depth + c] as number) + ds * (qh[i * depth + c] as number);
            dvh[j * depth + c] =
              (dvh[j * depth + c] as number) + pij * (dyh[i * depth + c] as number);
          }
        }
      }
      scatterHead(dqh, dq, b * queries, queries, columns[0], offsets[0] + h * depth, depth, scale);
      scatterHead(dkh, dk, b * keys, keys, columns[1], offsets[1] + h * depth, depth, 1);
      scatterHead(dvh, dv, b * keys, keys, columns[2], offsets[2] + h * depth, depth, 1);
      p += queries * keys;
    }
  }
}

function byteOffsetOf(base: number, column: number): number {
  return base + 4 * column;
}

/** Frees a kernel's own scratch output on either host backend. */
function disposeScratch(backend: unknown, scratch: TensorInfo): void {
  (backend as { disposeData(dataId: object): void }).disposeData(scratch.dataId);
}

function attrsOf(attrs: NamedAttrMap | undefined): AttentionCoreAttrs {
  return attrs as unknown as AttentionCoreAttrs;
}

export const attentionCoreKernels: KernelConfig[] = [
  ...hostKernelConfigs(FusedKernelName.attention, (args) => {
    const name = FusedKernelName.attention;
    const attrs = attrsOf(args.attrs);
    const xs = packedInputs(args.inputs);
    const bias = args.inputs.bias;
    const g = checkGeometry(name, xs, attrs, bias);
    const { batch, heads, width, sources, offsets } = attrs;
    const inputs = bias == null ? xs : [...xs, bias];
    const scratchSize = 2 * (g.queries + g.keys) * g.depth;
    const [out, probabilities, scratch] = computeOnHost(
      args.backend,
      name,
      inputs,
      [[batch * g.queries, width], [batch, heads, g.queries, g.keys], [scratchSize]],
      (ins, outs) =>
        attentionForwardValues(
          ins.slice(0, xs.length),
          bias == null ? null : (ins[xs.length] as Float32Array),
          outs[0]!,
          outs[1]!,
          attrs,
          g,
        ),
      (simd, ins, outs) => {
        const at = (role: number) =>
          byteOffsetOf(ins[sources[role] as number] as number, offsets[role] as number);
        simd.attentionForward(
          at(0),
          g.columns[0],
          at(1),
          g.columns[1],
          at(2),
          g.columns[2],
          bias == null ? 0 : (ins[xs.length] as number),
          outs[0]!,
          outs[1]!,
          batch,
          g.queries,
          g.keys,
          heads,
          g.depth,
          scaleOf(g.depth),
          outs[2]!,
        );
      },
    ) as [TensorInfo, TensorInfo, TensorInfo];
    disposeScratch(args.backend, scratch);
    return [out, probabilities];
  }),
  ...hostKernelConfigs(FusedKernelName.attentionGrad, (args) => {
    const name = FusedKernelName.attentionGrad;
    const attrs = attrsOf(args.attrs);
    const xs = packedInputs(args.inputs);
    const dy = requiredInput(args.inputs, 'dy', name);
    const probabilities = requiredInput(args.inputs, 'probabilities', name);
    const g = checkGeometry(name, xs, attrs, undefined);
    const { batch, heads, width, sources, offsets } = attrs;
    if (
      dy.shape.join() !== [batch * g.queries, width].join() ||
      probabilities.shape.join() !== [batch, heads, g.queries, g.keys].join()
    )
      throw new Error(
        `tfjs-fast-kernels ${name}: dy [${dy.shape}] or probabilities [${probabilities.shape}] do not fit q [${batch * g.queries}, ${width}] and k [${batch * g.keys}, ${width}]`,
      );
    const scratchSize = 4 * (g.queries + g.keys) * g.depth + g.queries * g.keys;
    const outputs = computeOnHost(
      args.backend,
      name,
      [dy, probabilities, ...xs],
      [...xs.map((x) => [...x.shape]), [scratchSize]],
      (ins, outs) =>
        attentionBackwardValues(ins[0]!, ins.slice(2), ins[1]!, outs.slice(0, xs.length), attrs, g),
      (simd, ins, outs) => {
        const input = (role: number) =>
          byteOffsetOf(ins[2 + (sources[role] as number)] as number, offsets[role] as number);
        const grad = (role: number) =>
          byteOffsetOf(outs[sources[role] as number] as number, offsets[role] as number);
        simd.attentionBackward(
          ins[0]!,
          input(0),
          g.columns[0],
          input(1),
          g.columns[1],
          input(2),
          g.columns[2],
          ins[1]!,
          grad(0),
          g.columns[0],
          grad(1),
          g.columns[1],
          grad(2),
          g.columns[2],
          batch,
          g.queries,
          g.keys,
          heads,
          g.depth,
          scaleOf(g.depth),
          outs[xs.length]!,
        );
      },
    );
    disposeScratch(args.backend, outputs[xs.length] as TensorInfo);
    return outputs.slice(0, xs.length);
  }),
];

/** Whether the fused attention core runs on the active backend. */
export function attentionCoreRuns(): boolean {
  return (
    getKernel(FusedKernelName.attention, getBackend()) != null &&
    getKernel(FusedKernelName.attentionGrad, getBackend()) != null
  );
}

/**
 * Multi-head attention's core, softmax(q k^T / sqrt(d) + bias[b]) v per batch item and
 * head, heads side by side: [B Nq, D]. q, k and v are column ranges of `inputs` (see
 * AttentionCoreAttrs); `bias` [B, Nk] is a constant added to every query's scores (no
 * gradient). One tape node: one kernel forward, one backward (SparsifyAttention,
 * SparsifyAttentionGrad; SIMD on wasm, JS loops on cpu), within the README's error bound
 * of the stock composition. Registered by enableFastKernels.
 */
export function attentionCore(
  inputs: Tensor2D[],
  attrs: AttentionCoreAttrs,
  bias: Tensor2D | null = null,
): Tensor2D {
  const kernelAttrs = attrs as unknown as NamedAttrMap;
  return customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const save = args[inputs.length] as GradSaveFunc;
    const xs = args.slice(0, inputs.length) as Tensor[];
    const named: NamedTensorMap = {};
    xs.forEach((x, i) => {
      named[`x${i}`] = x;
    });
    if (bias != null) named.bias = bias;
    const [out, probabilities] = engine().runKernel(
      FusedKernelName.attention,
      named,
      kernelAttrs,
    ) as [Tensor2D, Tensor];
    save([...xs, probabilities]);
    // save() kept its own reference where a gradient is recorded; this one is not returned.
    probabilities.dispose();
    return {
      value: out,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const gradInputs: NamedTensorMap = { dy, probabilities: saved[xs.length] as Tensor };
        saved.slice(0, xs.length).forEach((x, i) => {
          gradInputs[`x${i}`] = x;
        });
        return [
          engine().runKernel(FusedKernelName.attentionGrad, gradInputs, kernelAttrs) as
            | Tensor
            | Tensor[],
        ].flat();
      },
    };
  })(...inputs) as Tensor2D;
}
