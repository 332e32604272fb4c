import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmuseModel, loadSafetensors, saveSafetensors } from '../src/index.js';
import { ParameterStore, Scope } from '../src/module.js';
import { StreamEmbedding } from '../src/stream-embedding.js';
import { TEST_MODEL } from './config.js';
import { BACKENDS, disposeBatch, randomBatch, useBackend } from './fixtures.js';

const WIDTH = 32;
const PATCH = 16;

/** One fbank window of one patch: one token per sample, so a read-out sees one token. */
function oneTokenEmbedding(keepLevel: boolean): StreamEmbedding {
  return new StreamEmbedding(
    new Scope(new ParameterStore(9), 'audio'),
    'audio',
    { kind: 'fbank', timeSteps: 1, frames: PATCH, melBins: PATCH },
    WIDTH,
    PATCH,
    0.5,
    keepLevel,
  );
}

/**
 * R^2 on the odd rows of a ridge read-out (lambda 1e-3, plus an intercept) of y fitted on
 * the even rows, in float64: float32 rounding cannot pass for a signal.
 */
function heldOutR2(rows: number[][], y: number[]): number {
  const d = rows[0]!.length + 1;
  const a = Array.from({ length: d }, () => new Float64Array(d + 1));
  rows.forEach((row, n) => {
    if (n % 2 === 1) return;
    const x = [...row, 1];
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) a[i]![j]! += x[i]! * x[j]!;
      a[i]![d]! += x[i]! * y[n]!;
    }
  });
  for (let i = 0; i < d - 1; i++) a[i]![i]! += 1e-3;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const k = a[r]![c]! / a[c]![c]!;
      for (let j = c; j <= d; j++) a[r]![j]! -= k * a[c]![j]!;
    }
  }
  const w = Array.from({ length: d }, (_, i) => a[i]![d]! / a[i]![i]!);
  const scored = rows.flatMap((row, n) => (n % 2 === 1 ? [[row, y[n]!] as const] : []));
  const mean = scored.reduce((s, [, v]) => s + v, 0) / scored.length;
  let residual = 0,
    total = 0;
  for (const [row, v] of scored) {
    const p = [...row, 1].reduce((s, x, i) => s + x * w[i]!, 0);
    residual += (v - p) ** 2;
    total += (v - mean) ** 2;
  }
  return 1 - residual / total;
}

