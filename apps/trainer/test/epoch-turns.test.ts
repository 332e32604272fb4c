import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EpochTurn, EpochTurns } from '../src/train/epoch-turns.js';

/**
 * A run as trainRun drives its turn: wait, then per epoch some asynchronous work (awaits
 * inside an epoch, as data loading has) and a pass; `log` records who worked when.
 */
async function fakeRun(
  name: string,
  epochs: number,
  turn: EpochTurn,
  log: string[],
  failAt?: number,
): Promise<void> {
  await turn.wait();
  for (let epoch = 0; epoch < epochs; epoch++) {
    log.push(`${name}${epoch} start`);
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (epoch === failAt) throw new Error(`${name} failed`);
    log.push(`${name}${epoch} end`);
    await turn.pass();
  }
}

async function together(turns: EpochTurns, runs: Array<[string, number, number?]>, log: string[]) {
  return Promise.all(
    runs.map(async ([name, epochs, failAt], i) => {
      try {
        await fakeRun(name, epochs, turns.turn(i), log, failAt);
      } catch (error) {
        turns.abort(error);
        throw error;
      } finally {
        turns.leave(i);
      }
    }),
  );
}

describe('EpochTurns', () => {
  it('alternates runs an epoch at a time, and lets the longer run finish alone', async () => {
    const log: string[] = [];
    await together(
      new EpochTurns(2),
      [
        ['a', 3],
        ['b', 1],
      ],
      log,
    );
    expect(log).toEqual([
      'a0 start',
      'a0 end',
      'b0 start',
      'b0 end',
      'a1 start',
      'a1 end',
      'a2 start',
      'a2 end',
    ]);
  });

  it('never lets two runs work at once, for any number of runs and epochs (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }),
        async (epochCounts) => {
          const log: string[] = [];
          const runs = epochCounts.map((epochs, i): [string, number] => [`r${i}:`, epochs]);
          await together(new EpochTurns(runs.length), runs, log);
          // Every start is followed by its own end: no overlap.
          for (let k = 0; k < log.length; k += 2)
            expect(log[k + 1]).toBe(log[k]?.replace('start', 'end'));
          // Round robin: the k-th epoch of every run comes before any run's (k+1)-th.
          const epochOf = (entry: string) => Number(entry.split(':')[1]?.split(' ')[0]);
          const starts = log.filter((entry) => entry.endsWith('start')).map(epochOf);
          expect(starts).toEqual([...starts].sort((x, y) => x - y));
          expect(starts.length).toBe(epochCounts.reduce((a, b) => a + b, 0));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('stops the other runs with the error when one fails', async () => {
    const log: string[] = [];
    const outcome = together(
      new EpochTurns(2),
      [
        ['a', 3, 1],
        ['b', 3],
      ],
      log,
    );
    await expect(outcome).rejects.toThrow('a failed');
    // Give b every chance to go on: it must not.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log).toEqual(['a0 start', 'a0 end', 'b0 start', 'b0 end', 'a1 start']);
  });

  it('rejects bad counts and run numbers', () => {
    expect(() => new EpochTurns(0)).toThrow('count must be a positive integer, got 0');
    expect(() => new EpochTurns(2).turn(2)).toThrow('run 2 is not in 0..1');
  });
});
