/**
 * One video's model inputs, already reduced to the time steps a model sees: `video` holds
 * frames as bytes (scaled to [0, 1] when stacked) or pre-extracted features as floats, and
 * `audio` fbank windows or audio features, both flattened.
 */
export interface VideoInputs {
  video: Uint8Array | Float32Array;
  audio: Float32Array;
}

export type VideoInputsLookup = (videoId: string) => VideoInputs | Promise<VideoInputs>;

/** What stacking needs of a question record. */
export interface StackRecord {
  videoId: string;
  tokenIds: Int32Array;
  label: number;
}

export interface InputStackerOptions {
  /** The split's name, for errors. */
  name: string;
  records: readonly StackRecord[];
  lookup: VideoInputsLookup;
  /** Values of one video's video stream and audio stream: every lookup must return these. */
  videoValues: number;
  audioValues: number;
  /** The input geometry, named in the error when a video's streams have another size. */
  geometry?: string;
}

/** A batch of stacked inputs, rows in the order of the indices asked for. */
export interface InputBatch {
  /** [B, L], L = the records' token length (14). */
  question: Int32Array;
  /** [B, videoValues], frames in [0, 1] or features as stored. */
  video: Float32Array;
  /** [B, audioValues]. */
  audio: Float32Array;
  labels: Int32Array;
}

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
 * Stacks the questions, video and audio inputs and labels of any records of a split into
 * batch arrays (the per-video half of a loader: createBatchLoader decides which records and
 * when). Videos are looked up one after another in batch order.
 */
export function createInputStacker(
  options: InputStackerOptions,
): (indices: ArrayLike<number>) => Promise<InputBatch> {
  const { name, records, lookup, videoValues, audioValues } = options;
  // Inputs already found finite (lookups usually return the same cached arrays).
  const checked = new WeakSet<Float32Array>();
  return async (indices) => {
    const b = indices.length;
    const questionLength = records[0]?.tokenIds.length ?? 14;
    const question = new Int32Array(b * questionLength);
    const video = new Float32Array(b * videoValues);
    const audio = new Float32Array(b * audioValues);
    const labels = new Int32Array(b);
    for (let i = 0; i < b; i++) {
      const position = indices[i] as number;
      const record = records[position];
      if (!record)
        throw new RangeError(`${name}: no record at position ${position} of ${records.length}`);
      const inputs = await lookup(record.videoId);
      if (inputs.video.length !== videoValues || inputs.audio.length !== audioValues) {
        throw new Error(
          `${name}: video ${record.videoId} has ${inputs.video.length} frame values and ${inputs.audio.length} fbank values, ` +
            `the model expects ${videoValues} and ${audioValues}${options.geometry ? ` (${options.geometry})` : ''}`,
        );
      }
      if (!checked.has(inputs.audio)) {
        checkFinite(name, record.videoId, 'fbank', inputs.audio);
        if (inputs.video instanceof Float32Array) {
          checkFinite(name, record.videoId, 'frames', inputs.video);
        }
        checked.add(inputs.audio);
      }
      question.set(record.tokenIds, i * questionLength);
      const offset = i * videoValues;
      // Frames arrive as bytes; the encoder sees [0, 1]. Features (floats) are copied as they are.
      if (inputs.video instanceof Float32Array) video.set(inputs.video, offset);
      else
        for (let v = 0; v < videoValues; v++) video[offset + v] = (inputs.video[v] as number) / 255;
      audio.set(inputs.audio, i * audioValues);
      labels[i] = record.label;
    }
    return { question, video, audio, labels };
  };
}
