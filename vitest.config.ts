import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // DuckDB is a native module: one process per test file keeps instances apart.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
