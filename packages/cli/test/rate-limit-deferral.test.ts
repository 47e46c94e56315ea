import { randomUUID } from 'node:crypto';
import { FakeClock } from '@trainlytics/core/testing';
import { migrate } from '@trainlytics/migrations';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackDemoAuth } from '../src/app/auth';
import { type HostServer, startHostServer } from '../src/app/host-server';
import { ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { createScheduler, type Scheduler } from '../src/scheduler';
import { AppClient } from './helpers/app-client';

/**
 * Issue 18, A10: after one 429 from Strava (no Retry-After, so the window resets at the next quarter
 * hour), `serve` must not freeze. "Sync now" answers 202 deferred at once with the time it will run, the
 * scheduler runs it then, and an OAuth callback in the same process completes at once. Time is the
 * injected FakeClock, shared by the app, its scheduler and the sandbox: "at once" = the clock did not move.
 */
const START = '2026-03-02T10:03:00.000Z';
const NEXT_QUARTER_HOUR = '2026-03-02T10:15:00.000Z';

let database: OpenedDatabase;
let clock: FakeClock;
let strava: StravaSandbox;
let opened: OpenedTrainlytics;
let scheduler: Scheduler;
let server: HostServer;

beforeAll(async () => {
  database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
  await migrate(database.db, { direction: 'up' });
  clock = new FakeClock(START);
  strava = await startStravaSandbox({ clock, provider: { pageSize: 5 } });
  opened = await openTrainlytics({
    env: {},
    cwd: process.cwd(),
    database,
    clock,
    providers: [strava.createProvider()],
  });
  scheduler = createScheduler({
    trainlytics: opened.trainlytics,
    clock,
    rateLimitTracker: opened.rateLimitTracker,
  });
  server = await startHostServer({
    ...loopbackDemoAuth(),
    trainlytics: opened.trainlytics,
    db: database.db,
    port: 0,
    onSyncDeferred: (deferred) => scheduler.defer(deferred),
  });
});
afterAll(async () => {
  await server?.close();
  await opened?.close();
  await strava?.close();
  await database?.close();
});

/** A new app user connects a new Strava athlete through the app's routes; returns the callback's answer. */
async function connectThroughApp(client: AppClient, activityCount: number) {
  const user = await ensureUser(database.db, { email: `${randomUUID()}@example.com` });
  const { providerUserId } = await strava.seedAccount({ activityCount });
  const start = await client.request(`/connect/strava?user=${user.id}`);
  expect(start.status).toBe(302);
  const callback = await strava.approve(start.headers.get('location')!, { providerUserId });
  const before = clock.now().getTime();
  const sleeps = clock.sleeps.length;
  const finish = await client.request(callback.toString());
  const [connection] = await opened.trainlytics.connections.list({ userId: user.id });
  return { user, providerUserId, finish, connection, waitedMs: clock.now().getTime() - before, sleeps };
}

describe('one 429 in a serve process', () => {
  it('“sync now” answers 202 deferred at once; the scheduler runs it at retryAt to Strava’s set', async () => {
    const client = new AppClient(server.baseUrl);
    const { user, providerUserId, connection } = await connectThroughApp(client, 12);
    expect(connection).toBeDefined();
    await client.dashboard(user.id);

    strava.setFaults({ rateLimited: { times: 1 } });
    const before = clock.now().getTime();
    const response = await client.post(`/api/connections/${connection!.id}/sync`);
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      status: 'deferred',
      retryAt: NEXT_QUARTER_HOUR,
      activitiesCreated: 0,
    });
    expect(clock.now().getTime() - before).toBeLessThan(2_000);
    const [row] = await opened.trainlytics.history.list({ connectionId: connection!.id });
    expect(row).toMatchObject({ status: 'deferred' });
    expect(row?.completedAt).not.toBeNull();

    // the scheduler leaves it alone until the stated time…
    const early = await scheduler.tick();
    expect(early.results).toEqual([]);
    expect(early.skipped).toContainEqual({ connectionId: connection!.id, reason: 'backoff' });

    // …and runs it then: the stored set is Strava's
    clock.set(NEXT_QUARTER_HOUR);
    const later = await scheduler.tick();
    expect(later.results.map((r) => [r.connectionId, r.status, r.activitiesCreated])).toEqual([
      [connection!.id, 'success', 12],
    ]);
    const stored = await opened.trainlytics.activities.list({ userId: user.id, limit: 500 });
    expect(new Set(stored.map((a) => a.providerActivityId))).toEqual(
      new Set(strava.activityIds(providerUserId)),
    );
    expect(stored).toHaveLength(12);
  });

  it('an OAuth callback completes at once while Strava reads wait for the next quarter hour', async () => {
    // what a sync's 429 leaves in the process: Strava blocked until the window resets
    const reset = new Date(Math.ceil((clock.now().getTime() + 1) / 900_000) * 900_000);
    await opened.rateLimitTracker.block('strava', reset);
    const client = new AppClient(server.baseUrl);
    const { finish, connection, providerUserId, waitedMs, sleeps } = await connectThroughApp(client, 3);
    expect(finish.status).toBe(303);
    expect(connection).toMatchObject({ provider: 'strava', providerUserId, status: 'active' });
    expect(waitedMs).toBe(0);
    expect(clock.sleeps.slice(sleeps)).toEqual([]);
  });
});
