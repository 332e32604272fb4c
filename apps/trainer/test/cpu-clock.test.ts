import { describe, expect, it } from 'vitest';
import { cpuSecondsSince } from '../src/train/cpu-clock.js';

describe('cpuSecondsSince', () => {
  it('counts the work of this process, not the wall time it waited', async () => {
    const began = process.cpuUsage();
    const wallBegan = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waited = (performance.now() - wallBegan) / 1000;
    const idle = cpuSecondsSince(began);
    expect(idle).toBeGreaterThanOrEqual(0);
    // Sleeping 0.3 s costs (nearly) no CPU; a wall clock would report >= 0.3 s.
    expect(idle).toBeLessThan(waited / 2);

    const busy = process.cpuUsage();
    let spins = 0;
    const limit = performance.now() + 20_000;
    while (cpuSecondsSince(busy) < 0.05 && performance.now() < limit) spins++;
    expect(cpuSecondsSince(busy)).toBeGreaterThanOrEqual(0.05);
    expect(spins).toBeGreaterThan(0);
  });
});
