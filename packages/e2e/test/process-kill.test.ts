import { createTrainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, FakeClock, type TestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSyncChild } from './helpers/child';
import { connectAccount, createUser, historyRow, storedStats } from './helpers/connect';

// A sync process killed with SIGKILL in the middle of a backfill (no finally block, no rollback of
// what it committed), then a new process syncing the same connection.

const LEASE_TTL_MS = 5 * 60_000;

let database: TestDatabase;
let sandbox: StravaSandbox;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_kill' });
  sandbox = await startStravaSandbox({ provider: { pageSize: 10 } });
});
afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

describe('a sync process killed mid-sync', () => {
  it('SIGKILL after some committed pages: the next run closes the stale row as failed, resumes from the committed cursor, and stores every activity exactly once', async () => {
    const trainlytics = createTrainlytics({
      store: postgresStore({ pool: database.pool }),
      providers: [sandbox.createProvider()],
    });
    const userId = await createUser(database.pool, 'killed');
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 400 });
    const total = await sandbox.activityCount(providerUserId);
    const connection = await connectAccount(trainlytics, sandbox, 'strava', userId, providerUserId);

    // slow pages, so the child is surely in the middle of the history when it is killed
    sandbox.setFaults({ latencyMs: 40 });
    const options = { ...sandbox.providerOptions() };
    const child = spawnSyncChild({
      DATABASE_URL: database.connectionString,
      CONNECTION_ID: String(connection.id),
      STRAVA_OPTIONS: JSON.stringify(options),
      FULL: '1',
    });
    await child.waitFor((m) => (m.progress?.pages ?? 0) >= 3);
    child.process.kill('SIGKILL');
    const exit = await child.exited;
    expect(exit.signal).toBe('SIGKILL');
    sandbox.resetFaults();

    const kept = (await storedStats(database.pool, connection.id)).rows;
    expect(kept).toBeGreaterThanOrEqual(30);
    expect(kept).toBeLessThan(total);
    const stale = await database.pool.query(
      "select id from sync_history where connection_id = $1 and sync_status = 'running'",
      [connection.id],
    );
    expect(stale.rows).toHaveLength(1);
    const staleId = Number(stale.rows[0]?.id);
    const cursorRow = await database.pool.query(
      'select sync_cursor from provider_connections where id = $1',
      [connection.id],
    );
    expect(cursorRow.rows[0]?.sync_cursor).not.toBeNull();

    // "restart": a new instance, its clock past the dead process's lease (5 minutes)
    const restarted = createTrainlytics({
      store: postgresStore({ pool: database.pool }),
      providers: [sandbox.createProvider()],
      clock: new FakeClock(Date.now() + LEASE_TTL_MS + 60_000),
    });
    sandbox.resetCounters();
    const resumed = await restarted.sync(connection.id, { full: true });
    expect(resumed.status).toBe('success');
    // resumed, not restarted: only what was missing is created, with fewer list requests than a whole pass
    expect(resumed.activitiesCreated).toBe(total - kept);
    // (at most the missing pages, each re-reading the previous page's last second, so 9 new of 10, plus
    // the re-read of the oldest second and the closing empty page: see StravaSyncCursor)
    expect(sandbox.requestCount({ pathPrefix: '/athlete/activities' })).toBeLessThanOrEqual(
      Math.ceil((total - kept) / 9) + 2,
    );

    const closed = await historyRow(database.pool, staleId);
    expect(closed.sync_status).toBe('failed');
    expect(String(closed.error_message)).toMatch(/interrupted/);
    expect(closed.sync_completed_at).not.toBeNull();
    const stats = await storedStats(database.pool, connection.id);
    expect(stats.rows).toBe(total);
    expect(stats.distinct).toBe(total);
  });
});
