import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { removeAbandonedTempFiles, writeFileAtomic } from './atomic-write.js';
import { describeFsError } from './fs-errors.js';

/** One line of metrics.jsonl: what an epoch did and what it cost. */
export interface EpochMetrics {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  /** Samples the epoch trained on (InfoBatch and subsets make it smaller). */
  samplesUsed: number;
  datasetSize: number;
  /** Mean tokens per sample that reached the encoder blocks after masking and merging. */
  videoTokensKept: number;
  audioTokensKept: number;
  videoTokensTotal: number;
  audioTokensTotal: number;
  seconds: number;
  /**
   * Process CPU seconds (user + system) of the epoch's training steps, validation excluded;
   * absent in runs written before it was measured.
   */
  cpuSeconds?: number;
  /** Mean perception loss per step of the epoch (runs with --aux-weight > 0). */
  perceptionLoss?: number;
  /** Adapter gate values at the end of the epoch, by parameter name. */
  gates?: Record<string, number>;
}

/**
 * The files of one run. Everything a later command needs is in here: `--resume`, `eval`,
 * `ask` and the report read only this folder.
 */
export class RunFolder {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get configPath() {
    return join(this.dir, 'config.json');
  }
  get metricsPath() {
    return join(this.dir, 'metrics.jsonl');
  }
  get lastCheckpointPath() {
    return join(this.dir, 'checkpoints', 'last.ckpt');
  }
  get bestCheckpointPath() {
    return join(this.dir, 'checkpoints', 'best.ckpt');
  }
  get resultsJsonPath() {
    return join(this.dir, 'results.json');
  }
  get resultsMarkdownPath() {
    return join(this.dir, 'results.md');
  }
  get reportPath() {
    return join(this.dir, 'report.html');
  }

  get evaluationsDir() {
    return join(this.dir, 'evaluations');
  }

  /** True when the folder holds a run (its config or a checkpoint). */
  holdsRun(): boolean {
    return [this.configPath, this.lastCheckpointPath, this.bestCheckpointPath].some((path) =>
      existsSync(path),
    );
  }

  create(): void {
    const checkpoints = join(this.dir, 'checkpoints');
    try {
      mkdirSync(checkpoints, { recursive: true });
    } catch (error) {
      throw describeFsError(error, 'create the run folder', checkpoints);
    }
  }

  /** Removes what a run wrote (for `--overwrite`); other files in the folder stay. */
  removeRunFiles(): void {
    for (const path of [
      this.configPath,
      this.metricsPath,
      this.resultsJsonPath,
      this.resultsMarkdownPath,
      this.reportPath,
      join(this.dir, 'checkpoints'),
      this.evaluationsDir,
    ]) {
      rmSync(path, { recursive: true, force: true });
    }
  }

  /** Deletes temp files a killed writer left behind (see writeFileAtomic); returns them. */
  removeAbandonedTempFiles(): string[] {
    return removeAbandonedTempFiles([this.dir, join(this.dir, 'checkpoints'), this.evaluationsDir]);
  }

  writeJson(path: string, value: unknown): void {
    writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
  }

  writeText(path: string, text: string): void {
    writeFileAtomic(path, text);
  }

  readJson<T>(path: string): T {
    if (!existsSync(path)) throw new Error(`${path} does not exist: is ${this.dir} a run folder?`);
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  }

  /** Rewrites the metrics file from a list: on resume it is cut back to the checkpoint's epochs. */
  writeMetrics(rows: readonly EpochMetrics[]): void {
    writeFileAtomic(this.metricsPath, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  }

  appendMetrics(row: EpochMetrics): void {
    try {
      appendFileSync(this.metricsPath, `${JSON.stringify(row)}\n`);
    } catch (error) {
      throw describeFsError(error, 'write', this.metricsPath);
    }
  }

  readMetrics(): EpochMetrics[] {
    if (!existsSync(this.metricsPath)) return [];
    return parseMetrics(readFileSync(this.metricsPath, 'utf8'));
  }
}

/** The records of a metrics.jsonl text, one an epoch (blank lines skipped). */
export function parseMetrics(text: string): EpochMetrics[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EpochMetrics);
}
