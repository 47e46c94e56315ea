import { packageTests } from '../../config/vitest.js';

export default packageTests({
  name: 'core',
  timeZoneSensitive: ['test/unit/model-time.test.ts'],
});
