import { defineConfig } from 'vitest/config';

// Tests run against each workspace package's TypeScript source (the "source" export
// condition), so a change is tested without building first.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: '.vitest/report.json' }]],
  },
});
