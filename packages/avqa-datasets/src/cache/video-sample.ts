/** One preprocessed video: what the cache stores and the loader batches. */
export interface VideoSample {
  /** RGB frames, uint8, [T, H, W, 3]. */
  video: { data: Uint8Array; shape: [number, number, number, number] };
  /** Log-mel fbank per second, float32, [T, frames, melBins]. */
  audio: { data: Float32Array; shape: [number, number, number] };
}
