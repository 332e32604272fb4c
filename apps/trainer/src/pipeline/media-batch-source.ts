import type { InputSpec } from '@sparsify/amuse-encoder';
import { type AvqaRecord, createInputStacker, type InputBatch } from '@sparsify/avqa-datasets';
import type { MediaArrays } from './amuse-model.js';
import { valuesPerSample } from './feature-inputs.js';
import { AUDIO_TARGETS, type VideoPerception } from './perception-targets.js';
import type { ArrayBatch, BatchSource } from './types.js';

/**
 * One video's model inputs: `frames` holds the video stream (frames [T, H, W, 3], uint8 or
 * [0, 1] floats; or ResNet-18 maps [T, 512, 196] or CLIP features [T, 768]) and `fbank` the
 * audio stream (fbank windows [T, F, M], or VGGish features [T, 128]).
 */
export interface VideoMedia {
  frames: Uint8Array | Float32Array;
  fbank: Float32Array;
}

export type MediaLookup = (videoId: string) => VideoMedia | Promise<VideoMedia>;

/** A video's perception targets (synthetic data knows them from its scenes). */
export type PerceptionLookup = (videoId: string) => VideoPerception;

/**
 * Batches of one split from per-video media: avqa-datasets' input stacker stacks each
 * question's video stream, audio stream and tokens; the trainer adds the perception targets
 * (synthetic data) and the MediaArrays the model adapter turns into tensors.
 */
export class MediaBatchSource implements BatchSource {
  private readonly stack: (indices: ArrayLike<number>) => Promise<InputBatch>;

  constructor(
    readonly name: string,
    readonly records: readonly AvqaRecord[],
    private readonly media: MediaLookup,
    private readonly inputs: InputSpec,
    /** When given, every batch carries its videos' perception targets. */
    readonly perception: PerceptionLookup | null = null,
  ) {
    this.stack = createInputStacker({
      name,
      records,
      lookup: async (videoId) => {
        const { frames, fbank } = await media(videoId);
        return { video: frames, audio: fbank };
      },
      videoValues: valuesPerSample(inputs.video),
      audioValues: valuesPerSample(inputs.audio),
      geometry: JSON.stringify(inputs),
    });
  }

  async load(indices: ArrayLike<number>): Promise<ArrayBatch> {
    const { question, video, audio, labels } = await this.stack(indices);
    const inputs: MediaArrays = { question, frames: video, fbank: audio };
    if (this.perception) inputs.perception = this.perceptionBatch(indices);
    return { inputs, labels };
  }

  /** The same split with other records (e.g. one per video), sharing media and targets. */
  withRecords(name: string, records: readonly AvqaRecord[]): MediaBatchSource {
    return new MediaBatchSource(name, records, this.media, this.inputs, this.perception);
  }

  private perceptionBatch(indices: ArrayLike<number>): NonNullable<MediaArrays['perception']> {
    const lookup = this.perception as PerceptionLookup;
    const b = indices.length;
    let videoClasses: Int32Array | null = null;
    let audioSteps: Float32Array | null = null;
    let classSteps: Float32Array | null = null;
    for (let i = 0; i < b; i++) {
      const record = this.records[indices[i] as number] as AvqaRecord;
      const targets = lookup(record.videoId);
      videoClasses ??= new Int32Array(b * targets.patchClasses.length);
      audioSteps ??= new Float32Array(b * targets.audioSteps.length);
      videoClasses.set(targets.patchClasses, i * targets.patchClasses.length);
      audioSteps.set(targets.audioSteps, i * targets.audioSteps.length);
      classSteps ??= new Float32Array(b * targets.classSteps.length);
      classSteps.set(targets.classSteps, i * targets.classSteps.length);
    }
    if (audioSteps && audioSteps.length % (b * AUDIO_TARGETS) !== 0) {
      throw new Error(`${this.name}: perception targets have an unexpected size`);
    }
    return {
      videoClasses: videoClasses ?? new Int32Array(0),
      audioSteps: audioSteps ?? new Float32Array(0),
      classSteps: classSteps ?? new Float32Array(0),
    };
  }
}
