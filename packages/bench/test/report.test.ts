import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStatements } from '../src/measure';
import { formatReport } from '../src/report';
import { median } from '../src/rtt-report';
import type { BackfillResult, RttResult } from '../src/scenario-result';

const machine = { date: '2026-11-25T10:00:00.000Z', cpus: 2, cpuModel: 'test', memoryGiB: 24, node: 'v20' };
const backfill = (scenario: 'backfill' | 'naive', wallMs: number): BackfillResult => ({
  scenario,
  database: 'postgres',
  activities: 10_000,
  stored: 10_000,
  wallMs,
  activitiesPerSecond: Math.round(10_000 / (wallMs / 1000)),
  providerRequests: 51,
  statements: scenario === 'naive' ? 10_000 : 110,
  peakRssMiB: 190,
  syncRssMiB: 150,
});

describe('the benchmark report', () => {
  it('prints the baseline/Trainlytics ratio and the one-request-per-200 floor', () => {
    const report = formatReport([backfill('backfill', 1_500), backfill('naive', 6_000)], machine);
    expect(report).toContain('| PostgreSQL 15 | 10,000 | Trainlytics | 1.5 s | 6,667 | 51 (50) | 110 |');
    expect(report).toContain('4.0× faster');
    expect(report).toContain('2 cores (test), 24 GiB');
  });
});

describe('countStatements', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'tl_bench_count' });
  });
  afterAll(() => database?.drop());

  it('counts each query sent through the wrapped pool and still answers it', async () => {
    const counter = { count: 0 };
    const pool = countStatements(database.pool, counter);
    const { rows } = await pool.query('select 1 + 1 as two');
    await pool.query('select 2');
    expect(rows[0]).toEqual({ two: 2 });
    expect(counter.count).toBe(2);
    expect(pool.totalCount).toBe(database.pool.totalCount);
  });
});

describe('the RTT sweep report', () => {
  const pair = (rttMs: number, naiveMs: number, trainlyticsMs: number): RttResult => ({
    scenario: 'rtt',
    activities: 10_000,
    rttMs,
    first: 'naive',
    naive: backfill('naive', naiveMs),
    trainlytics: backfill('backfill', trainlyticsMs),
  });

  it('takes the median of the paired ratios, not the ratio of medians, and lists every pair', () => {
    // ratios 10, 40, 20: median 20; the medians of the times (40 s / 1 s) would claim 40
    const report = formatReport(
      [pair(5, 20_000, 2_000), pair(5, 40_000, 1_000), pair(5, 60_000, 3_000), pair(20, 100_000, 4_000)],
      machine,
    );
    expect(report).toContain(
      '| 10,000 | 5 ms | 3 | 40.0 s | 2.0 s | **20.0×** | 10.0×, 40.0×, 20.0× | 10,000 / 110 | 51 / 51 |',
    );
    expect(report).toContain('| 10,000 | 20 ms | 1 | 100.0 s | 4.0 s | **25.0×** | 25.0× |');
    expect(report).not.toContain('### Backfill');
  });

  it('has the middle value as the median, the mean of the two middle ones for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });
});
