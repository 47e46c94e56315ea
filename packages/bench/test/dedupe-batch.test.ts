import { describe, expect, it } from 'vitest';
import { measureBatchDedupe } from '../src/dedupe-batch-scenario';

// The 1,000,000-activity batch dedupe scenario (BENCHMARKS.md, "One timeline") at a size a test affords: the
// same generated mix, matched by `trainlytics_dedupe` in batches, with its result checked against the
// workout keys.
describe('batch dedupe scenario', () => {
  it('groups exactly the copies of one workout, and reports time and both processes’ memory', async () => {
    const r = await measureBatchDedupe(12);
    expect(r.activities).toBe(12 * 100);
    expect(r.wrongPairs).toBe(0);
    expect(r.pairsFound).toBe(r.pairsExpected);
    expect(r.pairsExpected).toBe(12 * 40);
    expect(r.groups).toBe(12 * 40);
    expect(r.batchMs).toBeGreaterThan(0);
    expect(r.nodePeakRssMiB).toBeGreaterThan(0);
    // on Linux the backend's /proc entry is readable: its private memory while it matched
    if (process.platform === 'linux') expect(r.backendPeakAnonMiB).toBeGreaterThan(0);
  }, 120_000);
});
