import { ProgressBar, type ProgressSink } from './progress-bar.js';
import { RunEta } from './run-eta.js';
import { TerminalArea, terminalColumns } from './terminal-area.js';

export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  quiet?: boolean;
  format?: LogFormat;
  /** Where text goes (results, tables). Defaults to stdout. */
  out?: (text: string) => void;
  /** Where progress and notes go. Defaults to stderr. */
  err?: ProgressSink;
}

export interface ProgressOptions {
  /** The bar is one training epoch of a run planned with `planEpochs`: it shows the whole command's ETA. */
  epoch?: boolean;
  /** Items done before this process (a resumed epoch). */
  startAt?: number;
}

/** A progress handle that does nothing (quiet runs and JSON logs). */
export interface Progress {
  tick(count?: number, suffix?: string): void;
  finish(suffix?: string): void;
}

/**
 * Human output on stdout, progress bars with ETA on stderr; `--quiet` keeps only
 * results; `--log-format json` turns every event into one JSON line on stdout.
 */
export class Logger {
  readonly quiet: boolean;
  readonly format: LogFormat;
  private readonly out: (text: string) => void;
  private readonly err: ProgressSink;
  /** Time left for every epoch of every run this command trains. */
  readonly runEta = new RunEta();

  constructor(options: LoggerOptions = {}) {
    this.quiet = options.quiet ?? false;
    this.format = options.format ?? 'text';
    this.out = options.out ?? ((text) => process.stdout.write(text));
    const err = options.err ?? {
      write: (text) => process.stderr.write(text),
      isTTY: Boolean(process.stderr.isTTY),
      columns: () => process.stderr.columns,
    };
    // On a terminal, notes go above the open progress bars, which keep a line each.
    if (err.isTTY && !err.liveLine) {
      const columns = err.columns ?? (() => process.stderr.columns);
      const area = new TerminalArea((text) => err.write(text), columns);
      this.err = {
        isTTY: true,
        write: (text) => area.print(text),
        liveLine: () => area.line(),
        columns: () => terminalColumns(columns()),
      };
    } else {
      this.err = err;
    }
  }

  /** A structured event: a JSON line in json mode, a note on stderr otherwise. */
  event(name: string, fields: Record<string, unknown> = {}, text?: string): void {
    if (this.format === 'json') {
      this.out(`${JSON.stringify({ event: name, time: new Date().toISOString(), ...fields })}\n`);
    } else if (!this.quiet && text !== undefined) {
      this.err.write(`${text}\n`);
    }
  }

  /** A result a user ran the command for: printed even with --quiet (not in json mode). */
  result(text: string, fields: Record<string, unknown> = {}): void {
    if (this.format === 'json') this.event('result', fields);
    else this.out(text.endsWith('\n') ? text : `${text}\n`);
  }

  warn(text: string): void {
    if (this.format === 'json') this.event('warning', { message: text });
    else this.err.write(`warning: ${text}\n`);
  }

  /**
   * One line another process printed (a demo run trained in a child process), labelled with
   * its run: a JSON event gains a `run` field, any other line the prefix `run: ` (unless it
   * has it already), so two runs' logs stay readable side by side.
   */
  relay(run: string, line: string, stream: 'out' | 'err'): void {
    if (this.format === 'json' && line.startsWith('{')) {
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        this.out(`${JSON.stringify({ ...event, run: event.run ?? run })}\n`);
        return;
      } catch {
        // Not a whole JSON event (a crash's output): passed on as text below.
      }
    }
    const text = line.startsWith(`${run}: `) ? line : `${run}: ${line}`;
    if (stream === 'out') this.out(`${text}\n`);
    else this.err.write(`${text}\n`);
  }

  /** A run will train `epochs` epochs (`alreadyDone` of them before a resume): the overall ETA counts them. */
  planEpochs(epochs: number, alreadyDone = 0): void {
    this.runEta.plan(epochs, alreadyDone);
  }

  progress(label: string, total: number, options: ProgressOptions = {}): Progress {
    if (this.quiet || this.format === 'json') {
      return { tick: () => {}, finish: () => {} };
    }
    return new ProgressBar(label, total, this.err, {
      runEta: options.epoch ? this.runEta : undefined,
      startAt: options.startAt,
    });
  }
}
