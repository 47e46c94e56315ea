import { packageTests } from '../../config/vitest.js';

export default packageTests({
  name: 'provider-polar',
  timeZoneSensitive: [
    'test/map-polar-activity.test.ts',
    'test/map-polar-activity.property.test.ts',
    'test/time-zones.property.test.ts',
  ],
});
