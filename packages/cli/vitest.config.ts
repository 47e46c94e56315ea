import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@trainlytics/source'] },
  ssr: { resolve: { conditions: ['@trainlytics/source'] } },
  test: {
    globalSetup: ['test/global-setup.ts'],
    // two files at a time even on 2 cores (vitest's default there is one): most of a file's time is spent
    // waiting on PostgreSQL, a sandbox's socket, a child process or Chromium (issue 17, goal 6)
    maxWorkers: Math.max(availableParallelism() - 1, 2),
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Subprocesses open PGlite (a few seconds each) and the demo runs end to end: generous, never relied on.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
