import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness, redirectUri } from './harness';

const QUARTER_HOUR = 15 * 60_000;

/**
 * A 429 from one sync must not freeze the process (issue 18, A10): the code exchange of a user who is
 * connecting goes through at once, a sync whose caller cannot wait ends `deferred` with the reset time
 * (its pages committed), and the deferred sync resumes later to exactly the provider's set. Time is the
 * injected FakeClock: "at once" means the clock did not move and nothing slept.
 */
describe.each(['pglite', 'postgres'] as const)('one 429 with a quarter-hour reset (%s)', (database) => {
  const h = new EngineHarness({}, database);
  beforeAll(() => h.setup());
  afterAll(() => h.teardown());
  beforeEach(() => h.reset());

  /** Seconds until the next quarter hour (Strava's 15-minute window) from the harness clock. */
  const toQuarterHour = () => {
    const now = h.clock.now().getTime();
    return Math.ceil((Math.floor(now / QUARTER_HOUR) * QUARTER_HOUR + QUARTER_HOUR - now) / 1000);
  };

  /** Syncs until the provider answers one 429 after the first page; the caller waits at most 2 s. */
  async function deferredSync(t: ReturnType<EngineHarness['trainlytics']>, connectionId: number) {
    const retryAfterSeconds = toQuarterHour();
    let injected = false;
    const started = h.clock.now().getTime();
    const result = await t.sync(connectionId, {
      maxRateLimitWaitMs: 2_000,
      onProgress: () => {
        if (injected) return;
        injected = true;
        h.server.setFaults({ rateLimited: { times: 1, retryAfterSeconds } });
      },
    });
    return { result, started, retryAfterSeconds };
  }

  it('ends a sync that cannot wait as deferred at once, keeps its pages, and resumes to the provider’s set', async () => {
    const t = h.trainlytics({ pageSize: 5 });
    const { connection, providerUserId } = await h.connect(t, 12);

    const { result, started, retryAfterSeconds } = await deferredSync(t, connection.id);
    expect(result).toMatchObject({ status: 'deferred', activitiesCreated: 5, errorName: 'RateLimitError' });
    expect(result.retryAt?.getTime()).toBe(started + retryAfterSeconds * 1000);
    // it returned without waiting for the window
    expect(h.clock.now().getTime() - started).toBeLessThan(2_000);
    expect(h.clock.sleeps.filter((ms) => ms > 2_000)).toEqual([]);
    expect(await h.stored(connection.id)).toBe(5);

    const [row] = await t.history.list({ connectionId: connection.id });
    expect(row).toMatchObject({ status: 'deferred', activitiesCreated: 5, requestsMade: 2 });
    expect(row?.completedAt).not.toBeNull();
    expect(row?.errorMessage).toContain(result.retryAt!.toISOString());
    expect(row?.cursorAfter).toEqual(result.cursor);
    const after = await t.connections.get(connection.id);
    expect(after).toMatchObject({ status: 'active', lastError: null, lastSyncAt: null });

    // before the reset, another run defers again without sending a request
    h.server.resetCounters();
    const early = await t.sync(connection.id, { maxRateLimitWaitMs: 2_000 });
    expect(early).toMatchObject({ status: 'deferred', requests: 0, retryAt: result.retryAt });
    expect(h.server.requestCount({ pathPrefix: '/api/' })).toBe(0);

    // at the stated time it resumes after the last committed page: nothing lost, nothing twice
    h.clock.set(result.retryAt!);
    const resumed = await t.sync(connection.id, { maxRateLimitWaitMs: 2_000 });
    expect(resumed).toMatchObject({ status: 'success', activitiesCreated: 7, activitiesUpdated: 0 });
    expect(h.server.requestCount({ pathPrefix: '/api/activities' })).toBe(2);
    expect(await h.stored(connection.id)).toBe(await h.server.activityCount(providerUserId));
    const ids = await h.query('select provider_activity_id from activities where connection_id = $1', [
      connection.id,
    ]);
    expect(new Set(ids.map((r) => r.provider_activity_id)).size).toBe(12);
  });

  it('finishes a connect callback in the same process at once while the read budget is blocked', async () => {
    const t = h.trainlytics({ pageSize: 5 });
    const { connection } = await h.connect(t, 12);
    const { result } = await deferredSync(t, connection.id);
    expect(result.status).toBe('deferred');

    // another user connects: the code exchange (token endpoint) and the profile read must not queue
    const otherUser = await h.createUser('second@example.com');
    const { providerUserId } = await h.server.seedAccount({ activityCount: 3 });
    const { url } = await t.connect.start(TEST_PROVIDER_ID, { userId: otherUser, redirectUri });
    const callback = await h.server.approve(url, { providerUserId });
    const before = h.clock.now().getTime();
    const sleepsBefore = h.clock.sleeps.length;
    const second = await t.connect.finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams });
    expect(second).toMatchObject({ userId: otherUser, providerUserId, status: 'active' });
    expect(h.clock.now().getTime()).toBe(before);
    expect(h.clock.sleeps.slice(sleepsBefore)).toEqual([]);
  });

  it('a caller that may wait (the default cap) still waits for the window and succeeds', async () => {
    const t = h.trainlytics({ pageSize: 5 });
    const { connection } = await h.connect(t, 12);
    const retryAfterSeconds = toQuarterHour();
    h.server.setFaults({ rateLimited: { times: 1, retryAfterSeconds } });
    const result = await t.sync(connection.id);
    expect(result).toMatchObject({ status: 'success', activitiesCreated: 12, retryAt: null });
    expect(h.clock.sleeps).toContain(retryAfterSeconds * 1000);
  });
});
