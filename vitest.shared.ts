import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against each workspace package's TypeScript source (the "source" export
// condition), so a change is tested without building first.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', ['json', { outputFile: '.vitest/report.json' }]],
  },
});
