/** One run's side of EpochTurns, handed to trainRun. */
export interface EpochTurn {
  /** Resolves when this run may work. */
  wait(): Promise<void>;
  /** This run finished an epoch: the next run goes; resolves when it is this run's turn again. */
  pass(): Promise<void>;
}

/**
 * Runs in one process that take turns, an epoch each, in a fixed order. The demo trains
 * dense and Sparsify this way so that a change in the machine's speed while they train
 * lands on both alike: run one after the other, dense's minutes and Sparsify's minutes
 * met different machines (this project's 2-core box drifts by tens of percent within a
 * quarter of an hour), and the time ratio moved by 0.1 between runs of the same code.
 * Only the run holding the turn works; the others wait at an epoch boundary, so no run's
 * timed steps overlap another's work, and each run computes exactly what it would alone.
 */
export class EpochTurns {
  private holder = 0;
  private readonly active: boolean[];
  private readonly waiting = new Map<
    number,
    { resolve: () => void; reject: (e: unknown) => void }
  >();
  private failure: { error: unknown } | null = null;

  constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1)
      throw new Error(`EpochTurns: count must be a positive integer, got ${count}`);
    this.active = new Array<boolean>(count).fill(true);
  }

  /** The side of run `run` (0 goes first). */
  turn(run: number): EpochTurn {
    if (!Number.isInteger(run) || run < 0 || run >= this.count)
      throw new Error(`EpochTurns: run ${run} is not in 0..${this.count - 1}`);
    return { wait: () => this.wait(run), pass: () => this.pass(run) };
  }

  /** Run `run` is done (or stopped): it leaves the rotation, and the turn moves on if it held it. */
  leave(run: number): void {
    this.active[run] = false;
    if (this.holder === run) this.handOver(run);
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

  private pass(run: number): Promise<void> {
    this.handOver(run);
    return this.wait(run);
  }

  /** Gives the turn to the next active run after `from` (possibly `from` itself). */
  private handOver(from: number): void {
    for (let step = 1; step <= this.count; step++) {
      const next = (from + step) % this.count;
      if (!this.active[next]) continue;
      this.holder = next;
      const waiter = this.waiting.get(next);
      this.waiting.delete(next);
      waiter?.resolve();
      return;
    }
  }
}
