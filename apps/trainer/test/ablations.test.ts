import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import type { TokenCounts } from '../src/pipeline/types.js';
import { randomSource, TINY_INPUTS, tinyConfig } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const source = randomSource('ablation', 4, 3);

async function tokensOf(
  options: Parameters<typeof tinyConfig>[0],
  ctx = { training: true, epoch: 0, step: 0 },
): Promise<TokenCounts> {
  const model = new SparsifiedAmuse(tinyConfig(options), TINY_INPUTS);
  try {
    const batch = await source.load([0, 1, 2, 3]);
    let tokens: TokenCounts | null = null;
    tf.tidy(() => {
      tokens = model.forward(batch, ctx).tokens;
    });
    return tokens as unknown as TokenCounts;
  } finally {
    model.dispose();
  }
}

describe('ablation flags change the model', () => {
  it('dense keeps every token', async () => {
    const tokens = await tokensOf({ preset: 'dense' });
    expect(tokens.videoKept).toBe(tokens.videoTotal);
    expect(tokens.audioKept).toBe(tokens.audioTotal);
  });

  it('--mask drops tokens in its epochs only, and never at evaluation', async () => {
    const mask = { preset: 'mask-only', mask: { ratio: 0.5, epochs: 2 } };
    const during = await tokensOf(mask, { training: true, epoch: 1, step: 3 });
    expect(during.videoKept).toBe(during.videoTotal / 2);
    expect(during.audioKept).toBe(during.audioTotal / 2);
    const after = await tokensOf(mask, { training: true, epoch: 2, step: 9 });
    expect(after.videoKept).toBe(after.videoTotal);
    const evaluation = await tokensOf(mask, { training: false, epoch: 0, step: 0 });
    expect(evaluation.videoKept).toBe(evaluation.videoTotal);
  });

  it('--merge shortens the sequence in training and evaluation, more with a lower floor', async () => {
    const loose = await tokensOf({
      preset: 'merge-only',
      merge: { fence: 1.5, block: 0, minKeep: 0.5 },
    });
    expect(loose.videoKept).toBeLessThan(loose.videoTotal);
    expect(loose.videoKept).toBeGreaterThanOrEqual(loose.videoTotal / 2);
    const tight = await tokensOf({
      preset: 'merge-only',
      merge: { fence: 1.5, block: 0, minKeep: 1 },
    });
    expect(tight.videoKept + tight.audioKept).toBeLessThan(loose.videoKept + loose.audioKept);
    const evaluation = await tokensOf(
      { preset: 'merge-only', merge: { fence: 1.5, block: 0, minKeep: 0.5 } },
      { training: false, epoch: 0, step: 0 },
    );
    expect(evaluation.videoKept).toBeLessThan(evaluation.videoTotal);
  });

  it('--merge epochs: merges in its first epochs only; a run that stops merging answers unmerged', async () => {
    const merge = { fence: 1.5, block: 0, minKeep: 0.5 };
    const stopping = { preset: 'merge-only', epochs: 4, merge: { ...merge, epochs: 3 } };
    const during = await tokensOf(stopping, { training: true, epoch: 2, step: 7 });
    expect(during.videoKept).toBeLessThan(during.videoTotal);
    const after = await tokensOf(stopping, { training: true, epoch: 3, step: 9 });
    expect(after.videoKept + after.audioKept).toBe(after.videoTotal + after.audioTotal);
    const evaluation = await tokensOf(stopping, { training: false, epoch: 0, step: 0 });
    expect(evaluation.videoKept + evaluation.audioKept).toBe(
      evaluation.videoTotal + evaluation.audioTotal,
    );
    // Merging through the last epoch (epochs >= the run's) answers merged, as without epochs.
    const through = { preset: 'merge-only', epochs: 3, merge: { ...merge, epochs: 3 } };
    const answered = await tokensOf(through, { training: false, epoch: 0, step: 0 });
    expect(answered.videoKept).toBeLessThan(answered.videoTotal);
  });

  it('--infobatch alone keeps the model dense (it acts on samples, not tokens)', async () => {
    const tokens = await tokensOf({ preset: 'infobatch-only' });
    expect(tokens.videoKept + tokens.audioKept).toBe(tokens.videoTotal + tokens.audioTotal);
  });
});
