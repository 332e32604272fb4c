import type { LiveLine } from './terminal-area.js';

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
}

/** The current line of a terminal, redrawn in place. */
function currentLine(sink: ProgressSink): LiveLine {
  return {
    update: (text) => sink.write(`\r\x1b[2K${text}`),
    close: () => sink.write('\n'),
  };
}

/**
 * A one-line progress bar with rate and ETA. On a terminal it redraws in place; in a
 * log file it prints a line at most every `quietSeconds` so CI logs stay short.
 */
export class ProgressBar {
  private done = 0;
  private readonly started = performance.now();
  private lastDraw = Number.NEGATIVE_INFINITY;
  private suffix = '';
  /** Where a terminal shows the bar; null in a log file. */
  private readonly line: LiveLine | null;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly sink: ProgressSink,
    private readonly quietSeconds = 10,
  ) {
    this.line = sink.isTTY ? (sink.liveLine?.() ?? currentLine(sink)) : null;
  }

  /** Advances by `count` items; `suffix` is shown after the bar (e.g. the running loss). */
  tick(count = 1, suffix?: string): void {
    this.done = Math.min(this.total, this.done + count);
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
    const remaining =
      this.done === 0 ? Number.NaN : (elapsed / this.done) * (this.total - this.done);
    return { elapsed, remaining };
  }

  render(width = 24): string {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(fraction * width);
    const { elapsed, remaining } = this.eta();
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const pct = `${Math.floor(fraction * 100)}`.padStart(3);
    return `${this.label} [${bar}] ${pct}% ${this.done}/${this.total} ${formatDuration(elapsed)}<${formatDuration(remaining)}${this.suffix ? ` ${this.suffix}` : ''}`;
  }

  private draw(): void {
    if (this.line) this.line.update(this.render());
    else this.sink.write(`${this.render()}\n`);
  }
}
