import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Logger } from '../src/log/logger.js';
import { TerminalArea } from '../src/log/terminal-area.js';

/** The screen a terminal shows after `output`: just the escapes the area and bars use. */
function screen(output: string): string[] {
  const rows: string[] = [''];
  let row = 0;
  let col = 0;
  const put = (ch: string) => {
    const line = rows[row] ?? '';
    rows[row] = line.slice(0, col).padEnd(col) + ch + line.slice(col + 1);
    col++;
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i] as string;
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      col = 0;
      if (rows.length <= row) rows.push('');
    } else if (ch === '\x1b') {
      const match = /^\[(\d*)([AJK])/.exec(output.slice(i + 1));
      if (!match) throw new Error(`unexpected escape at ${i}`);
      const [whole, count, command] = match;
      if (command === 'A') row = Math.max(0, row - Number(count || 1));
      else if (command === 'J') {
        rows.splice(row + 1);
        rows[row] = (rows[row] ?? '').slice(0, col);
      } else rows[row] = '';
      i += whole.length;
    } else put(ch);
  }
  return rows.map((line) => line.trimEnd());
}

/** An area `columns` wide whose output is kept, and the screen it shows. */
function recordingArea(columns: number) {
  let output = '';
  const area = new TerminalArea(
    (text) => {
      output += text;
    },
    () => columns,
  );
  return { area, shown: () => screen(output) };
}

describe('TerminalArea', () => {
  it('keeps one live line per open bar below everything printed', () => {
    const { area, shown } = recordingArea(40);
    area.print('start\n');
    const dense = area.line();
    const sparse = area.line();
    dense.update('dense 10%');
    sparse.update('Sparsify 12%');
    dense.update('dense 20%');
    expect(shown()).toEqual(['start', 'dense 20%', 'Sparsify 12%']);
    dense.update('dense 100%');
    dense.close();
    area.print('dense: epoch 1/8 done\n');
    sparse.update('Sparsify 80%');
    expect(shown()).toEqual(['start', 'dense 100%', 'dense: epoch 1/8 done', 'Sparsify 80%']);
    sparse.close();
    area.print('end\n');
    expect(shown()).toEqual([
      'start',
      'dense 100%',
      'dense: epoch 1/8 done',
      'Sparsify 80%',
      'end',
      '',
    ]);
  });

  it('cuts lines to the terminal width, so no line wraps', () => {
    const { area, shown } = recordingArea(30);
    area.line().update('x'.repeat(100));
    expect(shown()).toEqual(['x'.repeat(29)]);
  });

  it('takes a terminal that reports 0 columns as 80 wide, not 20', () => {
    const { area, shown } = recordingArea(0);
    area.line().update('x'.repeat(100));
    expect(shown()).toEqual(['x'.repeat(79)]);
  });

  it('shows what was printed and the open lines, in order, for any interleaving (property)', () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('open' as const) }),
      fc.record({
        kind: fc.constant('update' as const),
        bar: fc.nat(3),
        text: fc.stringMatching(/^[a-z]{1,8}$/),
      }),
      fc.record({ kind: fc.constant('close' as const), bar: fc.nat(3) }),
      fc.record({ kind: fc.constant('print' as const), text: fc.stringMatching(/^[a-z]{1,8}$/) }),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 30 }), (actions) => {
        const { area, shown } = recordingArea(80);
        const bars: { line: ReturnType<TerminalArea['line']>; text: string; open: boolean }[] = [];
        const scrollback: string[] = [];
        for (const a of actions) {
          if (a.kind === 'open') bars.push({ line: area.line(), text: '', open: true });
          else if (a.kind === 'print') {
            area.print(`${a.text}\n`);
            scrollback.push(a.text);
          } else {
            const bar = bars[a.bar];
            if (!bar?.open) continue;
            if (a.kind === 'update') {
              bar.line.update(a.text);
              bar.text = a.text;
            } else {
              bar.line.close();
              bar.open = false;
              scrollback.push(bar.text);
            }
          }
        }
        const live = bars.filter((bar) => bar.open && bar.text !== '').map((bar) => bar.text);
        const expected = [...scrollback, ...live];
        const rows = shown();
        // With no live line the cursor sits on an empty last row.
        if (live.length === 0) expect(rows.pop()).toBe('');
        expect(rows).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('is what a Logger on a terminal draws its progress bars and notes with', () => {
    let output = '';
    const logger = new Logger({ err: { write: (text) => (output += text), isTTY: true } });
    const dense = logger.progress('dense: epoch 1/2', 2);
    const sparse = logger.progress('Sparsify: epoch 1/2', 2);
    dense.tick();
    sparse.tick();
    dense.tick();
    dense.finish();
    logger.event('epoch', {}, 'dense: epoch 1/2 done');
    const rows = screen(output);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^dense: epoch 1\/2 \[#+\] 100% 2\/2/);
    expect(rows[1]).toBe('dense: epoch 1/2 done');
    expect(rows[2]).toMatch(/^Sparsify: epoch 1\/2 \[#+\.+\] {2}50% 1\/2/);
  });
});
