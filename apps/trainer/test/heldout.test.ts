import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_INPUTS } from '@sparsify/amuse-encoder';
import { describe, expect, it } from 'vitest';
import { Logger } from '../src/log/logger.js';
import { loadSyntheticDataset, loadSyntheticHeldout } from '../src/pipeline/synthetic-data.js';
import { silentLogger, tempDir } from './fixtures.js';

/** A logger that keeps the names of the JSON events it was given. */
function eventLogger(): { logger: Logger; events: string[] } {
  const events: string[] = [];
  const logger = new Logger({
    format: 'json',
    out: (line) => events.push((JSON.parse(line) as { event: string }).event),
  });
  return { logger, events };
}

describe('the held-out test set of a synthetic benchmark', () => {
  const spec = { dir: join(tempDir('heldout'), 'synthetic'), videos: 6, seed: 7 };

  it('holds videos no split has, cached beside the benchmark and normalised with its statistics', async () => {
    const benchmark = await loadSyntheticDataset(spec, DEFAULT_INPUTS, silentLogger());
    const first = eventLogger();
    const heldout = await loadSyntheticHeldout(
      spec,
      DEFAULT_INPUTS,
      3,
      benchmark.fbankStats,
      first.logger,
    );
    expect(first.events).toContain('data-built');
    expect(existsSync(join(spec.dir, 'heldout-3', 'media.json'))).toBe(true);
    const seen = new Set(
      [benchmark.train, benchmark.val, benchmark.test].flatMap((s) =>
        s.records.map((r) => r.videoId),
      ),
    );
    const heldoutVideos = new Set(heldout.records.map((r) => r.videoId));
    expect(heldoutVideos.size).toBe(3);
    expect([...heldoutVideos].some((id) => seen.has(id))).toBe(false);

    const again = eventLogger();
    await loadSyntheticHeldout(spec, DEFAULT_INPUTS, 3, benchmark.fbankStats, again.logger);
    expect(again.events).not.toContain('data-built');

    // Other statistics: rebuilt, and the same log-mel energies under the other scale.
    const other = { mean: benchmark.fbankStats.mean + 1, std: benchmark.fbankStats.std * 2 };
    const rebuilt = eventLogger();
    const renormalised = await loadSyntheticHeldout(spec, DEFAULT_INPUTS, 3, other, rebuilt.logger);
    expect(rebuilt.events).toContain('data-built');
    const a = (await heldout.load([0])).inputs.fbank;
    const b = (await renormalised.load([0])).inputs.fbank;
    const { mean, std } = benchmark.fbankStats;
    for (let i = 0; i < a.length; i += 997) {
      expect((b[i] as number) * other.std + other.mean).toBeCloseTo(
        (a[i] as number) * std + mean,
        3,
      );
    }
  });
});
