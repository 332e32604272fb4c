import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunResults } from '../src/report/run-results.js';
import { RunFolder } from '../src/run/run-folder.js';
import { runCli, tempDir } from './fixtures.js';

type Event = Record<string, unknown> & { event: string };

const sparsify = runCli;

afterEach(() => {
  process.exitCode = undefined;
});

describe('Ctrl-C during sparsify train', () => {
  it('saves a checkpoint, exits with 130, and --resume finishes with the uninterrupted result', async () => {
    const root = tempDir('interrupt');
    const flags = ['--videos', '8', '--data-seed', '7', '--epochs', '2', '--batch-size', '8'];
    const data = ['--cache-dir', join(root, 'cache')];
    const whole = join(root, 'whole');
    const cut = join(root, 'cut');
    await sparsify(['train', ...flags, ...data, '--preset', 'sparsify', '--out', whole]);

    // Only our handler may see the fake Ctrl-C: the test runner's own listeners stay out.
    const others = process.listeners('SIGINT');
    process.removeAllListeners('SIGINT');
    let interrupted: { events: Event[]; exitCode: number | undefined };
    try {
      interrupted = await sparsify(
        ['train', ...flags, ...data, '--preset', 'sparsify', '--out', cut],
        (event) => {
          if (event.event === 'epoch') process.emit('SIGINT');
        },
      );
      expect(process.listenerCount('SIGINT')).toBe(0);
    } finally {
      for (const listener of others) process.on('SIGINT', listener);
    }

    const folder = new RunFolder(cut);
    expect(interrupted.exitCode).toBe(130);
    expect(interrupted.events.find((e) => e.event === 'interrupted')).toMatchObject({
      epoch: 1,
      step: 0,
      checkpoint: folder.lastCheckpointPath,
    });
    expect(existsSync(folder.lastCheckpointPath)).toBe(true);
    expect(existsSync(folder.resultsJsonPath)).toBe(false);
    expect(folder.readMetrics()).toHaveLength(1);

    // --lr is the one training flag --resume takes (a NaN stop advises it); others are refused.
    await expect(
      sparsify(['train', '--resume', cut, '--epochs', '5', '--lr', '0.01', '--batch-size', '4']),
    ).rejects.toThrow(
      `--resume: the run continues with ${cut}/config.json, so --epochs, --batch-size would be ignored`,
    );
    await expect(sparsify(['train', '--resume', cut, '--overwrite'])).rejects.toThrow(
      '--overwrite: --resume continues a run; it cannot also replace it',
    );
    const resumed = await sparsify(['train', '--resume', cut]);
    expect(resumed.exitCode).toBeUndefined();
    expect(resumed.events.find((e) => e.event === 'resume')).toMatchObject({ epoch: 1, step: 0 });
    const results = (dir: string) =>
      JSON.parse(readFileSync(new RunFolder(dir).resultsJsonPath, 'utf8')) as RunResults;
    expect(results(cut).evaluation).toEqual(results(whole).evaluation);
    expect(folder.readMetrics().map((m) => m.trainLoss)).toEqual(
      new RunFolder(whole).readMetrics().map((m) => m.trainLoss),
    );
  }, 120_000);
});
