import { describe, expect, it } from 'vitest';
import { createInputStacker, type VideoInputs } from '../../src/loader/input-batch.js';

const records = [
  { videoId: 'a', tokenIds: Int32Array.from([1, 2, 0]), label: 7 },
  { videoId: 'b', tokenIds: Int32Array.from([3, 0, 0]), label: 9 },
];

function stacker(media: Record<string, VideoInputs>) {
  return createInputStacker({
    name: 'train',
    records,
    lookup: (id) => media[id] as VideoInputs,
    videoValues: 2,
    audioValues: 3,
    geometry: '2 and 3',
  });
}

describe('createInputStacker', () => {
  it('stacks rows in the order asked, scaling frame bytes to [0, 1] and copying features as they are', async () => {
    const stack = stacker({
      a: { video: Uint8Array.from([0, 255]), audio: Float32Array.from([1, 2, 3]) },
      b: { video: Float32Array.from([-4, 0.5]), audio: Float32Array.from([4, 5, 6]) },
    });
    const batch = await stack([1, 0, 1]);
    expect(Array.from(batch.question)).toEqual([3, 0, 0, 1, 2, 0, 3, 0, 0]);
    expect(Array.from(batch.video)).toEqual([-4, 0.5, 0, 1, -4, 0.5]);
    expect(Array.from(batch.audio)).toEqual([4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(batch.labels)).toEqual([9, 7, 9]);
  });

  it('names the split, the video, the stream and the value when an input is not finite', async () => {
    const stack = stacker({
      a: { video: Uint8Array.from([0, 1]), audio: Float32Array.from([1, Number.NaN, 3]) },
      b: { video: Float32Array.from([Number.POSITIVE_INFINITY, 0]), audio: new Float32Array(3) },
    });
    await expect(stack([0])).rejects.toThrow(
      'train: video a has NaN in its fbank (value 1 of 3): its media or preprocessing cache is damaged',
    );
    await expect(stack([1])).rejects.toThrow('train: video b has Infinity in its frames (value 0');
  });

  it('refuses a video of another size and a position outside the records', async () => {
    const stack = stacker({
      a: { video: new Uint8Array(4), audio: new Float32Array(3) },
      b: { video: new Uint8Array(2), audio: new Float32Array(3) },
    });
    await expect(stack([0])).rejects.toThrow(
      'train: video a has 4 frame values and 3 fbank values, the model expects 2 and 3 (2 and 3)',
    );
    await expect(stack([2])).rejects.toThrow('train: no record at position 2 of 2');
  });
});
