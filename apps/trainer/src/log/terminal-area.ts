/**
 * The width to draw for: what the terminal reports, or 80 when it reports nothing useful
 * (undefined off a terminal, 0 from some pseudo-terminals and CI runners).
 */
export function terminalColumns(reported: number | undefined): number {
  return reported !== undefined && Number.isFinite(reported) && reported >= 1
    ? Math.floor(reported)
    : 80;
}

/** A line redrawn in place until closed; closing leaves its last text in the scrollback. */
export interface LiveLine {
  update(text: string): void;
  close(): void;
}

/**
 * The bottom of a terminal: one live line per open progress bar, redrawn in place, with
 * every other message printed above them. `demo` steps its two runs in lockstep, so two
 * bars are open at once; sharing one line, they would overwrite each other ten times a
 * second. Lines are cut to the terminal's width, because a wrapped line would break the
 * count of lines to move back up over.
 */
export class TerminalArea {
  private readonly lines: { text: string }[] = [];
  /** Live lines currently on screen (the cursor is at the end of the last). */
  private drawn = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly columns: () => number | undefined = () => process.stderr.columns,
  ) {}

  /** A new live line, below the open ones. */
  line(): LiveLine {
    const entry = { text: '' };
    let open = true;
    this.lines.push(entry);
    return {
      update: (text) => {
        if (!open) return;
        entry.text = this.fit(text);
        this.redraw('');
      },
      close: () => {
        if (!open) return;
        open = false;
        this.lines.splice(this.lines.indexOf(entry), 1);
        this.redraw(`${entry.text}\n`);
      },
    };
  }

  /** Prints `text` above the live lines. */
  print(text: string): void {
    this.redraw(text);
  }

  private redraw(above: string): void {
    if (this.drawn === 0 && this.lines.length === 0) {
      this.write(above);
      return;
    }
    const up = this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : '';
    // A bar not drawn yet has no line on screen.
    const live = this.lines.map((line) => line.text).filter((text) => text !== '');
    this.write(`\r${up}\x1b[J${above}${live.join('\n')}`);
    this.drawn = live.length;
  }

  /** The terminal's width (80 when unknown). */
  width(): number {
    return terminalColumns(this.columns());
  }

  private fit(text: string): string {
    // One column short of the edge: some terminals wrap when the last column is written.
    const width = Math.max(1, this.width() - 1);
    return text.length > width ? text.slice(0, width) : text;
  }
}
