import { createTrainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import {
  applyMigrations,
  FakeClock,
  type PrivatePostgres,
  startPrivatePostgres,
} from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAccount, createUser, historyRow, storedStats } from './helpers/connect';

// PostgreSQL crashing (pg_ctl stop -m immediate: no shutdown checkpoint, WAL not yet written is gone) in the
// middle of a sync whose pages commit with synchronous_commit = off (ADR 0023). The WAL writer is slowed to
// its longest delay so the crash can take back pages the sync already reported. A private cluster: the
// shared server other suites use is never touched.

const LEASE_TTL_MS = 5 * 60_000;

let cluster: PrivatePostgres;
let pool: pg.Pool;
let sandbox: StravaSandbox;

beforeAll(async () => {
  cluster = await startPrivatePostgres({ wal_writer_delay: '10s' });
  pool = new pg.Pool({ connectionString: cluster.connectionString, max: 4 });
  pool.on('error', () => {}); // idle clients die with the server
  await applyMigrations(pool);
  sandbox = await startStravaSandbox({ provider: { pageSize: 10 } });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await pool?.end().catch(() => {});
  cluster?.destroy();
});

describe('the database crashing mid-sync', () => {
  it('loses only whole pages with their cursor; the next sync stores every activity exactly once', async () => {
    const clock = new FakeClock(Date.now());
    const trainlytics = createTrainlytics({
      store: postgresStore({ pool }),
      providers: [sandbox.createProvider()],
      clock,
      http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2_000 },
    });
    const userId = await createUser(pool, 'crash');
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 120 });
    const total = await sandbox.activityCount(providerUserId);
    const connection = await connectAccount(trainlytics, sandbox, 'strava', userId, providerUserId);

    // activities stored after each page as the sync reported them (0 before the first)
    const reported = [0];
    await trainlytics
      .sync(connection.id, {
        full: true,
        onProgress: (progress) => {
          reported.push(progress.activitiesCreated);
          if (reported.length === 4) cluster.stop('immediate'); // a crash right after the third page
        },
      })
      .catch(() => {});
    expect(reported).toHaveLength(4);

    cluster.start(); // crash recovery replays what reached the WAL on disk
    clock.advance(LEASE_TTL_MS + 60_000); // the crashed run's lease expires
    const kept = await storedStats(pool, connection.id);
    // whole pages only: what survived is what the sync had stored after one of its pages
    expect(reported).toContain(kept.rows);
    expect(kept.distinct).toBe(kept.rows);
    // and the cursor went back with them: the next sync stores exactly what is missing
    const next = await trainlytics.sync(connection.id, { full: true });
    expect(next.status).toBe('success');
    expect(next.activitiesCreated).toBe(total - kept.rows);
    const stats = await storedStats(pool, connection.id);
    expect(stats).toEqual({ rows: total, distinct: total });
    expect((await historyRow(pool, next.syncId)).sync_status).toBe('success');
  });
});
