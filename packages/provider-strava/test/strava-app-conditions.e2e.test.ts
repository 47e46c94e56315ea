import type { PGlite } from '@electric-sql/pglite';
import { ConnectionLimitError, createTrainlytics, FakeClock, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestPGlite } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';
import { strava } from '../src/strava-provider';
import { redirectUri } from './harness';

/**
 * App-wide conditions of Strava's 2026 developer program through a whole Trainlytics instance: an inactive
 * app pauses every Strava sync (deferred, nobody flagged, one probe per retry interval) and resumes by
 * itself; the athlete cap refuses one more athlete before they are sent to Strava; disconnect revokes
 * with `/oauth/revoke` once `/oauth/deauthorize` is gone.
 */
describe('Strava app-wide conditions through Trainlytics', () => {
  let sandbox: StravaSandbox;
  let pglite: PGlite;
  let trainlytics: Trainlytics;
  let clock: FakeClock;
  let users = 0;
  const ATHLETE_CAP = 3;

  beforeAll(async () => {
    sandbox = await startStravaSandbox({ apiBase: 'api-v3', program: { retireDeauthorize: true } });
    pglite = await createTestPGlite({ migrate: true });
    clock = new FakeClock(sandbox.clock.now());
    trainlytics = createTrainlytics({
      store: postgresStore(pglite),
      providers: [strava({ ...sandbox.providerOptions(), athleteCap: ATHLETE_CAP })],
      clock,
      http: { timeoutMs: 5_000, appSuspendedRetryMs: 10 * 60_000 },
    });
  });

  afterAll(async () => {
    await trainlytics.close();
    await sandbox.close();
    await pglite.close();
  });

  async function newUser() {
    const user = await pglite.query<{ id: number }>(`insert into users (email) values ($1) returning id`, [
      `conditions-${++users}@example.com`,
    ]);
    return user.rows[0]!.id;
  }

  async function connect(userId: number, providerUserId: string) {
    const { url } = await trainlytics.connect.start('strava', { userId, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId });
    return trainlytics.connect.finish('strava', { callbackParams: callback.searchParams });
  }

  it('an inactive app pauses every Strava sync without flagging anyone, and resumes by itself', async () => {
    const connections = [];
    for (let i = 0; i < 2; i++) {
      const { providerUserId } = await sandbox.seedAthlete({ activityCount: 5 });
      connections.push(await connect(await newUser(), providerUserId));
    }
    sandbox.setProgram({ appInactive: true });
    sandbox.resetCounters();

    const first = await trainlytics.sync(connections[0]!.id);
    expect(first.status).toBe('deferred');
    expect(first.errorName).toBe('AppSuspendedError');
    expect(first.errorMessage).toMatch(
      /Inactive.*reactivate the app at https:\/\/www\.strava\.com\/settings\/api/,
    );
    expect(first.retryAt?.getTime()).toBe(clock.now().getTime() + 10 * 60_000);
    const probes = sandbox.requestCount();
    expect(probes).toBe(1); // one 403, no retries, no refresh

    // every other Strava sync is skipped without a request until the retry time
    const second = await trainlytics.sync(connections[1]!.id);
    expect(second).toMatchObject({ status: 'deferred', errorName: 'AppSuspendedError', requests: 0 });
    expect(second.retryAt).toEqual(first.retryAt);
    expect(sandbox.requestCount()).toBe(probes);

    for (const c of connections) {
      const stored = await trainlytics.connections.get(c.id);
      expect(stored).toMatchObject({ status: 'active', lastError: null });
    }
    const [history] = await trainlytics.history.list({ connectionId: connections[1]!.id, limit: 1 });
    expect(history).toMatchObject({ status: 'deferred', errorName: 'AppSuspendedError' });

    // still inactive at the retry time: one probe, deferred again
    clock.advance(10 * 60_000);
    expect((await trainlytics.sync(connections[1]!.id)).status).toBe('deferred');
    expect(sandbox.requestCount()).toBe(probes + 1);

    // the owner reactivates the app: the next run after the retry time succeeds and the pause lifts
    sandbox.setProgram({ appInactive: false });
    clock.advance(10 * 60_000);
    const resumed = await trainlytics.sync(connections[1]!.id);
    expect(resumed.status).toBe('success');
    expect(resumed.activitiesCreated).toBe(5);
    expect((await trainlytics.sync(connections[0]!.id)).status).toBe('success');
  });

  it('a webhook meeting the inactive app pauses the syncs too, and nothing is flagged', async () => {
    const [connection] = await trainlytics.connections.list({ provider: 'strava', active: true });
    const [activityId] = await sandbox.addActivities(connection!.providerUserId, 1);
    sandbox.setProgram({ appInactive: true });
    try {
      clock.advance(60 * 60_000); // any earlier pause is long over
      const response = await trainlytics.webhooks.handle(
        'strava',
        await sandbox.webhookRequest({
          type: 'activity.created',
          providerUserId: connection!.providerUserId,
          providerActivityId: activityId!,
        }),
      );
      expect(response.status).toBe(200);
      await trainlytics.webhooks.idle();
      const [run] = await trainlytics.history.list({ connectionId: connection!.id, limit: 1 });
      expect(run).toMatchObject({ syncType: 'webhook', status: 'failed', errorName: 'AppSuspendedError' });
      sandbox.resetCounters();
      const sync = await trainlytics.sync(connection!.id);
      expect(sync).toMatchObject({ status: 'deferred', errorName: 'AppSuspendedError', requests: 0 });
      expect(sandbox.requestCount()).toBe(0);
      expect(await trainlytics.connections.get(connection!.id)).toMatchObject({
        status: 'active',
        lastError: null,
      });
    } finally {
      sandbox.setProgram({ appInactive: false });
    }
    clock.advance(10 * 60_000);
    expect((await trainlytics.sync(connection!.id)).status).toBe('success');
  });

  it('the athlete cap refuses one more athlete at connect.start; a connected one may reconnect', async () => {
    const active = await trainlytics.connections.list({ provider: 'strava', active: true });
    const connected = [...active];
    while (connected.length < ATHLETE_CAP) {
      const { providerUserId } = await sandbox.seedAthlete({ activityCount: 0 });
      connected.push(await connect(await newUser(), providerUserId));
    }
    const error = await trainlytics.connect
      .start('strava', { userId: await newUser(), redirectUri })
      .catch((e: unknown) => e);
    expect(ConnectionLimitError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ provider: 'strava', limit: ATHLETE_CAP });
    expect((error as ConnectionLimitError).userMessage).toMatch(/at most 3 accounts.*disconnect an account/);
    const again = await trainlytics.connect.start('strava', { userId: connected[0]!.userId, redirectUri });
    expect(again.url).toContain('/oauth/authorize');
  });

  it('disconnect revokes through /oauth/revoke on the OAuth host (deauthorize retired) and frees a place', async () => {
    const [victim] = await trainlytics.connections.list({ provider: 'strava', active: true });
    sandbox.resetCounters();
    const before = sandbox.connectedAthletes().length;
    const disconnected = await trainlytics.disconnect(victim!.id);
    expect(disconnected.status).toBe('inactive');
    expect(sandbox.requestLog().map((r) => `${r.origin} ${r.method} ${r.path}`)).toEqual([
      'oauth POST /oauth/revoke',
    ]);
    expect(sandbox.connectedAthletes()).toHaveLength(before - 1);
    const { url } = await trainlytics.connect.start('strava', { userId: await newUser(), redirectUri });
    expect(url).toContain('/oauth/authorize');
  });
});
