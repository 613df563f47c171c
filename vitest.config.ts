import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the `source` condition, so tests run
// against the code as written, without a build step in between.
const conditions = ['source', 'node'];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,services,simulators}/*/src/**/*.test.ts', 'services/*/web/src/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/**/*.test.ts'],
          globalSetup: ['tests/setup/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // End-to-end files share one InfluxDB and bind real ports; running them one at a time
          // keeps their load figures and timings independent of each other.
          fileParallelism: false,
        },
      },
    ],
  },
});
