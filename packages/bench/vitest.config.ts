import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@trainlytics/source'] },
  ssr: { resolve: { conditions: ['@trainlytics/source'] } },
  test: {
    globalSetup: ['test/global-setup.ts'],
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
