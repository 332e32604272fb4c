import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFolder } from '../src/run/run-folder.js';
import { spawnCli, tensorDigests } from './cli-process.js';
import { tempDir } from './fixtures.js';

// Tiny synthetic data: 24 videos (136 training questions, 17 steps an epoch at batch 8).
const root = tempDir('cli-signals');
const TRAIN = [
  'train',
  '--videos',
  '24',
  '--epochs',
  '3',
  '--seed',
  '1',
  '--cache-dir',
  join(root, 'cache'),
];

describe('sparsify train as a process, under kill -INT', () => {
  it('the first SIGINT saves last.ckpt after the step and exits 130; --resume then equals the uninterrupted run bit for bit', async () => {
    const whole = join(root, 'whole');
    const uninterrupted = await spawnCli([...TRAIN, '--out', whole]).done;
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);

    // Interrupt during epoch 2, about a quarter in: the first epoch's step time (which
    // includes warm-up, so later epochs run faster) says when that is.
    const cut = join(root, 'cut');
    let sent = false;
    const interrupted = await spawnCli([...TRAIN, '--out', cut], (event, child) => {
      if (event.event === 'epoch' && !sent) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), (Number(event.seconds) * 1000) / 4);
      }
    }).done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toContain('interrupted: saving a checkpoint after this step');
    const stop = interrupted.events.find((e) => e.event === 'interrupted');
    expect(stop, interrupted.stdout).toBeDefined();
    const folder = new RunFolder(cut);
    expect(stop?.checkpoint).toBe(folder.lastCheckpointPath);
    expect(stop?.epoch).toBe(1);
    expect(existsSync(folder.resultsJsonPath)).toBe(false);
    expect(existsSync(join(cut, 'run.lock'))).toBe(false);

    const resumed = await spawnCli(['train', '--resume', cut]).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.events.find((e) => e.event === 'resume')).toMatchObject({
      epoch: stop?.epoch,
      step: stop?.step,
    });
    // Parameters, Adam moments and sampler tensors: the same bits (the metadata differs
    // only in the seconds each run measured).
    const finalDigests = tensorDigests(folder.lastCheckpointPath);
    expect(Object.keys(finalDigests).length).toBeGreaterThan(10);
    expect(finalDigests).toEqual(tensorDigests(new RunFolder(whole).lastCheckpointPath));
    expect(tensorDigests(folder.bestCheckpointPath)).toEqual(
      tensorDigests(new RunFolder(whole).bestCheckpointPath),
    );
  }, 240_000);

  it('a run killed with SIGKILL leaves a lock and temp files; the next run takes over and cleans up', async () => {
    const dir = join(root, 'killed');
    const killed = await spawnCli([...TRAIN, '--out', dir], (event, child) => {
      if (event.event === 'train-start') child.kill('SIGKILL');
    }).done;
    expect(killed.code).toBe(137);
    const lock = join(dir, 'run.lock');
    expect(existsSync(lock)).toBe(true);
    const pid = (JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid;
    const abandoned = join(dir, 'checkpoints', `last.ckpt.tmp-${pid}-0badf00d`);
    writeFileSync(abandoned, 'half a checkpoint');

    const next = await spawnCli(['train', '--resume', dir, '--epochs', '1']).done;
    expect(next.code).toBe(1);
    expect(next.stderr).toContain('--epochs would be ignored');
    const resumed = await spawnCli(['train', '--resume', dir]).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    const warnings = resumed.events.filter((e) => e.event === 'warning').map((e) => e.message);
    expect(warnings).toContainEqual(expect.stringContaining(`process ${pid}`));
    expect(warnings).toContainEqual(expect.stringContaining('taking over its stale lock'));
    expect(warnings).toContainEqual(expect.stringContaining(abandoned));
    expect(warnings).toContainEqual(expect.stringContaining('nothing to resume'));
    expect(existsSync(abandoned)).toBe(false);
    expect(existsSync(lock)).toBe(false);
  }, 120_000);
});
