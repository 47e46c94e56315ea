import { randomUUID } from 'node:crypto';
import type { Trainlytics } from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { migrate } from '@trainlytics/migrations';
import { type PolarSandbox, startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { createScheduler } from '../src/scheduler';
import { connectAccount } from './helpers/connect';
import { createTestDatabase } from './helpers/postgres';

const INTERVAL = 15 * 60_000;

let pg: Awaited<ReturnType<typeof createTestDatabase>>;
let database: OpenedDatabase;
let strava: StravaSandbox;
let polar: PolarSandbox;
let clock: FakeClock;
let app: OpenedTrainlytics;
const extraInstances: OpenedTrainlytics[] = [];

beforeAll(async () => {
  pg = await createTestDatabase('scheduler');
  database = await openDatabase({ databaseUrl: pg.url, env: {}, cwd: process.cwd() });
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
