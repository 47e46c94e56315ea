import {
  ConnectionInactiveError,
  type FetchFunction,
  NotFoundError,
  SyncInProgressError,
  type SyncProgress,
  type SyncWait,
} from '@trainlytics/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/registry/create-trainlytics';
import { withLease } from '../../src/registry/lease';
import { INTERRUPTED_MESSAGE } from '../../src/sync/sync-engine';
import { EngineHarness, yieldingClock } from './harness';

const h = new EngineHarness();
beforeAll(() => h.setup());
afterAll(() => h.teardown());
beforeEach(() => h.reset());

/** A fetch that records the `after_seq` (Testfit's cursor) of every listing request it sends. */
function recordListings(): { fetch: FetchFunction; afterSeqs: number[] } {
  const afterSeqs: number[] = [];
  return {
    afterSeqs,
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.pathname === '/api/activities') afterSeqs.push(Number(url.searchParams.get('after_seq')));
      return fetch(input, init);
    },
  };
}

const storedCursor = async (connectionId: number) =>
  (await h.query('select sync_cursor from provider_connections where id = $1', [connectionId]))[0]
    ?.sync_cursor as { afterSeq: number };

describe('sync engine', () => {
  it('pages through the history, one commit and one progress report per page, and persists the cursor', async () => {
    const t = h.trainlytics({ pageSize: 4 });
    const { connection } = await h.connect(t, 10);
    const progress: SyncProgress[] = [];
    const result = await t.sync(connection.id, { full: true, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({
      status: 'success',
      activitiesCreated: 10,
      activitiesUpdated: 0,
      activitiesRejected: 0,
    });
    expect(progress.map((p) => p.pages)).toEqual([1, 2, 3]);
    expect(progress.map((p) => p.activitiesCreated)).toEqual([4, 8, 10]);
    expect(result.requests).toBe(3);
    const [row] = await h.query(
      'select sync_cursor, last_sync_at, last_error from provider_connections where id = $1',
      [connection.id],
    );
    expect(row?.sync_cursor).toEqual(result.cursor);
    expect(row?.last_sync_at).not.toBeNull();
    expect(row?.last_error).toBeNull();
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history).toMatchObject({
      status: 'success',
      activitiesCreated: 10,
      requestsMade: 3,
      syncType: 'full',
    });
    expect(history?.cursorBefore).toBeNull();
    expect(history?.cursorAfter).toEqual(result.cursor);
  });

  it('a full sync again updates instead of duplicating', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 7);
    await t.sync(connection.id, { full: true });
    const again = await t.sync(connection.id, { full: true });
    // unchanged rows are neither created nor updated
    expect(again).toMatchObject({ status: 'success', activitiesCreated: 0, activitiesUpdated: 0 });
    expect(await h.stored(connection.id)).toBe(7);
  });

  it('closes a running row left by a crashed process and resumes from the last committed page', async () => {
    const t = h.trainlytics({ pageSize: 5 });
    const { connection } = await h.connect(t, 12);
    // a crash after the first page: its page and cursor are committed, its row still says running
    h.server.setFaults({ status: { code: 500, times: 100, pathPrefix: '/api/activities' } });
    let pages = 0;
    await t.sync(connection.id, {
      onProgress: () => {
        pages++;
      },
    });
    h.server.resetFaults();
    const crashed = await h.store.startSync({
      connectionId: connection.id,
      syncType: 'incremental',
      cursorBefore: null,
      now: h.clock.now(),
    });
    h.server.resetCounters();
    const result = await t.sync(connection.id);
    expect(result.status).toBe('success');
    expect(await h.stored(connection.id)).toBe(12);
    const closed = await h.store.getSync(crashed.id);
    expect(closed?.status).toBe('failed');
    expect(closed?.errorMessage).toBe(INTERRUPTED_MESSAGE);
    expect(pages).toBe(0);
  });

  it('a 500 mid-sync keeps the committed pages; the next run requests only what is left', async () => {
    const t = h.trainlytics({ pageSize: 5 });
    const { connection } = await h.connect(t, 12);
    const failed = await t.sync(connection.id, {
      full: true,
      onProgress: (p) => {
        if (p.pages === 1) h.server.setFaults({ status: { code: 500, times: 100 } });
      },
    });
    expect(failed.status).toBe('failed');
    expect(failed.errorName).toBe('ProviderApiError');
    expect(failed.errorMessage).toContain('HTTP 500');
    expect(failed.activitiesCreated).toBe(5);
    // one request for page 1, then the first attempt and 3 retries of page 2
    expect(failed.requests).toBe(5);
    expect(await h.stored(connection.id)).toBe(5);
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history).toMatchObject({
      status: 'failed',
      activitiesCreated: 5,
      requestsMade: 5,
      errorName: 'ProviderApiError',
    });
    expect((await t.connections.get(connection.id))?.lastError).toBe(failed.errorMessage);

    h.server.resetFaults();
    h.server.resetCounters();
    const resumed = await t.sync(connection.id);
    expect(resumed).toMatchObject({ status: 'success', activitiesCreated: 7, activitiesUpdated: 0 });
    expect(h.server.requestCount({ pathPrefix: '/api/activities' })).toBe(2);
    expect(await h.stored(connection.id)).toBe(12);
    expect((await t.connections.get(connection.id))?.lastError).toBeNull();
  });

  it('waits out a 429 with Retry-After on the injected clock', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 3);
    h.server.setFaults({ rateLimited: { times: 2, retryAfterSeconds: 90 } });
    const result = await t.sync(connection.id);
    expect(result.status).toBe('success');
    expect(result.activitiesCreated).toBe(3);
    expect(h.clock.sleeps.filter((ms) => ms === 90_000)).toHaveLength(2);
    expect(result.requests).toBe(3);
  });

  it('a 429 longer than the allowed wait defers the sync with the retry time (not a failure)', async () => {
    const t = h.trainlytics({ http: { maxRateLimitWaitMs: 60_000 } });
    const { connection } = await h.connect(t, 3);
    h.server.setFaults({ rateLimited: { times: 1, retryAfterSeconds: 3600 } });
    const now = h.clock.now().getTime();
    const result = await t.sync(connection.id);
    expect(result.status).toBe('deferred');
    expect(result.errorName).toBe('RateLimitError');
    expect(result.retryAt?.getTime()).toBe(now + 3_600_000);
    expect(result.errorMessage).toMatch(/resumes after the last committed page at \d{4}-\d\d-\d\dT/);
  });

  it('records malformed items as rejections with the failing field, stores the others', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 5);
    h.server.setFaults({ malformedItems: 2 });
    const result = await t.sync(connection.id);
    expect(result).toMatchObject({ status: 'success', activitiesCreated: 3, activitiesRejected: 2 });
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history?.errors).toHaveLength(2);
    expect(history?.errors[0]).toMatchObject({
      name: 'ValidationError',
      itemId: expect.stringMatching(/^tf\d+$/),
      issues: [{ path: 'start_time' }],
    });
    // the cursor moved past them: the next sync does not fetch them again
    const next = await t.sync(connection.id);
    expect(next.activitiesCreated + next.activitiesRejected).toBe(0);
  });

  it('an incremental sync hands the provider the stored cursor and requests only what is new', async () => {
    const listings = recordListings();
    const t = h.trainlytics({ pageSize: 5, fetch: listings.fetch });
    const { connection, providerUserId } = await h.connect(t, 12);
    await t.sync(connection.id, { full: true });
    const afterFull = await storedCursor(connection.id);
    expect(afterFull.afterSeq).toBeGreaterThan(0);
    await h.server.addActivities(providerUserId, 3);
    listings.afterSeqs.length = 0;
    const incremental = await t.sync(connection.id);
    expect(incremental).toMatchObject({ status: 'success', activitiesCreated: 3, requests: 1 });
    expect(listings.afterSeqs).toEqual([afterFull.afterSeq]);
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history?.cursorBefore).toEqual(afterFull);
  });

  it('a sync that waited for the lease starts from the cursor the other sync stored, not the one it read before', async () => {
    const listings = recordListings();
    const t1 = h.trainlytics({ pageSize: 5, fetch: listings.fetch });
    const t2 = h.trainlytics({ pageSize: 5, fetch: listings.fetch, clock: yieldingClock(h) });
    const { connection, providerUserId } = await h.connect(t1, 12);
    await t1.sync(connection.id, { full: true });
    const afterFull = await storedCursor(connection.id);
    await h.server.addActivities(providerUserId, 3);
    listings.afterSeqs.length = 0;
    // both read the connection, then one waits for the other's lease
    const [a, b] = await Promise.all([t1.sync(connection.id), t2.sync(connection.id)]);
    const afterBoth = await storedCursor(connection.id);
    expect(afterBoth.afterSeq).toBeGreaterThan(afterFull.afterSeq);
    expect(a.activitiesCreated + b.activitiesCreated).toBe(3);
    expect(a.activitiesUpdated + b.activitiesUpdated).toBe(0);
    // the first asked for what follows the full sync, the second for what follows the first
    expect(listings.afterSeqs).toEqual([afterFull.afterSeq, afterBoth.afterSeq]);
  });

  it('serializes concurrent syncs of one connection: nothing is stored twice', async () => {
    const t = h.trainlytics({ pageSize: 3 });
    const { connection } = await h.connect(t, 9);
    const [a, b] = await Promise.all([t.sync(connection.id), t.sync(connection.id)]);
    expect(a.status).toBe('success');
    expect(b.status).toBe('success');
    expect(a.activitiesCreated + b.activitiesCreated).toBe(9);
    expect(a.activitiesUpdated + b.activitiesUpdated).toBe(0);
    expect(await h.stored(connection.id)).toBe(9);
    const history = await t.history.list({ connectionId: connection.id });
    expect(history.map((r) => r.status)).toEqual(['success', 'success']);
  });

  it('serializes syncs from two processes through the store lease', async () => {
    const t1 = h.trainlytics({ pageSize: 3 });
    // the second process polls without moving time (a fake clock that advanced would expire t1's lease)
    const t2 = h.trainlytics({ pageSize: 3, clock: yieldingClock(h) });
    const { connection } = await h.connect(t1, 9);
    const [a, b] = await Promise.all([t1.sync(connection.id), t2.sync(connection.id)]);
    expect([a.status, b.status]).toEqual(['success', 'success']);
    expect(a.activitiesCreated + b.activitiesCreated).toBe(9);
    expect(await h.stored(connection.id)).toBe(9);
  });

  it("ifLocked 'skip' throws SyncInProgressError while another sync holds the lease", async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 2);
    await h.store.acquireLease(
      `sync:${connection.id}`,
      'other-process',
      new Date(h.clock.now().getTime() + 60_000),
      h.clock.now(),
    );
    const error = await t.sync(connection.id, { ifLocked: 'skip' }).catch((e: unknown) => e);
    expect(SyncInProgressError.isInstance(error)).toBe(true);
    // 'wait' takes it once it expires (the fake clock advances while polling)
    const waited = await t.sync(connection.id);
    expect(waited.status).toBe('success');
    expect(h.clock.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(60_000);
  });

  it('a holder that stopped heartbeating loses the lease within seconds; the waiter says whom it waits for and closes its row', async () => {
    const t = h.trainlytics({ lease: { holderName: 'trainlytics worker (pid 7 on box)' } });
    const { connection } = await h.connect(t, 3);
    // a killed `trainlytics sync`: its last heartbeat took the lease for one TTL, its row still says running
    const dead = 'trainlytics sync (pid 1234 on host) #dead.beef';
    await h.store.acquireLease(
      `sync:${connection.id}`,
      dead,
      new Date(h.clock.now().getTime() + 15_000),
      h.clock.now(),
    );
    const stale = await h.store.startSync({
      connectionId: connection.id,
      syncType: 'full',
      cursorBefore: null,
      now: h.clock.now(),
    });
    const waits: SyncWait[] = [];
    const result = await t.sync(connection.id, { onWaiting: (w) => waits.push(w) });
    expect(result.status).toBe('success');
    // it waited one lease TTL (15 s on the fake clock), not minutes
    const waited = h.clock.sleeps.reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual(15_000);
    expect(waited).toBeLessThan(20_000);
    expect(waits).toEqual([
      {
        connectionId: connection.id,
        holder: 'trainlytics sync (pid 1234 on host)',
        expiresAt: new Date(h.clock.now().getTime() - waited + 15_000),
        expiresInMs: 15_000,
      },
    ]);
    const closed = await h.store.getSync(stale.id);
    expect(closed?.status).toBe('failed');
    expect(closed?.errorMessage).toBe(INTERRUPTED_MESSAGE);
    expect(INTERRUPTED_MESSAGE).toMatch(/stopped before it finished \(its lease expired\)/);
  });

  it('names the holder in the lease and renews it by a heartbeat independent of the work', async () => {
    const rt = createRuntime(
      h.options({ lease: { holderName: 'trainlytics sync (pid 42 on host)', ttlMs: 1_000 } }),
    );
    const key = 'sync:4242';
    const renewed = await withLease(rt, key, { onBusy: () => new Error('busy') }, async (lease) => {
      const first = await h.store.describeLease!(key);
      expect(first?.owner).toBe(lease.owner);
      expect(lease.owner).toMatch(/^trainlytics sync \(pid 42 on host\) #[\w-]+\.[\w-]+$/);
      h.clock.advance(5_000);
      // one step of the work lasts long: the heartbeat (every TTL/3, real time) renews the lease meanwhile
      for (;;) {
        const now = await h.store.describeLease!(key);
        if (now && now.expiresAt > first!.expiresAt) return now;
        await new Promise((r) => setImmediate(r));
      }
    });
    expect(renewed.expiresAt).toEqual(new Date(h.clock.now().getTime() + 1_000));
    expect(await h.store.describeLease!(key)).toBeNull();
  });

  it('a holder whose lease was taken over stops writing: no page, no row update, no connection update', async () => {
    const t = h.trainlytics({ pageSize: 2 });
    const { connection } = await h.connect(t, 6);
    const key = `sync:${connection.id}`;
    const result = await t.sync(connection.id, {
      full: true,
      onProgress: async (p) => {
        if (p.pages !== 1) return;
        // the holder stalled past its TTL (a frozen VM) and another process took the lease
        await h.query('update trainlytics_leases set expires_at = $2 where key = $1', [
          key,
          new Date(h.clock.now().getTime() - 1),
        ]);
        expect(
          await h.store.acquireLease(key, 'other', new Date(h.clock.now().getTime() + 15_000), h.clock.now()),
        ).toBe(true);
        await h.store.failRunningSyncs(connection.id, 'closed by the other process', h.clock.now());
      },
    });
    expect(result.status).toBe('failed');
    expect(result.errorMessage).toMatch(/lost its lease/);
    expect(await h.stored(connection.id)).toBe(2);
    const [row] = await t.history.list({ connectionId: connection.id });
    expect(row?.errorMessage).toBe('closed by the other process');
    expect((await t.connections.get(connection.id))?.lastError).toBeNull();
    expect((await h.store.describeLease!(key))?.owner).toBe('other');
  });

  it('an unknown connection is a NotFoundError; an inactive one a recorded failure without requests', async () => {
    const t = h.trainlytics();
    await expect(t.sync(999)).rejects.toSatisfy((e: unknown) => NotFoundError.isInstance(e));
    const { connection } = await h.connect(t, 2);
    await t.disconnect(connection.id, { revoke: false });
    h.server.resetCounters();
    const result = await t.sync(connection.id);
    expect(result.status).toBe('failed');
    expect(result.errorName).toBe('ConnectionInactiveError');
    expect(result.errorName).toBe(new ConnectionInactiveError('').name); // a class to compare with
    expect(result.errorMessage).toMatch(/disconnected/);
    expect(h.server.requestCount()).toBe(0);
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history?.status).toBe('failed');
  });

  it('an aborted sync is recorded as cancelled and keeps its committed pages', async () => {
    const t = h.trainlytics({ pageSize: 2 });
    const { connection } = await h.connect(t, 6);
    const controller = new AbortController();
    const result = await t.sync(connection.id, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.pages === 1) controller.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    expect(await h.stored(connection.id)).toBe(2);
    const [history] = await t.history.list({ connectionId: connection.id });
    expect(history?.status).toBe('cancelled');
  });

  it("sends a plugin's requests through the plugin's own fetch when it has one, else the host's", async () => {
    const seenByPlugin: string[] = [];
    const seenByHost: string[] = [];
    const base = h.server.createProvider();
    const withFetch = {
      ...base,
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        seenByPlugin.push(new URL(String(input)).pathname);
        return fetch(input, init);
      },
    };
    const hostFetch = (input: string | URL | Request, init?: RequestInit) => {
      seenByHost.push(new URL(String(input)).pathname);
      return fetch(input, init);
    };
    const t = h.trainlytics({ providers: [withFetch], fetch: hostFetch });
    const { connection } = await h.connect(t, 2);
    await t.sync(connection.id);
    expect(seenByPlugin).toEqual(['/oauth/token', '/api/me', '/api/activities']);
    expect(seenByHost).toEqual([]);
    const hostOnly = h.trainlytics({ fetch: hostFetch });
    await hostOnly.sync(connection.id);
    expect(seenByHost).toEqual(['/api/activities']);
  });
});