describe.each(BACKENDS)('audioTokenLevel on %s', (backend) => {
  let directory: string;
  beforeAll(async () => {
    await useBackend(backend);
    directory = await mkdtemp(join(tmpdir(), 'amuse-token-level-'));
  });
  afterAll(async () => {
    tf.disposeVariables();
    await rm(directory, { recursive: true, force: true });
  });

  it('is off by default; on, it adds only audio.levelEmbedding [2, D], zeros', () => {
    const off = createAmuseModel(TEST_MODEL);
    const on = createAmuseModel({ ...TEST_MODEL, audioTokenLevel: true });
    expect(off.config.audioTokenLevel).toBe(false);
    expect(off.audio.levelEmbedding).toBeNull();
    expect(on.video.levelEmbedding).toBeNull();
    const added = [...on.parameters().keys()].filter((name) => !off.parameters().has(name));
    expect(added).toEqual(['audio.levelEmbedding']);
    const table = on.parameters().get('audio.levelEmbedding')!;
    expect(table.shape).toEqual([2, WIDTH]);
    expect(Array.from(table.dataSync()).every((v) => v === 0)).toBe(true);
    off.dispose();
    on.dispose();
  });

  it('starts as the encoder without it: the same logits and audio tokens from the same seed', () => {
    const off = createAmuseModel(TEST_MODEL);
    const on = createAmuseModel({ ...TEST_MODEL, audioTokenLevel: true });
    const batch = randomBatch(off.config.inputs, 2, 3);
    const [a, b] = [off, on].map((model) =>
      tf.tidy(() => {
        const { logits, streams } = model.forward(batch, { training: false, returnStreams: true });
        return [Array.from(logits.dataSync()), Array.from(streams!.audio.tokens.dataSync())];
      }),
    );
    expect(b![0]).toEqual(a![0]);
    expect(b![1]).toEqual(a![1]);
    expect(a![0]!.length).toBe(2 * off.config.numAnswers);
    disposeBatch(batch);
    off.dispose();
    on.dispose();
  });

  it('the table gets a gradient at the first step (zero start does not block it)', () => {
    const model = createAmuseModel({ ...TEST_MODEL, audioTokenLevel: true });
    const batch = randomBatch(model.config.inputs, 2, 4);
    const table = model.audio.levelEmbedding!;
    const { grads } = tf.variableGrads(
      () => tf.sum(tf.square(model.forward(batch, { training: true }).logits)) as tf.Scalar,
      [table],
    );
    const gradient = grads[table.name]!;
    expect(gradient.shape).toEqual([2, WIDTH]);
    expect(tf.max(tf.abs(gradient)).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose(grads);
    disposeBatch(batch);
    model.dispose();
  });

  it('round-trips through safetensors with a trained table', async () => {
    const source = createAmuseModel({ ...TEST_MODEL, audioTokenLevel: true });
    source.audio.levelEmbedding!.assign(tf.randomNormal([2, WIDTH], 0, 0.5, 'float32', 8));
    const path = join(directory, 'level.safetensors');
    await saveSafetensors(source, path);
    const target = createAmuseModel({ ...TEST_MODEL, audioTokenLevel: true, seed: 6 });
    await loadSafetensors(target, path);
    expect(Array.from(target.audio.levelEmbedding!.dataSync())).toEqual(
      Array.from(source.audio.levelEmbedding!.dataSync()),
    );
    const batch = randomBatch(source.config.inputs, 2, 5);
    const logitsOf = (model: ReturnType<typeof createAmuseModel>) =>
      tf.tidy(() => Array.from(model.forward(batch, { training: false }).logits.dataSync()));
    expect(logitsOf(target)).toEqual(logitsOf(source));
    // The table changes what the model computes, so the round trip above is not vacuous.
    const zeroTable = createAmuseModel({ ...TEST_MODEL, audioTokenLevel: true });
    expect(logitsOf(zeroTable)).not.toEqual(logitsOf(source));
    // A model built without the option refuses the file by name (strict load).
    const off = createAmuseModel(TEST_MODEL);
    await expect(loadSafetensors(off, path)).rejects.toThrow(/unexpected "audio\.levelEmbedding"/);
    disposeBatch(batch);
    for (const model of [source, target, zeroTable, off]) model.dispose();
  });

  it('a patch level the LayerNorm removes is linearly decodable with the table, not without', () => {
    // One spectral pattern at 200 levels g (log-uniform over 24 dB): the patch embedding has
    // no bias at init, so it scales with g and its LayerNorm gives one token for every g.
    const count = 200;
    const gains = Array.from({ length: count }, (_, i) => 8 * 16 ** (((i * 37) % count) / count));
    const tokensOf = (embedding: StreamEmbedding): number[][] =>
      tf.tidy(() => {
        const pattern = tf.randomNormal([PATCH, PATCH], 0, 1, 'float32', 12);
        const fbank = tf.stack(gains.map((g) => tf.mul(pattern, g)));
        const input = tf.reshape(fbank, [count, 1, PATCH, PATCH]) as tf.Tensor4D;
        const tokens = embedding.apply({ kind: 'fbank', fbank: input }, count);
        return tf.reshape(tokens, [count, WIDTH]).arraySync() as number[][];
      });
    const logGain = gains.map((g) => Math.log(g));
    const without = oneTokenEmbedding(false);
    const withLevel = oneTokenEmbedding(true);
    // What training could make of it: any table whose two rows are not parallel.
    withLevel.levelEmbedding!.assign(tf.randomNormal([2, WIDTH], 0, 1, 'float32', 13));
    const r2Without = heldOutR2(tokensOf(without), logGain);
    const r2With = heldOutR2(tokensOf(withLevel), logGain);
    expect(r2Without).toBeLessThan(0.05);
    expect(r2With).toBeGreaterThan(0.99);
  });
});
