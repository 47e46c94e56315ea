import { createTrainlytics, silentLogger, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, FakeClock, type TestDatabase } from '@trainlytics/core/testing';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSyncQueue,
  STREAMS_QUEUE,
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

describe('the streams backfill queue (trainlytics-streams, ADR 0032)', () => {
  it('never runs ahead of waiting sync jobs, and drains the backlog once they are done', async () => {
    await worker?.stop();
    worker = undefined;
    const connections = [];
    for (const name of ['streams-a', 'streams-b', 'streams-c']) {
      const { rows } = await database.pool.query<{ id: number }>(
        'insert into users (email) values ($1) returning id',
        [`${name}@example.test`],
      );
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 2 });
      connections.push(
        await connectAccount(trainlytics, 'strava', sandbox, { userId: rows[0]!.id, providerUserId }),
      );
    }
    // a has its summaries (a streams backlog); b and c wait for their first sync as jobs
    await trainlytics.sync(connections[0]!.id, { full: true });
    for (const c of connections.slice(1)) await queue.enqueueSync(c.id, { full: true });
    expect(await queue.syncJobsWaiting('strava')).toBe(true);
    expect(await queue.syncJobsWaiting('garmin')).toBe(false);
    // a tick while sync jobs wait leaves the provider alone: no request at all
    const streamsRequests = () => sandbox.requestLog().filter((r) => /\/(streams|laps)$/.test(r.path)).length;
    const held = await trainlytics.streams.tick({ isSummaryDue: (p) => queue.syncJobsWaiting(p) });
    expect(held).toMatchObject({ planned: 0, requests: 0, waitedForSummary: ['strava'] });
    expect(streamsRequests()).toBe(0);

    // one streams tick and two sync jobs are waiting when the worker starts: the syncs go first
    expect(await queue.enqueueStreamsTick()).toEqual(expect.any(String));
    expect(await queue.enqueueStreamsTick()).toBeNull(); // one tick waits at a time
    const order: string[] = [];
    worker = await startSyncWorker({
      trainlytics,
      queue,
      concurrency: 1,
      pollingIntervalSeconds: 0.5,
      streams: true,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'finished') order.push(`sync ${event.connectionId}`);
        if (event.type === 'streams') order.push(`streams ${event.report.requests}`);
      },
    });
    const total = async () =>
      (
        await database.pool.query<{ activities: number; streams: number }>(
          `select (select count(*)::int from activities) as activities,
                  (select count(*)::int from activity_streams) as streams`,
        )
      ).rows[0]!;
    // serve --queue enqueues a streams tick at each of its ticks; the test plays that part until drained
    await until('the backlog drained', async () => {
      const counts = await total();
      if (counts.streams === counts.activities && order.filter((o) => o.startsWith('sync')).length === 2)
        return true;
      await queue.enqueueStreamsTick();
      return false;
    });
    const lastSync = order.findLastIndex((o) => o.startsWith('sync'));
    const firstFetch = order.findIndex((o) => o.startsWith('streams') && o !== 'streams 0');
    expect(firstFetch).toBeGreaterThan(lastSync);
    const { activities, streams } = await total();
    expect(streams).toBe(activities);
    const mine = await database.pool.query<{ n: number }>(
      'select count(*)::int as n from activities where connection_id = any($1::int[])',
      [connections.map((c) => c.id)],
    );
    expect(mine.rows[0]!.n).toBe(6);
    // each activity's streams fetched once: two requests each (one when the sandbox has none, a manual entry)
    const rows = await database.pool.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from activity_streams group by status',
    );
    const none = rows.rows.find((r) => r.status === 'none')?.n ?? 0;
    expect(streamsRequests()).toBe(2 * (activities - none) + none);
    const { rows: failed } = await database.pool.query(
      `select id from pgboss.job where name = $1 and state = 'failed'`,
      [STREAMS_QUEUE],
    );
    expect(failed).toEqual([]);
  }, 60_000);
});
