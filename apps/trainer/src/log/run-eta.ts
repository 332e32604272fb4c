/**
 * The estimate of time left for a whole command (every epoch of every run it trains), not
 * just the open epoch. Work is counted in epochs: each run adds the epochs it will train,
 * and each step of an epoch adds its share. Lockstep runs advance together, so the plan of
 * both is known from the first steps on.
 */
export class RunEta {
  /** Epochs planned, over all runs (including those already done before a resume). */
  private planned = 0;
  /** Epochs done, over all runs. */
  private done = 0;
  /** Epochs done by this process: only they were timed. */
  private doneHere = 0;
  private started: number | null = null;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A run will train `epochs` epochs, of which `alreadyDone` were done before (a resume). */
  plan(epochs: number, alreadyDone = 0): void {
    if (!(epochs >= 0 && alreadyDone >= 0 && alreadyDone <= epochs))
      throw new RangeError(
        `RunEta.plan: need 0 <= alreadyDone (${alreadyDone}) <= epochs (${epochs})`,
      );
    this.planned += epochs;
    this.done += alreadyDone;
    this.started ??= this.now();
  }

  /** `epochs` of planned work were done before this process (the resumed part of an epoch). */
  skip(epochs: number): void {
    this.done = Math.min(this.planned, this.done + epochs);
  }

  /** `epochs` (a fraction, e.g. one step's 1/168) of planned work were done. */
  advance(epochs: number): void {
    this.started ??= this.now();
    this.done = Math.min(this.planned, this.done + epochs);
    this.doneHere += epochs;
  }

  /** Fraction of the planned epochs done (0..1; 0 before anything is planned). */
  fraction(): number {
    return this.planned === 0 ? 0 : this.done / this.planned;
  }

  /** Seconds left at the mean rate of this process so far; NaN before the first step. */
  remaining(): number {
    if (this.started === null || this.doneHere <= 0) return Number.NaN;
    const elapsed = (this.now() - this.started) / 1000;
    return (elapsed / this.doneHere) * Math.max(0, this.planned - this.done);
  }
}
