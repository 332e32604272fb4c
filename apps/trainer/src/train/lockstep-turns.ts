/** One run's side of LockstepTurns, handed to trainRun. */
export interface RunTurn {
  /** Resolves when this run may start. */
  wait(): Promise<void>;
  /**
   * Before each timed step: `progress` is how far this run is through its training (epochs
   * done plus the fraction of this epoch's steps done). Resolves when this run is the least
   * advanced of the runs still training, which may be at once.
   */
  at(progress: number): Promise<void>;
}

/**
 * Runs in one process that advance in lockstep: before each step the turn goes to the run
 * least far through its training, so runs with different step counts (dense's 168 a epoch,
 * Sparsify's ~130 under InfoBatch) reach each point of their schedules at the same minute.
 *
 * Why: the demo's time ratio compares two runs on a 2-core box whose speed drifts by tens
 * of percent within a minute. Run one after the other, or an epoch each in turn, dense's
 * and Sparsify's seconds met different slow spells, and the ratio of runs of the same code
 * moved by 0.1. In lockstep a slow spell of a few seconds lands on steps of both runs.
 * Only the run holding the turn works (its steps and anything it does before its next
 * step, such as validation), so no timed step overlaps another run's work, and each run
 * computes exactly what it would alone.
 */
export class LockstepTurns {
  private holder = 0;
  private readonly active: boolean[];
  private readonly progress: number[];
  private readonly waiting = new Map<
    number,
    { resolve: () => void; reject: (e: unknown) => void }
  >();
  private failure: { error: unknown } | null = null;

  constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`LockstepTurns: count must be a positive integer, got ${count}`);
    this.active = new Array<boolean>(count).fill(true);
    this.progress = new Array<number>(count).fill(0);
  }

  /** The side of run `run` (0 goes first). */
  turn(run: number): RunTurn {
    if (!Number.isInteger(run) || run < 0 || run >= this.count)
      throw new Error(`LockstepTurns: run ${run} is not in 0..${this.count - 1}`);
    return { wait: () => this.wait(run), at: (progress) => this.at(run, progress) };
  }

  /** Run `run` is done (or stopped): it leaves, and the turn moves on if it held it. */
  leave(run: number): void {
    this.active[run] = false;
    if (this.holder === run) this.handTo(this.leastAdvanced());
  }

  /** One run failed: every waiting run, and every later wait, gets the same error. */
  abort(error: unknown): void {
    this.failure = { error };
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }

  private wait(run: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    if (this.holder === run) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiting.set(run, { resolve, reject }));
  }

  private at(run: number, progress: number): Promise<void> {
    if (!Number.isFinite(progress) || progress < this.progress[run]!)
      return Promise.reject(
        new Error(
          `LockstepTurns: run ${run} reported progress ${progress} after ${this.progress[run]}`,
        ),
      );
    this.progress[run] = progress;
    this.handTo(this.leastAdvanced());
    return this.wait(run);
  }

  /** The active run with the least progress, the lower number on a tie; -1 when none is left. */
  private leastAdvanced(): number {
    let least = -1;
    for (let run = 0; run < this.count; run++) {
      if (!this.active[run]) continue;
      if (least < 0 || this.progress[run]! < this.progress[least]!) least = run;
    }
    return least;
  }

  private handTo(next: number): void {
    if (next < 0 || next === this.holder) return;
    this.holder = next;
    const waiter = this.waiting.get(next);
    this.waiting.delete(next);
    waiter?.resolve();
  }
}
