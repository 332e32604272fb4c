/** The loss became NaN or Inf: the run stops and keeps its last good checkpoint. */
export class NonFiniteLossError extends Error {
  /**
   * `run` (the run folder and its learning rate) turns the advice into a command that
   * works: `--resume` accepts `--lr` for exactly this.
   */
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly loss: number,
    readonly checkpoint: string | null,
    run?: { dir: string; lr: number },
  ) {
    const lower = run ? Number((run.lr / 10).toPrecision(3)) : undefined;
    super(
      `loss is ${loss} at epoch ${epoch + 1}, step ${step}: training stopped. ` +
        (checkpoint
          ? `The last good checkpoint is ${checkpoint}; ` +
            (run
              ? `continue from it with a lower learning rate: sparsify train --resume ${run.dir} --lr ${lower}`
              : 'resume it with a lower --lr.')
          : `No checkpoint was written yet; start again with a lower --lr${lower === undefined ? '' : ` (e.g. --lr ${lower} --overwrite)`}.`),
    );
    this.name = 'NonFiniteLossError';
  }
}

/** The model did not fit in memory; the message names the preset and batch size that fit. */
export class OutOfMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
}

const OOM_PATTERNS = [
  /out of memory/i,
  /allocation failed/i,
  /Cannot allocate/i,
  /Array buffer allocation/i,
  /WebAssembly\.Memory/i,
  /memory access out of bounds/i,
  /Invalid typed array length/i,
];

export function isOutOfMemory(error: unknown): boolean {
  const message = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return OOM_PATTERNS.some((pattern) => pattern.test(message));
}
