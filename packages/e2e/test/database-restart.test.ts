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

// PostgreSQL stopped (pg_ctl stop -m fast: every session terminated) in the middle of a sync, then
// started again. A private cluster: the shared server other suites use is never touched.

const LEASE_TTL_MS = 5 * 60_000;

let cluster: PrivatePostgres;
let pool: pg.Pool;
let sandbox: StravaSandbox;
const poolErrors: Error[] = [];

beforeAll(async () => {
  cluster = await startPrivatePostgres();
  pool = new pg.Pool({ connectionString: cluster.connectionString, max: 4 });
  // a host app owns its pool and must listen for errors of idle clients (a restart terminates them)
  pool.on('error', (error) => poolErrors.push(error));
  await applyMigrations(pool);
  sandbox = await startStravaSandbox({ provider: { pageSize: 10 } });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await pool?.end().catch(() => {});
  cluster?.destroy();
});

describe('the database restarting mid-sync', () => {
  it('the interrupted run fails (or is closed as interrupted), nothing half-written; after the restart the next sync completes with exact totals', async () => {
    const clock = new FakeClock(Date.now());
    const trainlytics = createTrainlytics({
      store: postgresStore({ pool }),
      providers: [sandbox.createProvider()],
      clock,
      http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 2_000 },
    });
    const userId = await createUser(pool, 'restart');
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 120 });
    const total = await sandbox.activityCount(providerUserId);
    const connection = await connectAccount(trainlytics, sandbox, 'strava', userId, providerUserId);

    let pages = 0;
    let committed = 0;
    const outcome = await trainlytics
      .sync(connection.id, {
        full: true,
        onProgress: (progress) => {
          // stop PostgreSQL between two pages (pg_ctl waits until it is down)
          if (++pages === 3) {
            committed = progress.activitiesCreated;
            cluster.stop();
          }
        },
      })
      .then(
        (result) => ({ result, error: null }),
        (error: unknown) => ({ result: null, error }),
      );
    expect(pages).toBe(3);
    // the run cannot be recorded as a success: either it reports the failure, or the store error surfaces
    if (outcome.result) expect(outcome.result.status).toBe('failed');
    else expect(outcome.error).toBeInstanceOf(Error);

    cluster.start();
    // the pool reconnects; the leaked lease of the interrupted run expires (5 minutes, on the fake clock)
    clock.advance(LEASE_TTL_MS + 60_000);
    const kept = await storedStats(pool, connection.id);
    expect(kept.rows).toBe(kept.distinct);
    // exactly the three committed pages (10 + 9 + 9: each later page re-reads its boundary second): no
    // half-written page
    expect(committed).toBeGreaterThanOrEqual(28);
    expect(kept.rows).toBe(committed);

    const next = await trainlytics.sync(connection.id, { full: true });
    expect(next.status).toBe('success');
    expect(next.activitiesCreated).toBe(total - kept.rows);
    const stats = await storedStats(pool, connection.id);
    expect(stats.rows).toBe(total);
    expect(stats.distinct).toBe(total);
    const row = await historyRow(pool, next.syncId);
    expect(row.sync_status).toBe('success');
    // no run of this connection is left 'running'; the interrupted one says why it ended
    const history = await pool.query(
      'select sync_status, error_message from sync_history where connection_id = $1 and id <> $2',
      [connection.id, next.syncId],
    );
    const interrupted = history.rows.filter((r) => r.sync_status !== 'success');
    expect(interrupted).toHaveLength(1);
    expect(interrupted[0]?.sync_status).toBe('failed');
    expect(String(interrupted[0]?.error_message)).not.toBe('');
    expect(history.rows.some((r) => r.sync_status === 'running')).toBe(false);
  });
});
