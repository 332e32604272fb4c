import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LockstepTurns, type RunTurn } from '../src/train/lockstep-turns.js';

interface Step {
  run: number;
  progress: number;
  /** Every other unfinished run's last reported progress when this step began. */
  others: number[];
}

/**
 * A run as runTrainingLoop drives its turn: wait, then per epoch `stepsPerEpoch[e]` steps,
 * each preceded by `at(progress)` and doing asynchronous work (awaits, as data loading has);
 * `log` records each step's start and end.
 */
async function fakeRun(
  run: number,
  stepsPerEpoch: number[],
  turn: RunTurn,
  shared: { log: string[]; steps: Step[]; progress: number[]; done: boolean[] },
  failAt?: number,
): Promise<void> {
  await turn.wait();
  let done = 0;
  for (const [epoch, steps] of stepsPerEpoch.entries()) {
    for (let step = 0; step < steps; step++) {
      const progress = epoch + step / steps;
      shared.progress[run] = progress;
      await turn.at(progress);
      shared.steps.push({
        run,
        progress,
        others: shared.progress.filter((_, other) => other !== run && !shared.done[other]),
      });
      shared.log.push(`${run} start`);
      await Promise.resolve();
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (done === failAt) throw new Error(`run ${run} failed`);
      shared.log.push(`${run} end`);
      done++;
    }
  }
}

async function together(stepsPerEpoch: number[][], failure?: { run: number; atStep: number }) {
  const turns = new LockstepTurns(stepsPerEpoch.length);
  const shared = {
    log: [] as string[],
    steps: [] as Step[],
    progress: stepsPerEpoch.map(() => 0),
    done: stepsPerEpoch.map(() => false),
  };
  const outcome = Promise.all(
    stepsPerEpoch.map(async (epochs, run) => {
      try {
        await fakeRun(
          run,
          epochs,
          turns.turn(run),
          shared,
          failure?.run === run ? failure.atStep : undefined,
        );
      } catch (error) {
        turns.abort(error);
        throw error;
      } finally {
        shared.done[run] = true;
        turns.leave(run);
      }
    }),
  );
  return { outcome, shared };
}

describe('LockstepTurns', () => {
  it('gives each step to the run least far through its epochs', async () => {
    // Two epochs each: run 0 has 4 steps an epoch, run 1 has 2 (as Sparsify has fewer).
    const { outcome, shared } = await together([
      [4, 4],
      [2, 2],
    ]);
    await outcome;
    expect(shared.steps.map((s) => `${s.run}@${s.progress}`)).toEqual([
      '0@0',
      '1@0',
      '0@0.25',
      '0@0.5',
      '1@0.5',
      '0@0.75',
      '0@1',
      '1@1',
      '0@1.25',
      '0@1.5',
      '1@1.5',
      '0@1.75',
    ]);
  });

  it('never lets two runs work at once, and never steps a run ahead of another (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3 }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (stepsPerEpoch) => {
          const { outcome, shared } = await together(stepsPerEpoch);
          await outcome;
          // Every start is followed by its own end: no overlap.
          for (let k = 0; k < shared.log.length; k += 2)
            expect(shared.log[k + 1]).toBe(shared.log[k]?.replace('start', 'end'));
          for (const step of shared.steps)
            for (const other of step.others) expect(step.progress).toBeLessThanOrEqual(other);
          const total = stepsPerEpoch.flat().reduce((a, b) => a + b, 0);
          expect(shared.steps.length).toBe(total);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('stops the other runs with the error when one fails', async () => {
    const { outcome, shared } = await together(
      [
        [3, 3],
        [3, 3],
      ],
      { run: 0, atStep: 1 },
    );
    await expect(outcome).rejects.toThrow('run 0 failed');
    // Give run 1 every chance to go on: it must not.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(shared.log).toEqual(['0 start', '0 end', '1 start', '1 end', '0 start']);
  });

  it('rejects bad counts, run numbers and progress that goes back', async () => {
    expect(() => new LockstepTurns(0)).toThrow('count must be a positive integer, got 0');
    expect(() => new LockstepTurns(2).turn(2)).toThrow('run 2 is not in 0..1');
    const turn = new LockstepTurns(1).turn(0);
    await turn.at(0.5);
    await expect(turn.at(0.25)).rejects.toThrow('run 0 reported progress 0.25 after 0.5');
  });
});
