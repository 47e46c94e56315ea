import { packageTests } from '../../config/vitest.js';

export default packageTests({
  name: 'provider-strava',
  timeZoneSensitive: [
    'test/map-strava-activity.test.ts',
    'test/strava-cursor.test.ts',
    'test/time-zones.property.test.ts',
  ],
});
