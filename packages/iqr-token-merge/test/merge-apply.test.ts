import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyMergePlan, computeMergePlan, mergeTokens, unmergeTokens } from '../src/index.js';
import {
  BACKENDS,
  expectAllClose,
  HAND_EXAMPLE,
  numericalGradient,
  randomBatch,
  randomOptions,
  tf,
  useBackend,
} from './fixtures.js';

describe.each(BACKENDS)('applying a merge plan on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('merges the hand example to size-weighted means', () => {
    const plan = computeMergePlan(HAND_EXAMPLE.input, HAND_EXAMPLE.options);
    const merged = mergeTokens(plan, tf.tensor3d(HAND_EXAMPLE.features, [1, 6, 1]));
    expect(merged.tokens.shape).toEqual([1, 2, 1]);
    expectAllClose(merged.tokens.dataSync(), HAND_EXAMPLE.merged);
    expect([...merged.sizes.dataSync()]).toEqual(HAND_EXAMPLE.sizes);
    expect([...merged.padMask.dataSync()]).toEqual([0, 0]);
    // unmerging copies each output back to the tokens it holds
    expectAllClose(unmergeTokens(plan, merged.tokens).dataSync(), [22.5, 22.5, 52, 22.5, 52, 52]);
    // any aligned [B, N] tensor merges the same way, e.g. positions
    const positions = applyMergePlan(plan, tf.tensor2d([0, 1, 2, 3, 4, 5], [1, 6]));
    expectAllClose(positions.dataSync(), [(0 + 2 + 3) / 4, (2 + 4 + 15) / 5]);
    tf.dispose([merged.tokens, merged.sizes, merged.padMask]);
  });

  it('conserves the size-weighted sum, pads with zeros and leaves lone key tokens unchanged', () => {
    fc.assert(
      fc.property(randomBatch, randomOptions, (batch, options) => {
        const { batchSize: B, tokenCount: N, featureDim: C } = batch;
        const plan = computeMergePlan(batch, options);
        const M = plan.outputTokens;
        const merged = tf.tidy(() => applyMergePlan(plan, tf.tensor3d(batch.features, [B, N, C])));
        const output = merged.dataSync();
        merged.dispose();
        for (let b = 0; b < B; b++) {
          for (let c = 0; c < C; c++) {
            let inputSum = 0;
            for (let n = 0; n < N; n++)
              inputSum += batch.sizes[b * N + n]! * batch.features[(b * N + n) * C + c]!;
            let outputSum = 0;
            for (let m = 0; m < M; m++)
              outputSum += plan.sizes[b * M + m]! * output[(b * M + m) * C + c]!;
            expect(outputSum).toBeCloseTo(inputSum, 3);
          }
          for (let m = 0; m < M; m++) {
            const members = [...plan.destination.slice(b * N, (b + 1) * N)].filter(
              (slot) => slot === m,
            );
            for (let c = 0; c < C; c++) {
              const value = output[(b * M + m) * C + c]!;
              if (m >= plan.keptCounts[b]!) expect(value).toBe(0);
              else if (members.length === 1) {
                const token = plan.keptIndices[b]![m]!;
                expect(value).toBeCloseTo(batch.features[(b * N + token) * C + c]!, 6);
              }
            }
          }
        }
      }),
      { numRuns: backend === 'wasm' ? 60 : 120 },
    );
  });

  it('has the analytic gradient (tf.grad equals central differences) for merge and unmerge', () => {
    fc.assert(
      fc.property(randomBatch, randomOptions, (batch, options) => {
        const { batchSize: B, tokenCount: N, featureDim: C } = batch;
        const plan = computeMergePlan(batch, options);
        const M = plan.outputTokens;
        const projection = tf.randomNormal([B, M, C], 0, 1, 'float32', 7);
        const mergeLoss = (x: tf.Tensor) =>
          tf.sum(tf.mul(applyMergePlan(plan, x as tf.Tensor3D), projection)) as tf.Scalar;
        const at = Float32Array.from(batch.features);
        const analytic = tf.tidy(() =>
          tf
            .grad(mergeLoss)(tf.tensor3d(at, [B, N, C]))
            .dataSync(),
        );
        const numerical = numericalGradient(
          (values) => tf.tidy(() => mergeLoss(tf.tensor3d(values, [B, N, C])).dataSync()[0]!),
          at,
        );
        expectAllClose(analytic, numerical, 2);

        const unmergeLoss = (y: tf.Tensor) =>
          tf.sum(
            tf.mul(unmergeTokens(plan, y as tf.Tensor3D), tf.tensor3d(at, [B, N, C])),
          ) as tf.Scalar;
        const point = tf.tidy(() => projection.dataSync() as Float32Array);
        const unmergeAnalytic = tf.tidy(() =>
          tf
            .grad(unmergeLoss)(tf.tensor3d(point, [B, M, C]))
            .dataSync(),
        );
        const unmergeNumerical = numericalGradient(
          (values) => tf.tidy(() => unmergeLoss(tf.tensor3d(values, [B, M, C])).dataSync()[0]!),
          point,
        );
        expectAllClose(unmergeAnalytic, unmergeNumerical, 2);
        projection.dispose();
      }),
      { numRuns: 15 },
    );
  });

  it('leaks no tensors across repeated forward and backward passes', () => {
    const plan = computeMergePlan(HAND_EXAMPLE.input, HAND_EXAMPLE.options);
    const x = tf.tensor3d(HAND_EXAMPLE.features, [1, 6, 1]);
    const step = () =>
      tf
        .tidy(() => {
          const gradient = tf.grad((input: tf.Tensor) =>
            tf.sum(applyMergePlan(plan, input as tf.Tensor3D)),
          )(x);
          const merged = mergeTokens(plan, x);
          return tf.add(tf.sum(gradient), tf.sum(merged.tokens));
        })
        .dispose();
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('rejects tensors that are not aligned with the plan', () => {
    const plan = computeMergePlan(HAND_EXAMPLE.input, HAND_EXAMPLE.options);
    const wrong = tf.zeros([1, 5, 2]) as tf.Tensor3D;
    expect(() => applyMergePlan(plan, wrong)).toThrow(
      /applyMergePlan: expected a \[B, N\].*N = 6, got \[1,5,2\]/,
    );
    wrong.dispose();
  });
});
