import { OAuthStateError } from '@trainlytics/core';
import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/registry/create-trainlytics';
import { createConnectionSession } from '../../src/tokens/connection-session';
import { EngineHarness, redirectUri, yieldingClock } from './harness';

// Real PostgreSQL (a pool of connections): the races that an embedded single-connection database cannot show.
const h = new EngineHarness({}, 'postgres');
beforeAll(() => h.setup());
afterAll(() => h.teardown());
beforeEach(() => h.reset());

describe('concurrency on PostgreSQL', () => {
  it('syncs of one connection from three processes store every activity once', async () => {
    const first = h.trainlytics({ pageSize: 3 });
    const { connection } = await h.connect(first, 10);
    const others = [
      h.trainlytics({ pageSize: 3, clock: yieldingClock(h) }),
      h.trainlytics({ pageSize: 3, clock: yieldingClock(h) }),
    ];
    const results = await Promise.all([first, ...others].map((t) => t.sync(connection.id)));
    expect(results.map((r) => r.status)).toEqual(['success', 'success', 'success']);
    expect(results.reduce((n, r) => n + r.activitiesCreated, 0)).toBe(10);
    expect(results.reduce((n, r) => n + r.activitiesUpdated, 0)).toBe(0);
    expect(await h.stored(connection.id)).toBe(10);
    const history = await first.history.list({ connectionId: connection.id });
    expect(history.filter((r) => r.status === 'success')).toHaveLength(3);
  });

  it('four processes needing a refresh at once send one refresh request', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 1);
    h.clock.advance(3600_000);
    const runtimes = [
      createRuntime(h.options()),
      ...[1, 2, 3].map(() => createRuntime(h.options({ clock: yieldingClock(h) }))),
    ];
    const record = (await h.store.getConnection(connection.id))!;
    h.server.resetCounters();
    const tokens = await Promise.all(
      runtimes.map((rt) =>
        createConnectionSession(rt, rt.getProvider(TEST_PROVIDER_ID), record).accessToken(),
      ),
    );
    expect(h.server.refreshRequests()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
  });

  it('the same callback finished twice at once connects once; the other gets OAuthStateError', async () => {
    const t = h.trainlytics();
    const { providerUserId } = await h.server.seedAccount({ activityCount: 0 });
    const { url } = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    const callback = await h.server.approve(url, { providerUserId });
    const other = h.trainlytics();
    const outcomes = await Promise.allSettled([
      t.connect.finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams }),
      other.connect.finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(OAuthStateError.isInstance(rejected.reason)).toBe(true);
    expect(await t.connections.list({ userId: h.userId })).toHaveLength(1);
  });

  it('one webhook delivered five times at once is processed once', async () => {
    const t = h.trainlytics();
    const { connection, providerUserId } = await h.connect(t, 0);
    const [id] = await h.server.addActivities(providerUserId, 1);
    const request = await h.server.webhookRequest({
      type: 'activity.created',
      providerUserId,
      providerActivityId: id as string,
    });
    const copies = [request!, ...[1, 2, 3, 4].map(() => request!.clone())];
    const instances = [t, h.trainlytics(), h.trainlytics()];
    const responses = await Promise.all(
      copies.map((r, i) => instances[i % 3]!.webhooks.handle(TEST_PROVIDER_ID, r)),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    await Promise.all(instances.map((i) => i.webhooks.idle()));
    expect(await h.stored(connection.id)).toBe(1);
    const history = await t.history.list({ connectionId: connection.id });
    expect(history.filter((r) => r.syncType === 'webhook')).toHaveLength(1);
  });
});
