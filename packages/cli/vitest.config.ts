import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@trainlytics/source'] },
  ssr: { resolve: { conditions: ['@trainlytics/source'] } },
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Subprocesses open PGlite (a few seconds each) and the demo runs end to end: generous, never relied on.
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
