/**
 * Parameter counts and forward FLOPs, computed from the configuration (nothing is
 * allocated, so `base` at 256x256 costs nothing to describe). FLOPs count matrix products
 * (2 per multiply-add), which dominate; norms, softmax and GELU are left out.
 */
import {
  type AmuseConfig,
  type AmuseOptions,
  type InputSpec,
  type PresetName,
  resolveConfig,
} from './config.js';
import { tokenGeometry } from './stream-embedding.js';

export interface DescribeOptions {
  /** Fraction of each stream's tokens kept by the input masker (1 = no masking). */
  keepFraction?: number;
  /** Fraction of tokens left after the token reducer (1 = no reducer). */
  reducedFraction?: number;
}

export interface ModelDescription {
  config: AmuseConfig;
  tokens: { video: number; audio: number; question: number };
  parameters: {
    total: number;
    streamEmbeddings: number;
    question: number;
    backbone: number;
    /** The cross-modal adapters inside the backbone (included in backbone). */
    adapters: number;
    fusion: number;
  };
  /** Forward FLOPs for one sample. */
  flops: {
    total: number;
    streamEmbeddings: number;
    question: number;
    backbone: number;
    fusion: number;
  };
  /** A printable summary. */
  text: string;
}

const linearParams = (inputs: number, outputs: number) => inputs * outputs + outputs;
const normParams = (width: number) => 2 * width;

function blockParams(
  config: AmuseConfig,
  withAdapter: boolean,
): { block: number; adapter: number } {
  const d = config.width;
  const hidden = Math.round(d * config.mlpRatio);
  const adapter = withAdapter
    ? 2 * normParams(d) + linearParams(d, d) + linearParams(d, 2 * d) + linearParams(d, d) + 1
    : 0;
  const block =
    2 * normParams(d) +
    linearParams(d, 3 * d) +
    linearParams(d, d) +
    linearParams(d, hidden) +
    linearParams(hidden, d) +
    adapter;
  return { block, adapter };
}

/** Self-attention + MLP over n tokens, plus an adapter attending to nc context tokens. */
function blockFlops(config: AmuseConfig, n: number, nc: number | null): number {
  const d = config.width;
  const hidden = Math.round(d * config.mlpRatio);
  let flops = 2 * n * d * 3 * d + 2 * 2 * n * n * d + 2 * n * d * d + 2 * 2 * n * d * hidden;
  if (nc !== null) flops += 2 * n * d * d + 2 * nc * d * 2 * d + 2 * 2 * n * nc * d + 2 * n * d * d;
  return flops;
}

export function describeModel(
  presetOrOptions: PresetName | AmuseOptions,
  inputs?: InputSpec,
  options: DescribeOptions = {},
): ModelDescription {
  const base = typeof presetOrOptions === 'string' ? { preset: presetOrOptions } : presetOrOptions;
  const config = resolveConfig(inputs === undefined ? base : { ...base, inputs });
  const keep = options.keepFraction ?? 1;
  const reduced = options.reducedFraction ?? 1;
  const d = config.width;
  const l = config.questionLength;

  const streams = (['video', 'audio'] as const).map((name) => {
    const spec = config.inputs[name];
    const geometry = tokenGeometry(spec, config.patchSize);
    const tokens = spec.timeSteps * geometry.tokensPerStep;
    return {
      tokens,
      params:
        linearParams(geometry.patchValues, d) +
        normParams(d) +
        spec.timeSteps * d +
        geometry.tokensPerStep * d,
      flops: 2 * tokens * geometry.patchValues * d,
    };
  });
  const [video, audio] = streams as [(typeof streams)[0], (typeof streams)[0]];

  const questionParams =
    config.vocabularySize * d +
    l * d +
    config.questionLayers * blockParams(config, false).block +
    normParams(d);
  const questionFlops =
    2 * l * config.vocabularySize * d + config.questionLayers * blockFlops(config, l, null);

  let backboneParams = normParams(d);
  let adapterParams = 0;
  let backboneFlops = 0;
  let nv = Math.max(1, Math.round(video.tokens * keep));
  let na = Math.max(1, Math.round(audio.tokens * keep));
  for (let i = 0; i < config.depth; i++) {
    const { block, adapter } = blockParams(config, true);
    backboneParams += block;
    adapterParams += adapter;
    const questionBlock = i < config.questionAdapterBlocks;
    backboneFlops += blockFlops(config, nv, questionBlock ? l : na);
    backboneFlops += blockFlops(config, na, questionBlock ? l : nv);
    if (i === config.reduceAfterBlock) {
      nv = Math.max(1, Math.round(nv * reduced));
      na = Math.max(1, Math.round(na * reduced));
    }
  }
  const fusionParams =
    2 * linearParams(d, d) + linearParams(d, d) + linearParams(d, config.numAnswers);
  const fusionFlops = 2 * 2 * d * d + 2 * d * d + 2 * d * config.numAnswers;

  const parameters = {
    total: video.params + audio.params + questionParams + backboneParams + fusionParams,
    streamEmbeddings: video.params + audio.params,
    question: questionParams,
    backbone: backboneParams,
    adapters: adapterParams,
    fusion: fusionParams,
  };
  const flops = {
    total: video.flops + audio.flops + questionFlops + backboneFlops + fusionFlops,
    streamEmbeddings: video.flops + audio.flops,
    question: questionFlops,
    backbone: backboneFlops,
    fusion: fusionFlops,
  };
  const tokens = { video: video.tokens, audio: audio.tokens, question: l };
  const { video: vs, audio: as } = config.inputs;
  const text = [
    `amuse-encoder ${config.preset}: width ${d}, ${config.depth} blocks (${config.questionAdapterBlocks} question-adapter), ${config.heads} heads`,
    `inputs: video ${vs.kind} (${video.tokens} tokens), audio ${as.kind} (${audio.tokens} tokens), question ${l} words`,
    `parameters: ${formatCount(parameters.total)} (embeddings ${formatCount(parameters.streamEmbeddings)}, question ${formatCount(parameters.question)}, backbone ${formatCount(parameters.backbone)} incl. adapters ${formatCount(parameters.adapters)}, fusion ${formatCount(parameters.fusion)})`,
    `forward FLOPs per sample: ${formatCount(flops.total)} (backbone ${formatCount(flops.backbone)})` +
      (keep !== 1 || reduced !== 1 ? ` with keepFraction ${keep}, reducedFraction ${reduced}` : ''),
  ].join('\n');
  return { config, tokens, parameters, flops, text };
}

function formatCount(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)}G`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return `${value}`;
}
