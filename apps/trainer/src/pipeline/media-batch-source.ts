import type { InputSpec } from '@sparsify/amuse-encoder';
import type { AvqaRecord } from '@sparsify/avqa-datasets';
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
 * A NaN in one video's inputs reaches the loss (or the merge plan's scores) of a whole
 * batch, where nothing names the video any more: stop here instead.
 */
function checkFinite(split: string, videoId: string, stream: string, values: Float32Array) {
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) {
      throw new Error(
        `${split}: video ${videoId} has ${value} in its ${stream} (value ${i} of ${values.length}): its media or preprocessing cache is damaged`,
      );
    }
  }
}

/**
 * Batches of one split from per-video media: stacks each question's video frames, fbank
 * windows and tokens into the arrays the model adapter turns into tensors.
 */
export class MediaBatchSource implements BatchSource {
  private readonly frameValues: number;
  private readonly fbankValues: number;
  /** Media arrays already found finite (lookups usually return the same cached arrays). */
  private readonly checked = new WeakSet<Float32Array>();

  constructor(
    readonly name: string,
    readonly records: readonly AvqaRecord[],
    private readonly media: MediaLookup,
    private readonly inputs: InputSpec,
    /** When given, every batch carries its videos' perception targets. */
    readonly perception: PerceptionLookup | null = null,
  ) {
    this.frameValues = valuesPerSample(inputs.video);
    this.fbankValues = valuesPerSample(inputs.audio);
  }

  async load(indices: ArrayLike<number>): Promise<ArrayBatch> {
    const b = indices.length;
    const questionLength = this.records[0]?.tokenIds.length ?? 14;
    const question = new Int32Array(b * questionLength);
    const frames = new Float32Array(b * this.frameValues);
    const fbank = new Float32Array(b * this.fbankValues);
    const labels = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      const position = indices[i] as number;
      const record = this.records[position];
      if (!record)
        throw new RangeError(
          `${this.name}: no record at position ${position} of ${this.records.length}`,
        );
      const media = await this.media(record.videoId);
      if (media.frames.length !== this.frameValues || media.fbank.length !== this.fbankValues) {
        throw new Error(
          `${this.name}: video ${record.videoId} has ${media.frames.length} frame values and ${media.fbank.length} fbank values, ` +
            `the model expects ${this.frameValues} and ${this.fbankValues} (${JSON.stringify(this.inputs)})`,
        );
      }
      if (!this.checked.has(media.fbank)) {
        checkFinite(this.name, record.videoId, 'fbank', media.fbank);
        if (media.frames instanceof Float32Array) {
          checkFinite(this.name, record.videoId, 'frames', media.frames);
        }
        this.checked.add(media.fbank);
      }
      question.set(record.tokenIds, i * questionLength);
      const frameOffset = i * this.frameValues;
      // Frames arrive as bytes; the encoder sees [0, 1]. Features (floats) are copied as they are.
      if (media.frames instanceof Float32Array) frames.set(media.frames, frameOffset);
      else
        for (let v = 0; v < this.frameValues; v++)
          frames[frameOffset + v] = (media.frames[v] as number) / 255;
      fbank.set(media.fbank, i * this.fbankValues);
      labels[i] = record.label;
    }
    const inputs: MediaArrays = { question, frames, fbank };
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
    for (let i = 0; i < b; i++) {
      const record = this.records[indices[i] as number] as AvqaRecord;
      const targets = lookup(record.videoId);
      videoClasses ??= new Int32Array(b * targets.patchClasses.length);
      audioSteps ??= new Float32Array(b * targets.audioSteps.length);
      videoClasses.set(targets.patchClasses, i * targets.patchClasses.length);
      audioSteps.set(targets.audioSteps, i * targets.audioSteps.length);
    }
    if (audioSteps && audioSteps.length % (b * AUDIO_TARGETS) !== 0) {
      throw new Error(`${this.name}: perception targets have an unexpected size`);
    }
    return {
      videoClasses: videoClasses ?? new Int32Array(0),
      audioSteps: audioSteps ?? new Float32Array(0),
    };
  }
}
