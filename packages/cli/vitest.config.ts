import { packageTests } from '../../config/vitest.js';

// Subprocesses open PGlite (a few seconds each) and the demo runs end to end: generous, never relied on.
export default packageTests({
  name: 'cli',
  testTimeout: 180_000,
  hookTimeout: 120_000,
  // drives several processes against one shared rate limit
  alone: ['test/worker-processes.test.ts'],
});
