import { createTrainlytics, silentLogger, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, FakeClock, type TestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSyncQueue,
  type SyncQueue,
  type SyncWorker,
  type SyncWorkerEvent,
  startSyncWorker,
} from '../src/worker';
import { connectAccount } from './helpers/connect';

/**
 * A worker's sync that a rate limit defers completes its job and enqueues the connection again to start
 * at `retryAt` (pg-boss `startAfter`); that job resumes the sync and the stored set ends equal to
 * Strava's. Strava's 429 resets at the next quarter hour: once the new job's `start_after` is checked,
 * the test lets that time arrive for both clocks — the app's FakeClock is set to it and the job's
 * `start_after` (pg-boss schedules on the database's clock) to the database's now. No sleeps: it polls
 * for outcomes.
 */
let database: TestDatabase;
let sandbox: StravaSandbox;
let queue: SyncQueue;
let trainlytics: Trainlytics;
let worker: SyncWorker | undefined;
const clock = new FakeClock(Date.now());
const events: SyncWorkerEvent[] = [];

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_worker_defer' });
  sandbox = await startStravaSandbox({ clock, provider: { pageSize: 5 } });
  trainlytics = createTrainlytics({
    store: postgresStore({ pool: database.pool }),
    providers: [sandbox.createProvider()],
    clock,
    logger: silentLogger,
  });
  queue = createSyncQueue({ connectionString: database.connectionString, maintenanceIntervalSeconds: 1 });
  await queue.start();
});
afterAll(async () => {
  await worker?.stop();
  await queue?.stop();
  await trainlytics?.close();
  await sandbox?.close();
  await database?.drop();
});

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a deferred sync in the worker', () => {
  it('is enqueued again for retryAt and resumes there, nothing lost or twice', async () => {
    const { rows } = await database.pool.query<{ id: number }>(
      `insert into users (email) values ('deferred@example.test') returning id`,
    );
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 12 });
    const connection = await connectAccount(trainlytics, 'strava', sandbox, {
      userId: rows[0]!.id,
      providerUserId,
    });

    sandbox.setFaults({ rateLimited: { times: 1 } });
    worker = await startSyncWorker({
      trainlytics,
      queue,
      concurrency: 1,
      pollingIntervalSeconds: 0.5,
      maxRateLimitWaitMs: 1_000,
      onEvent: (event) => events.push(event),
    });
    const retryAt = new Date(Math.floor(clock.now().getTime() / 900_000) * 900_000 + 900_000);
    expect(await queue.enqueueSync(connection.id, { full: true })).toEqual(expect.any(String));

    const deferred = await until('the sync deferred', () => events.find((e) => e.type === 'deferred'));
    expect(deferred).toMatchObject({ connectionId: connection.id, retryAt, requeued: true });
    const { rows: jobs } = await database.pool.query<{ state: string; start_after: Date; data: unknown }>(
      `select state, start_after, data from pgboss.job where name = 'trainlytics-sync' and state = 'created'`,
    );
    expect(jobs).toEqual([
      { state: 'created', start_after: retryAt, data: { connectionId: connection.id, full: true } },
    ]);

    clock.set(retryAt);
    await database.pool.query(
      `update pgboss.job set start_after = now() where name = 'trainlytics-sync' and state = 'created'`,
    );
    const finished = await until('the resumed sync', () =>
      events.find(
        (e): e is Extract<SyncWorkerEvent, { type: 'finished' }> =>
          e.type === 'finished' && e.result.status === 'success',
      ),
    );
    expect(finished.result).toMatchObject({ connectionId: connection.id, activitiesCreated: 12 });
    const stored = await trainlytics.activities.list({ userId: rows[0]!.id, limit: 500 });
    expect(new Set(stored.map((a) => a.providerActivityId))).toEqual(
      new Set(sandbox.activityIds(providerUserId)),
    );
    expect(stored).toHaveLength(12);
    const history = await trainlytics.history.list({ connectionId: connection.id });
    expect(history.map((h) => h.status)).toEqual(['success', 'deferred']);
  });
});
