import { packageTests } from '../../config/vitest.js';

export default packageTests({
  name: 'provider-garmin',
  timeZoneSensitive: ['test/map-garmin-activity.test.ts', 'test/time-zones.property.test.ts'],
});
