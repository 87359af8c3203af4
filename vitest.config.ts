import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    globalSetup: ['tests/helpers/globalSetup.ts'],
    // nothing from the caller's shell (OBSERVATORY_*, DATABASE_URL, vendor keys) reaches a test
    setupFiles: ['tests/helpers/isolate-env.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    maxWorkers: 3,
    reporters: ['default'],
  },
});
