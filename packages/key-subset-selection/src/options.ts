/** Options of the InfoBatch sampler. */
export interface InfoBatchOptions {
  /** Number of training samples; indices are 0..size-1 into the annotation list. */
  size: number;
  /** Total training epochs (pruning stops after `delta` of them). */
  epochs: number;
  /** Fraction of the easy samples skipped each pruning epoch, in [0, 1). Default 0.5. */
  pruneRatio?: number;
  /** Fraction of the epochs that prune, in [0, 1]. Default 0.875. */
  delta?: number;
  /** Score of a sample before its first loss is reported. Default 3. */
  initialScore?: number;
  /** Seed of the pruning choice and of the epoch order (any safe integer). Default 0. */
  seed?: number;
  /** Also record the hard samples (D1) per epoch, needed by the 'hard' key-subset mode. Default true. */
  recordHard?: boolean;
}

export type ResolvedInfoBatchOptions = Required<InfoBatchOptions>;

export function resolveInfoBatchOptions(options: InfoBatchOptions): ResolvedInfoBatchOptions {
  const resolved: ResolvedInfoBatchOptions = {
    size: options.size,
    epochs: options.epochs,
    pruneRatio: options.pruneRatio ?? 0.5,
    delta: options.delta ?? 0.875,
    initialScore: options.initialScore ?? 3,
    seed: options.seed ?? 0,
    recordHard: options.recordHard ?? true,
  };
  const fail = (field: string, rule: string): never => {
    throw new RangeError(
      `InfoBatchSampler: option ${field} must be ${rule}, got ${JSON.stringify((resolved as Record<string, unknown>)[field])}`,
    );
  };
  if (!Number.isInteger(resolved.size) || resolved.size < 1) fail('size', 'a positive integer');
  if (!Number.isInteger(resolved.epochs) || resolved.epochs < 1)
    fail('epochs', 'a positive integer');
  if (!(resolved.pruneRatio >= 0 && resolved.pruneRatio < 1)) fail('pruneRatio', 'in [0, 1)');
  if (!(resolved.delta >= 0 && resolved.delta <= 1)) fail('delta', 'in [0, 1]');
  if (!Number.isFinite(resolved.initialScore)) fail('initialScore', 'a finite number');
  if (!Number.isSafeInteger(resolved.seed)) fail('seed', 'a safe integer');
  if (typeof resolved.recordHard !== 'boolean') fail('recordHard', 'a boolean');
  return resolved;
}

/**
 * Epochs that prune: epoch e (0-based) prunes iff e < floor(delta * epochs), i.e. iff the whole
 * epoch lies inside the first `delta` of training. 30 epochs at 0.875 (26.25) prune epochs
 * 0..25. The 1e-9 absorbs float error such as 0.29 * 100 = 28.999999999999996.
 */
export function pruningEpochCount(epochs: number, delta: number): number {
  return Math.min(epochs, Math.floor(delta * epochs + 1e-9));
}
