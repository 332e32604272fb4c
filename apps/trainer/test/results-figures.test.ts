import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const TRAINER = join(import.meta.dirname, '..');

describe('docs/results figures', () => {
  it('the committed plots are what the notebook tables give, and every recomputed summary agrees with the printed one', () => {
    const run = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'scripts/results-figures.ts', '--check'],
      { cwd: TRAINER, encoding: 'utf8' },
    );
    expect(run.stderr).toContain('plots up to date');
    expect(run.status).toBe(0);
    // Each figure of docs/results.md's table as the script prints it and as the page quotes it.
    const page = readFileSync(join(TRAINER, '../../docs/results.md'), 'utf8');
    for (const [printed, quoted] of [
      ['39.08% [38.76, 39.39]', '39.08 [38.76, 39.39]'],
      ['38.69% [38.19, 39.19]', '38.69 [38.19, 39.19]'],
      ['-0.38 [-0.94, +0.17], 6 / 11 / 0', '-0.38 [-0.94, +0.17] vs dense; 6 wins, 11 losses'],
      ['+1.17 [+0.50, +1.83], 14 / 3 / 0', '+1.17 [+0.50, +1.83] vs random 25%; 14 wins, 3 losses'],
      ['93.9% [92.8%, 95.0%]', 'retention 93.9% [92.8%, 95.0%]'],
      [
        '0.524 [0.519, 0.529], range 0.51-0.53',
        '0.524 [0.519, 0.529] (10 lockstep runs, range 0.51-0.53)',
      ],
      ['33.46%', '| 33.46 |'],
      ['28.95%', '| 28.95 |'],
      ['39.49% [39.17, 39.82]', '39.49 [39.17, 39.82]'],
      ['37.09% [36.62, 37.55]', '37.09 [36.62, 37.55]'],
      ['35.92% [35.41, 36.44]', '35.92 [35.41, 36.44]'],
    ] as const) {
      expect(run.stdout).toContain(printed);
      expect(page).toContain(quoted);
    }
  });
});
