import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStatements } from '../src/measure';
import { formatReport } from '../src/report';
import type { BackfillResult } from '../src/scenario-result';

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
