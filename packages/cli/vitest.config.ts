import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const resolve = { conditions: ['@trainlytics/source'] };
// Subprocesses open PGlite (a few seconds each) and the demo runs end to end: generous, never relied on.
const shared = { testTimeout: 180_000, hookTimeout: 120_000 };
/** Files that drive several processes against one shared rate limit: they run alone, after the others. */
const ALONE = ['test/worker-processes.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // two files at a time even on 2 cores (vitest's default there is one): most of a file's time is spent
    // waiting on PostgreSQL, a sandbox's socket, a child process or Chromium (issue 17, goal 6)
    maxWorkers: Math.max(availableParallelism() - 1, 2),
    projects: [
      {
        resolve,
        ssr: { resolve },
        test: {
          ...shared,
          name: 'cli',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          exclude: ALONE,
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve,
        ssr: { resolve },
        test: { ...shared, name: 'cli (alone)', include: ALONE, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
