import { defineConfig } from 'vitest/config';

const resolve = { conditions: ['@trainlytics/source'] };
const shared = { testTimeout: 30_000, hookTimeout: 60_000 };
/** The time-zone-sensitive tests run a second time in a zone with a non-whole-hour offset and DST. */
const SECOND_TIME_ZONE = 'America/St_Johns';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        resolve,
        ssr: { resolve },
        test: { ...shared, name: 'core', include: ['test/**/*.test.ts', 'src/**/*.test.ts'] },
      },
      {
        resolve,
        ssr: { resolve },
        test: {
          ...shared,
          name: `core TZ=${SECOND_TIME_ZONE}`,
          include: ['test/unit/model-time.test.ts'],
          env: { TZ: SECOND_TIME_ZONE },
        },
      },
    ],
  },
});
