/**
 * The Level 1 hook: an object with maskInputs(streams, ctx) as docs/contracts.md specifies,
 * which the encoder calls after patch + positional embedding.
 */
import type { Tensor3D } from '@tensorflow/tfjs-core';
import type { MaskedStream, MaskingContext, StreamLayout, StreamName } from './contract.js';
import { applyMaskPlan, createMaskPlan, type MaskPlan } from './mask-plan.js';
import {
  type MaskSchedule,
  type MaskScheduleOptions,
  maskSchedule,
  scheduledRatios,
  stepRng,
} from './schedule.js';
import { drawCrossModalKeepSets, drawKeepSets, type StreamMaskMode } from './strategies.js';

/** A mode for both streams; 'cross-modal' keeps the same time steps in video and audio. */
export type MaskMode = StreamMaskMode | 'cross-modal';

export interface InputMaskerOptions extends MaskScheduleOptions {
  /** One mode for both streams, or one per stream. Default 'random'. */
  mode?: MaskMode | Partial<Record<StreamName, StreamMaskMode>>;
}

/** A masked stream plus the plan behind it (to mask other aligned tensors or restore tokens). */
export interface PlannedMaskedStream extends MaskedStream {
  plan: MaskPlan;
}

/** The encoder's `InputMasker` hook, structurally, with the schedule and mode it runs. */
export interface SparseInputMasker {
  readonly schedule: MaskSchedule;
  readonly mode: MaskMode | Readonly<Record<StreamName, StreamMaskMode>>;
  maskInputs(
    streams: Record<StreamName, { tokens: Tensor3D; layout: StreamLayout }>,
    ctx: MaskingContext,
  ): Record<StreamName, PlannedMaskedStream> | null;
}

const STREAMS: readonly StreamName[] = ['video', 'audio'];
const CROSS_MODAL_SALT = STREAMS.length;

export function createInputMasker(options: InputMaskerOptions = {}): SparseInputMasker {
  const schedule = maskSchedule(options);
  const given = options.mode ?? 'random';
  assertModes(given);
  const mode =
    typeof given === 'string'
      ? given
      : { video: 'random' as const, audio: 'random' as const, ...given };

  function maskInputs(
    streams: Record<StreamName, { tokens: Tensor3D; layout: StreamLayout }>,
    ctx: MaskingContext,
  ): Record<StreamName, PlannedMaskedStream> | null {
    const ratios = scheduledRatios(schedule, ctx);
    if (ratios === null) return null;
    for (const name of STREAMS) assertStream(name, streams[name]);

    let keepSets: Record<StreamName, Int32Array[]>;
    if (mode === 'cross-modal') {
      const batchSize = streams.video.tokens.shape[0];
      if (streams.audio.tokens.shape[0] !== batchSize) {
        throw new Error(
          `maskInputs: cross-modal mode needs one batch size, got video [${streams.video.tokens.shape}] and audio [${streams.audio.tokens.shape}]`,
        );
      }
      const grids = { video: streams.video.layout, audio: streams.audio.layout };
      keepSets = drawCrossModalKeepSets(
        batchSize,
        grids,
        ratios,
        stepRng(schedule, ctx, CROSS_MODAL_SALT),
      );
    } else {
      const streamMode = (name: StreamName) => (typeof mode === 'string' ? mode : mode[name]);
      const draw = (name: StreamName, salt: number) =>
        drawKeepSets(
          streamMode(name),
          streams[name].tokens.shape[0],
          streams[name].layout,
          ratios[name],
          stepRng(schedule, ctx, salt),
        );
      keepSets = { video: draw('video', 0), audio: draw('audio', 1) };
    }

    const masked = (name: StreamName): PlannedMaskedStream => {
      const { tokens } = streams[name];
      const plan = createMaskPlan(keepSets[name], tokens.shape[1]);
      return { tokens: applyMaskPlan(plan, tokens), keepIndices: plan.keepIndices, plan };
    };
    return { video: masked('video'), audio: masked('audio') };
  }

  return { schedule, mode, maskInputs };
}

const STREAM_MODES: readonly StreamMaskMode[] = ['random', 'time', 'frequency', 'time-frequency'];

function assertModes(mode: InputMaskerOptions['mode']): void {
  const bad = (value: unknown) =>
    new Error(
      `createInputMasker: options.mode must be one of ${[...STREAM_MODES, 'cross-modal'].join(', ')} or { video?, audio? } of the first four, got ${JSON.stringify(value)}`,
    );
  if (typeof mode === 'string') {
    if (mode !== 'cross-modal' && !STREAM_MODES.includes(mode)) throw bad(mode);
    return;
  }
  for (const value of Object.values(mode ?? {})) {
    if (!STREAM_MODES.includes(value)) throw bad(mode);
  }
}

function assertStream(
  name: StreamName,
  stream: { tokens: Tensor3D; layout: StreamLayout } | undefined,
): void {
  if (stream === undefined) throw new Error(`maskInputs: streams.${name} is missing`);
  const { tokens, layout } = stream;
  if (layout.stream !== name) {
    throw new Error(`maskInputs: streams.${name}.layout.stream is '${layout.stream}'`);
  }
  if (tokens.rank !== 3) {
    throw new Error(`maskInputs: streams.${name}.tokens must be [B, N, D], got [${tokens.shape}]`);
  }
  if (layout.timeSteps * layout.tokensPerStep !== tokens.shape[1]) {
    throw new Error(
      `maskInputs: streams.${name}.layout has ${layout.timeSteps} steps x ${layout.tokensPerStep} tokens but tokens are [${tokens.shape}]`,
    );
  }
}
