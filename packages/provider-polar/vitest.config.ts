import { defineConfig } from 'vitest/config';

const resolve = { conditions: ['@trainlytics/source'] };
const shared = { testTimeout: 30_000, hookTimeout: 60_000 };
/** The time-zone-sensitive tests (the mapping) run a second time in a zone with a non-whole-hour offset and DST. */
const SECOND_TIME_ZONE = 'America/St_Johns';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        resolve,
        ssr: { resolve },
        test: { ...shared, name: 'provider-polar', include: ['test/**/*.test.ts', 'src/**/*.test.ts'] },
      },
      {
        resolve,
        ssr: { resolve },
        test: {
          ...shared,
          name: `provider-polar TZ=${SECOND_TIME_ZONE}`,
          include: [
            'test/map-polar-activity.test.ts',
            'test/map-polar-activity.property.test.ts',
            'test/time-zones.property.test.ts',
          ],
          env: { TZ: SECOND_TIME_ZONE },
        },
      },
    ],
  },
});
