import { packageTests } from '../../config/vitest.js';

export default packageTests({
  name: 'migrations',
  globalSetup: false,
  // starting PGlite takes seconds, and over a minute when the shared machine is saturated
  hookTimeout: 180_000,
});
