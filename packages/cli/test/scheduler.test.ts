import { randomUUID } from 'node:crypto';
import type { Trainlytics } from '@trainlytics/core';
import { createTestDatabase, FakeClock } from '@trainlytics/core/testing';
import { migrate } from '@trainlytics/migrations';
import { type PolarSandbox, startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { createScheduler } from '../src/scheduler';
import { connectAccount } from './helpers/connect';

const INTERVAL = 15 * 60_000;

let pg: Awaited<ReturnType<typeof createTestDatabase>>;
let database: OpenedDatabase;
let strava: StravaSandbox;
let polar: PolarSandbox;
let clock: FakeClock;
let app: OpenedTrainlytics;
const extraInstances: OpenedTrainlytics[] = [];

beforeAll(async () => {
  pg = await createTestDatabase({ prefix: 'tl_cli_scheduler' });
  database = await openDatabase({ databaseUrl: pg.connectionString, env: {}, cwd: process.cwd() });
  await migrate(database.db, { direction: 'up' });
  strava = await startStravaSandbox();
  polar = await startPolarSandbox();
});
afterAll(async () => {
  await strava?.close();
  await polar?.close();
  await database?.close();
  await pg?.drop();
});

/** A Trainlytics instance on the shared database: a "process" of the host app. */
function openInstance() {
  return openTrainlytics({
    env: {},
    cwd: process.cwd(),
    database,
    clock,
    providers: [strava.createProvider(), polar.createProvider()],
  });
}

beforeEach(async () => {
  await database.db.query(
    'truncate users, provider_connections, sync_history, activities restart identity cascade',
  );
  strava.resetFaults();
  clock = new FakeClock(Date.now());
  app = await openInstance();
});
afterEach(async () => {
  await app.close();
  for (const extra of extraInstances.splice(0)) await extra.close();
});

async function connect(providerId: 'strava' | 'polar') {
  const sandbox = providerId === 'strava' ? strava : polar;
  const user = await ensureUser(database.db, { email: `${randomUUID()}@example.com` });
  const { providerUserId } = await sandbox.seedAccount({ activityCount: 3 });
  return connectAccount(app.trainlytics, providerId, sandbox, { userId: user.id, providerUserId });
}

describe('scheduled sync', () => {
  it('syncs never-synced connections, then each again only when its last sync is older than the interval', async () => {
    const a = await connect('strava');
    const b = await connect('polar');
    const scheduler = createScheduler({ trainlytics: app.trainlytics, intervalMs: INTERVAL, clock });

    const first = await scheduler.tick();
    expect(first.due).toBe(2);
    expect(first.results.map((r) => [r.connectionId, r.status]).sort()).toEqual(
      [
        [a.id, 'success'],
        [b.id, 'success'],
      ].sort(),
    );
    expect(first.results.every((r) => r.activitiesCreated === 3)).toBe(true);

    expect((await scheduler.tick()).due).toBe(0);
    clock.advance(INTERVAL - 1_000);
    expect((await scheduler.tick()).due).toBe(0);
    clock.advance(1_000);
    const again = await scheduler.tick();
    expect(again.due).toBe(2);
    expect(again.results.every((r) => r.status === 'success' && r.activitiesCreated === 0)).toBe(true);
  });

  it('takes never-synced connections first, then the oldest last sync', async () => {
    const oldest = await connect('strava');
    const newer = await connect('polar');
    const never = await connect('strava');
    await app.trainlytics.sync(oldest.id);
    clock.advance(5 * 60_000);
    await app.trainlytics.sync(newer.id);
    clock.advance(INTERVAL);

    const scheduler = createScheduler({
      trainlytics: app.trainlytics,
      intervalMs: INTERVAL,
      concurrency: 1,
      clock,
    });
    const report = await scheduler.tick();
    expect(report.results.map((r) => r.connectionId)).toEqual([never.id, oldest.id, newer.id]);
  });

  it('keeps the schedule in the database: a restarted process does not resync what is fresh', async () => {
    const a = await connect('strava');
    await createScheduler({ trainlytics: app.trainlytics, intervalMs: INTERVAL, clock }).tick();
    await app.close();

    app = await openInstance();
    const restarted = createScheduler({ trainlytics: app.trainlytics, intervalMs: INTERVAL, clock });
    expect((await restarted.tick()).due).toBe(0);
    clock.advance(INTERVAL);
    const report = await restarted.tick();
    expect(report.results.map((r) => r.connectionId)).toEqual([a.id]);
  });

  it('leaves out inactive and re-authorization connections', async () => {
    const gone = await connect('strava');
    const kept = await connect('polar');
    await app.trainlytics.disconnect(gone.id);
    const report = await createScheduler({
      trainlytics: app.trainlytics,
      intervalMs: INTERVAL,
      clock,
    }).tick();
    expect(report.results.map((r) => r.connectionId)).toEqual([kept.id]);
  });

  it('skips a provider whose rate limit says to wait, and syncs it once the window resets', async () => {
    const s = await connect('strava');
    const p = await connect('polar');
    await app.rateLimitTracker.block('strava', new Date(clock.now().getTime() + 10 * 60_000));
    const scheduler = createScheduler({
      trainlytics: app.trainlytics,
      intervalMs: INTERVAL,
      clock,
      rateLimitTracker: app.rateLimitTracker,
    });

    const blocked = await scheduler.tick();
    expect(blocked.skipped).toEqual([{ connectionId: s.id, reason: 'rate-limited' }]);
    expect(blocked.results.map((r) => r.connectionId)).toEqual([p.id]);

    clock.advance(10 * 60_000 + 1);
    const later = await scheduler.tick();
    expect(later.results.map((r) => r.connectionId)).toEqual([s.id]);
  });

  it('stops syncing a provider for the rest of the window once it answers 429', async () => {
    const first = await connect('strava');
    const second = await connect('strava');
    const other = await connect('polar');
    strava.setFaults({ rateLimited: { times: 1_000, retryAfterSeconds: 3_600 } });
    const scheduler = createScheduler({
      trainlytics: app.trainlytics,
      intervalMs: INTERVAL,
      concurrency: 1,
      clock,
      rateLimitTracker: app.rateLimitTracker,
    });
    const report = await scheduler.tick();
    const [limited] = report.results.filter((r) => r.connectionId === first.id);
    expect(limited).toMatchObject({ status: 'deferred', errorName: 'RateLimitError' });
    expect(limited?.retryAt?.getTime()).toBeGreaterThan(clock.now().getTime());
    expect(report.skipped).toEqual([{ connectionId: second.id, reason: 'rate-limited' }]);
    expect(report.results.find((r) => r.connectionId === other.id)?.status).toBe('success');
    expect(app.rateLimitTracker.snapshot('strava').blockedUntil!.getTime()).toBeGreaterThan(
      clock.now().getTime(),
    );
  });

  it('retries a connection whose sync failed one interval later, not at every poll', async () => {
    const failing = await connect('strava');
    const scheduler = createScheduler({ trainlytics: app.trainlytics, intervalMs: INTERVAL, clock });
    strava.setFaults({ status: { code: 500, times: 1_000 } });
    const failed = await scheduler.tick();
    expect(failed.results.map((r) => [r.connectionId, r.status])).toEqual([[failing.id, 'failed']]);

    strava.resetFaults();
    clock.advance(60_000);
    expect((await scheduler.tick()).skipped).toEqual([{ connectionId: failing.id, reason: 'backoff' }]);
    clock.advance(INTERVAL);
    const retried = await scheduler.tick();
    expect(retried.results.map((r) => [r.connectionId, r.status])).toEqual([[failing.id, 'success']]);
  });

  it('runs at most `concurrency` syncs at once', async () => {
    for (let i = 0; i < 5; i++) await connect(i % 2 ? 'polar' : 'strava');
    let inFlight = 0;
    let most = 0;
    const counting: Trainlytics = {
      ...app.trainlytics,
      connections: app.trainlytics.connections,
      providerIds: app.trainlytics.providerIds,
      async sync(id, options) {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          return await app.trainlytics.sync(id, options);
        } finally {
          inFlight--;
        }
      },
    };
    const report = await createScheduler({
      trainlytics: counting,
      intervalMs: INTERVAL,
      concurrency: 2,
      clock,
    }).tick();
    expect(report.results).toHaveLength(5);
    expect(most).toBe(2);
  });

  it('never syncs a connection that another process is syncing', async () => {
    const busy = await connect('strava');
    const other = await connect('polar');
    const second = await openInstance();
    extraInstances.push(second);
    strava.setFaults({ latencyMs: 1_000 });
    const running = second.trainlytics.sync(busy.id);
    // Wait until the other process's sync holds the connection (its sync_history row is running).
    for (;;) {
      const { rows } = await database.db.query<{ n: number }>(
        "select count(*)::int as n from sync_history where connection_id = $1 and sync_status = 'running'",
        [busy.id],
      );
      if (rows[0]!.n > 0) break;
      await new Promise((resolve) => setImmediate(resolve));
    }

    const report = await createScheduler({
      trainlytics: app.trainlytics,
      intervalMs: INTERVAL,
      clock,
    }).tick();
    expect(report.skipped).toEqual([{ connectionId: busy.id, reason: 'in-progress' }]);
    expect(report.results.map((r) => r.connectionId)).toEqual([other.id]);
    expect((await running).status).toBe('success');
    const { rows } = await database.db.query<{ n: number }>(
      'select count(*)::int as n from sync_history where connection_id = $1',
      [busy.id],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('joins a tick that is already running instead of starting a second one', async () => {
    await connect('strava');
    const scheduler = createScheduler({ trainlytics: app.trainlytics, intervalMs: INTERVAL, clock });
    const [one, two] = await Promise.all([scheduler.tick(), scheduler.tick()]);
    expect(one).toBe(two);
    expect(one.results).toHaveLength(1);
  });
});

describe('streams backfill after the summary syncs (ADR 0032)', () => {
  const QUARTER = 15 * 60_000;
  /** A Strava sandbox on the test's clock, with a small window: 20 requests a quarter-hour. */
  let tight: StravaSandbox;
  /** Every API request in order: which tick, what kind, its status. */
  const calls: Array<{ tick: number; kind: 'summary' | 'streams' | 'other'; status: number }> = [];
  let tickNo = 0;
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init);
    const path = new URL(input instanceof Request ? input.url : input).pathname;
    const kind = /\/activities\/\d+\/(streams|laps)$/.test(path)
      ? 'streams'
      : path.endsWith('/athlete/activities')
        ? 'summary'
        : 'other';
    calls.push({ tick: tickNo, kind, status: response.status });
    return response;
  };
  beforeAll(async () => {
    tight = await startStravaSandbox({
      clock: { now: () => clock.now(), sleep: (ms, signal) => clock.sleep(ms, signal) },
      rateLimit: { limit: 20, dailyLimit: 100_000 },
    });
  });
  afterAll(async () => {
    await tight?.close();
  });

  const openStreamsInstance = () =>
    openTrainlytics({
      env: {},
      cwd: process.cwd(),
      database,
      clock,
      providers: [tight.createProvider({ fetch: recordingFetch })],
      streams: { maxActivitiesPerTick: 20 },
    });

  it('drains the backlog over ticks within 70 % of each window, resumes after a restart, and never delays a due sync', async () => {
    // a minute into a quarter-hour window of the sandbox (its windows are aligned on the clock)
    clock.set(new Date(Math.ceil(clock.now().getTime() / QUARTER) * QUARTER + 60_000));
    await app.close();
    app = await openStreamsInstance();
    const connections = [];
    for (let i = 0; i < 2; i++) {
      const user = await ensureUser(database.db, { email: `${randomUUID()}@example.com` });
      const { providerUserId } = await tight.seedAccount({ activityCount: 8, seed: 40 + i });
      connections.push(
        await connectAccount(app.trainlytics, 'strava', tight, { userId: user.id, providerUserId }),
      );
    }
    const total = async () =>
      (
        await database.db.query<{ activities: number; streams: number }>(
          `select (select count(*)::int from activities) as activities,
                  (select count(*)::int from activity_streams) as streams`,
        )
      ).rows[0]!;
    let scheduler = createScheduler({
      trainlytics: app.trainlytics,
      intervalMs: INTERVAL,
      clock,
      rateLimitTracker: app.rateLimitTracker,
      streams: true,
    });
    const streamsPerConnection = async () =>
      (
        await database.db.query<{ connection_id: number; n: number }>(
          `select a.connection_id, count(*)::int as n from activity_streams s
             join activities a on a.id = s.activity_id group by a.connection_id order by 1`,
        )
      ).rows;

    const reports = [];
    for (tickNo = 1; tickNo <= 12; tickNo++) {
      if (tickNo === 3) {
        // a restart: a new process with a fresh (in-memory) rate-limit state and no memory of whom it served
        await app.close();
        app = await openStreamsInstance();
        scheduler = createScheduler({
          trainlytics: app.trainlytics,
          intervalMs: INTERVAL,
          clock,
          rateLimitTracker: app.rateLimitTracker,
          streams: true,
        });
      }
      const report = await scheduler.tick();
      reports.push(report);
      // every due summary sync ran, and succeeded, before a single streams request of the tick
      expect(report.due).toBe(2);
      expect(report.results.map((r) => r.status)).toEqual(['success', 'success']);
      const mine = calls.filter((c) => c.tick === tickNo);
      const firstStreams = mine.findIndex((c) => c.kind === 'streams');
      if (firstStreams >= 0) expect(mine.slice(firstStreams).some((c) => c.kind === 'summary')).toBe(false);
      // the whole window (summaries included) stays within the sandbox's 20: the backlog kept 30 % free
      const streamsRequests = mine.filter((c) => c.kind === 'streams').length;
      expect(streamsRequests).toBe(report.streams!.requests);
      expect(streamsRequests).toBeLessThanOrEqual(Math.floor(20 * 0.7));
      if (tickNo === 1) {
        // round-robin: both connections were served in the first tick already
        expect((await streamsPerConnection()).map((r) => r.connection_id).sort()).toEqual(
          connections.map((c) => c.id).sort(),
        );
      }
      const { activities, streams } = await total();
      if (streams === activities) break;
      clock.advance(QUARTER); // the next window; both connections are due again
    }
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    // drained over several ticks (the budget did bound each), each activity handled exactly once
    expect(tickNo).toBeGreaterThan(2);
    expect(tickNo).toBeLessThanOrEqual(12);
    const { activities, streams } = await total();
    expect(activities).toBe(16);
    expect(streams).toBe(16);
    const handled = reports.reduce((n, r) => n + r.streams!.stored + r.streams!.none, 0);
    expect(handled).toBe(16);
    for (const c of connections) expect((await app.trainlytics.streams.plan(c.id))?.remaining).toBe(0);

    // nothing left: a later tick makes no streams request
    clock.advance(QUARTER);
    tickNo++;
    const idle = await scheduler.tick();
    expect(idle.streams).toMatchObject({ planned: 0, requests: 0 });
  }, 120_000);
});
