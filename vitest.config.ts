import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // DuckDB is a native module: one process per test file keeps instances apart.
    pool: 'forks',
    // Two files at a time on two cores: much of a file's time is spent waiting on child
    // processes, sockets and timers, not on the CPU (vitest's default would run one).
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
