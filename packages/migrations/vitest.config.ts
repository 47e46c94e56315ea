import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@trainlytics/source'] },
  ssr: { resolve: { conditions: ['@trainlytics/source'] } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    // starting PGlite takes seconds, and over a minute when the shared machine is saturated
    hookTimeout: 180_000,
  },
});
