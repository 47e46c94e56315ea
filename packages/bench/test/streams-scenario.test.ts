import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatReport } from '../src/report';
import { percentile } from '../src/streams-report';
import { runStreams, typicalRun } from '../src/streams-scenario';

const machine = { date: '2026-12-01T06:00:00.000Z', cpus: 2, cpuModel: 'test', memoryGiB: 24, node: 'v22' };

describe('the streams scenario (issue 14), at a small size', () => {
  it('measures storage, writes, reads and requests on the real PostgreSQL', async () => {
    const result = await runStreams(6, 120);
    expect(result).toMatchObject({ activities: 6, samplesPerActivity: 120, channels: 6 });
    const s = result.storage;
    expect(s.encodedBytesPerSample).toBeGreaterThan(0);
    expect(s.encodedBytesPerSample).toBeLessThan(4);
    expect(s.encodedBytesPerSample).toBeLessThan(s.jsonBytesPerSample / 3);
    expect(s.rowPerSampleBytesPerSample).toBeGreaterThan(s.relationBytesPerSample);
    expect(result.write.ratio).toBeGreaterThan(0);
    expect(result.read.medianMs).toBeGreaterThan(0);
    expect(result.read.p99Ms).toBeGreaterThanOrEqual(result.read.medianMs);
    expect(result.requests[0]).toMatchObject({
      provider: 'strava',
      requestsPerActivity: 2,
      how: 'measured',
      manualRequests: 1,
    });
    expect(result.requests.map((r) => r.provider)).toEqual(['strava', 'garmin', 'polar']);
    const report = formatReport([result], machine);
    expect(report).toContain('### Activity detail (issue 14): 6 activities × 120 s at 1 Hz × 6 channels');
    expect(report).toContain('| strava | 2 | measured | 1 |');
  }, 180_000);

  it('generates a 1 Hz run with the six channels, aligned', () => {
    const run = typicalRun(3, 300);
    expect(run.time).toHaveLength(300);
    expect(Object.keys(run.channels).sort()).toEqual(
      ['altitude', 'cadence', 'distance', 'heartrate', 'latlng', 'speed'].sort(),
    );
    for (const values of Object.values(run.channels)) expect(values).toHaveLength(300);
  });

  it('takes the nearest-rank percentile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true }), { minLength: 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, q) => {
          const p = percentile(xs, q);
          expect(xs).toContain(p);
          expect(xs.filter((x) => x <= p).length).toBeGreaterThanOrEqual(Math.ceil(q * xs.length));
        },
      ),
    );
    expect(percentile([5, 1, 3, 2, 4], 0.99)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
  });
});
