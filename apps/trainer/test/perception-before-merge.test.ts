import { join } from 'node:path';
import { enableFastKernels } from '@sparsify/tfjs-fast-kernels';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config/train-config.js';
import type { TrainOptions } from '../src/config/train-flags.js';
import { SparsifiedAmuse } from '../src/pipeline/amuse-model.js';
import { loadDataset } from '../src/pipeline/dataset.js';
import type { PerceptionHeads } from '../src/pipeline/perception-heads.js';
import { loadRun } from '../src/train/load-run.js';
import { trainRun } from '../src/train/train-run.js';
import { silentLogger, tempDir } from './fixtures.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await enableFastKernels({ native: 'off' });
});

type LossCall = {
  tokens: number[][];
  sources: (string | null)[];
  loss: number;
};

/** Records each call of the heads' loss: the token shapes it saw, its merge sources, its value. */
function spyOnLoss(heads: PerceptionHeads): LossCall[] {
  const calls: LossCall[] = [];
  const loss = heads.loss.bind(heads);
  heads.loss = (streams, targets, geometry, mergeSources, withCounts) => {
    const outcome = loss(streams, targets, geometry, mergeSources, withCounts);
    calls.push({
      tokens: [streams.video.tokens.shape, streams.audio.tokens.shape],
      sources: [mergeSources.video, mergeSources.audio].map((s) => (s === null ? null : 'plan')),
      loss: outcome.loss.dataSync()[0]!,
    });
    return outcome;
  };
  return calls;
}

describe('--perception-before-merge', () => {
  it('is recorded in the config, makes the run custom, and needs merging and a perception loss', () => {
    const config = resolveTrainConfig({
      preset: 'sparsify',
      auxWeight: 0.5,
      perceptionBeforeMerge: true,
    });
    expect(config.perceptionBeforeMerge).toBe(true);
    expect(config.preset).toBe('custom');
    const plain = resolveTrainConfig({ preset: 'sparsify', auxWeight: 0.5 });
    expect('perceptionBeforeMerge' in plain).toBe(false);
    expect(plain.preset).toBe('sparsify');
    expect(() =>
      resolveTrainConfig({ preset: 'dense', auxWeight: 0.5, perceptionBeforeMerge: true }),
    ).toThrow(/--perception-before-merge: nothing merges in this run/);
    expect(() => resolveTrainConfig({ preset: 'sparsify', perceptionBeforeMerge: true })).toThrow(
      /--perception-before-merge: it changes the perception loss: give --aux-weight > 0/,
    );
  });

  it('averages the loss on the merged tokens with the loss on the tokens entering the merge', async () => {
    const options: TrainOptions = {
      preset: 'sparsify',
      videos: 8,
      auxWeight: 0.5,
      cacheDir: join(tempDir('perception-before-merge'), 'cache'),
    };
    const dataset = await loadDataset(resolveTrainConfig(options).data, silentLogger());
    const batch = await dataset.train.load([0, 1, 2, 3]);
    const lossAt = (perceptionBeforeMerge: boolean, epoch: number) => {
      const config = resolveTrainConfig({ ...options, perceptionBeforeMerge });
      const model = new SparsifiedAmuse(config, dataset.inputs, { perceptionHeads: true });
      const calls = spyOnLoss(model.perception!);
      // Epoch 0: masked (the masker's positions map tokens to targets) and merged.
      const out = model.forward(batch, { training: true, epoch, step: 0 }, { perception: true });
      const loss = out.perception!.loss.dataSync()[0]!;
      tf.dispose([out.logits, out.perception!.loss]);
      model.dispose();
      return { loss, calls };
    };

    const without = lossAt(false, 0);
    const withBefore = lossAt(true, 0);
    expect(without.calls).toHaveLength(1);
    expect(withBefore.calls).toHaveLength(2);
    const [merged, before] = withBefore.calls as [LossCall, LossCall];
    // the first call is the plain loss, unchanged by the option
    expect(merged).toEqual(without.calls[0]);
    expect(merged.sources).toEqual(['plan', 'plan']);
    // the second sees the masked sequences whole, with no merge sources
    expect(before.sources).toEqual([null, null]);
    expect(before.tokens[0]![1]).toBeGreaterThan(merged.tokens[0]![1]!);
    expect(before.tokens[1]![1]).toBeGreaterThan(merged.tokens[1]![1]!);
    expect(before.loss).not.toBeCloseTo(merged.loss, 3);
    expect(withBefore.loss).toBeCloseTo((merged.loss + before.loss) / 2, 5);
    expect(without.loss).toBeCloseTo(merged.loss, 6);
  });

  it('changes nothing on a pass that does not merge', async () => {
    const options: TrainOptions = {
      preset: 'sparsify',
      videos: 8,
      auxWeight: 0.5,
      merge: { fence: 1.5, block: 1, minKeep: 0.25, epochs: 2 },
      cacheDir: join(tempDir('perception-before-merge-off'), 'cache'),
    };
    const dataset = await loadDataset(resolveTrainConfig(options).data, silentLogger());
    const batch = await dataset.train.load([0, 1, 2, 3]);
    const losses = [false, true].map((perceptionBeforeMerge) => {
      const model = new SparsifiedAmuse(
        resolveTrainConfig({ ...options, perceptionBeforeMerge }),
        dataset.inputs,
        { perceptionHeads: true },
      );
      const calls = spyOnLoss(model.perception!);
      // Epoch 5: past the mask's 3 epochs and the merge's 2.
      const out = model.forward(batch, { training: true, epoch: 5, step: 0 }, { perception: true });
      expect(calls).toHaveLength(1);
      const loss = out.perception!.loss.dataSync()[0]!;
      tf.dispose([out.logits, out.perception!.loss]);
      model.dispose();
      return loss;
    });
    expect(losses[1]).toBe(losses[0]);
  });

  it('a run trained with it loads with merging off at inference (eval --merge off, perception-of-runs)', async () => {
    const root = tempDir('perception-before-merge-run');
    const config = resolveTrainConfig({
      preset: 'sparsify',
      videos: 8,
      epochs: 1,
      auxWeight: 0.5,
      perceptionBeforeMerge: true,
      mergeSameTimeStep: ['audio'],
      cacheDir: join(root, 'cache'),
    });
    const dataset = await loadDataset(config.data, silentLogger());
    const runDir = join(root, 'run');
    await trainRun({ config, runDir, logger: silentLogger(), dataset });

    const asTrained = await loadRun(runDir, 'best', silentLogger(), dataset);
    expect(asTrained.config.perceptionBeforeMerge).toBe(true);
    expect(asTrained.config.mergeSameTimeStep).toEqual(['audio']);
    asTrained.model.dispose();
    // merging off: the options that only qualify merging go with it
    const unmerged = await loadRun(runDir, 'best', silentLogger(), dataset, { merge: null });
    expect(unmerged.config.merge).toBeNull();
    expect('perceptionBeforeMerge' in unmerged.config).toBe(false);
    expect('mergeSameTimeStep' in unmerged.config).toBe(false);
    expect(unmerged.model.reducer).toBeNull();
    unmerged.model.dispose();
    // another merge at inference keeps them
    const other = { fence: 1, block: 1, minKeep: 0.5 };
    const remerged = await loadRun(runDir, 'best', silentLogger(), dataset, { merge: other });
    expect(remerged.config.merge).toEqual(other);
    expect(remerged.config.mergeSameTimeStep).toEqual(['audio']);
    remerged.model.dispose();
  });
});
