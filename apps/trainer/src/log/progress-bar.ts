import type { RunEta } from './run-eta.js';
import { type LiveLine, terminalColumns } from './terminal-area.js';

/** Formats seconds as 1h02m, 3m05s or 12s. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s >= 3600)
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
  /** On a terminal, where a bar draws (Logger's TerminalArea); by default the current line. */
  liveLine?: () => LiveLine;
  /** The terminal's width as reported (0 or undefined when unknown: 80 is assumed). */
  columns?: () => number | undefined;
}

export interface ProgressBarOptions {
  /** In a log file, print a line at most this often (seconds). */
  quietSeconds?: number;
  /**
   * The whole command's estimate: this bar is one epoch of a run, each tick advances it by
   * 1/total of an epoch, and the bar shows the time left for all runs.
   */
  runEta?: RunEta;
  /** Items already done before this process (a resumed epoch); not timed. */
  startAt?: number;
}

/** The current line of a terminal, redrawn in place. */
function currentLine(sink: ProgressSink): LiveLine {
  return {
    update: (text) => sink.write(`\r\x1b[2K${text}`),
    close: () => sink.write('\n'),
  };
}

/** Bar widths, in characters, between which the bar grows with the terminal. */
const MIN_BAR = 8;
const MAX_BAR = 30;

/**
 * A one-line progress bar with rate and ETA (of this bar and, for an epoch, of the whole
 * command). On a terminal it redraws in place, sized to the terminal's width; in a log
 * file it prints a line at most every `quietSeconds` so CI logs stay short.
 */
export class ProgressBar {
  private done: number;
  private readonly startAt: number;
  private readonly started = performance.now();
  private lastDraw = Number.NEGATIVE_INFINITY;
  private suffix = '';
  /** Where a terminal shows the bar; null in a log file. */
  private readonly line: LiveLine | null;
  private readonly quietSeconds: number;
  private readonly runEta: RunEta | undefined;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly sink: ProgressSink,
    options: ProgressBarOptions = {},
  ) {
    this.quietSeconds = options.quietSeconds ?? 10;
    this.runEta = options.runEta;
    this.startAt = Math.min(total, Math.max(0, options.startAt ?? 0));
    this.done = this.startAt;
    if (this.runEta && total > 0) this.runEta.skip(this.startAt / total);
    this.line = sink.isTTY ? (sink.liveLine?.() ?? currentLine(sink)) : null;
  }

  /** Advances by `count` items; `suffix` is shown after the bar (e.g. the running loss). */
  tick(count = 1, suffix?: string): void {
    const before = this.done;
    this.done = Math.min(this.total, this.done + count);
    if (this.runEta && this.total > 0) this.runEta.advance((this.done - before) / this.total);
    if (suffix !== undefined) this.suffix = suffix;
    const now = performance.now();
    const interval = this.sink.isTTY ? 100 : this.quietSeconds * 1000;
    if (now - this.lastDraw >= interval || this.done === this.total) {
      this.lastDraw = now;
      this.draw();
    }
  }

  finish(suffix?: string): void {
    const changed = suffix !== undefined && suffix !== this.suffix;
    if (suffix !== undefined) this.suffix = suffix;
    // A log file already has the final line from tick(); a terminal needs its newline.
    if (this.line || changed || this.done < this.total) this.draw();
    this.line?.close();
  }

  /** Seconds elapsed and the estimate of seconds left, from the mean rate so far. */
  eta(): { elapsed: number; remaining: number } {
    const elapsed = (performance.now() - this.started) / 1000;
    const doneHere = this.done - this.startAt;
    const remaining = doneHere <= 0 ? Number.NaN : (elapsed / doneHere) * (this.total - this.done);
    return { elapsed, remaining };
  }

  /**
   * The line: label, bar, percentage, count, elapsed<left, the whole command's time left
   * (`all <4m10s`) and the suffix. `width` is the bar's; by default it fills what the
   * terminal's width leaves, between 8 and 30 characters.
   */
  render(width?: number): string {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const { elapsed, remaining } = this.eta();
    const pct = `${Math.floor(fraction * 100)}`.padStart(3);
    const all = this.runEta ? ` all <${formatDuration(this.runEta.remaining())}` : '';
    const after = ` ${pct}% ${this.done}/${this.total} ${formatDuration(elapsed)}<${formatDuration(remaining)}${all}${this.suffix ? ` ${this.suffix}` : ''}`;
    const free = terminalColumns(this.sink.columns?.()) - 1 - this.label.length - 3 - after.length;
    const barWidth = width ?? Math.max(MIN_BAR, Math.min(MAX_BAR, free));
    const filled = Math.round(fraction * barWidth);
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${after}`;
  }

  private draw(): void {
    if (this.line) this.line.update(this.render());
    else this.sink.write(`${this.render()}\n`);
  }
}
