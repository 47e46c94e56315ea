import { createTokenCipher } from '../crypto/token-cipher';
import { InsufficientScopeError, OAuthError, OAuthStateError } from '../errors/errors';
import { postgresStore } from '../postgres/postgres-store';
import type { ListActivitiesRequest } from '../provider/v1/activities';
import type { Provider } from '../provider/v1/provider-v1';
import { createTrainlytics } from '../registry/create-trainlytics';
import type { Connection, Trainlytics } from '../registry/types';
import type { Store } from '../store/store';
import type { ConformanceSandbox } from './conformance-sandbox';
import { createTestPGlite, resetDatabase } from './databases';
import { FakeClock } from './fake-clock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from './vitest-api';

type Row = Record<string, unknown>;

const ENCRYPTION_KEY = 'a'.repeat(64);

/** A migrated database for the suite: a store on it and raw SQL to check what really landed. */
export interface ConformanceDatabase {
  store: Store;
  query(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  /** Empties every table between tests (default: `resetDatabase`). */
  reset?(): Promise<void>;
  close(): Promise<void>;
}

export interface ProviderConformanceOptions {
  /** Names the `describe` block: `strava`. */
  name: string;
  startSandbox: () => Promise<ConformanceSandbox>;
  /** A migrated database; default: an in-memory PGlite with every migration applied. */
  createDatabase?: () => Promise<ConformanceDatabase>;
  /**
   * Activities seeded per account (default 12). Must span more than one page of the plugin's listing, so
   * that a failure can happen between two pages.
   */
  activityCount?: number;
  /** What the suite can expect from this provider; defaults come from the plugin's `capabilities`. */
  capabilities?: {
    /** Tokens can be refreshed (default `capabilities.refresh`). */
    refresh?: boolean;
    /**
     * `pull`: a full sync pages through the whole history. `async`: a full sync only requests a backfill
     * that the provider delivers later by webhook (default `capabilities.backfill`).
     */
    backfill?: 'pull' | 'async';
    /**
     * `paged` (default): a full listing takes several requests, so a failure can fall between two pages.
     * `single`: the plugin reads the whole listing in one request (Polar's default flow); the fault is then
     * injected before the sync, and the checks that need a page boundary are replaced by a failure with
     * nothing stored followed by a complete resume.
     */
    listing?: 'paged' | 'single';
  };
}

/** An in-memory PGlite with every migration applied: the conformance suites' default database. */
export async function defaultConformanceDatabase(): Promise<ConformanceDatabase> {
  const pglite = await createTestPGlite({ migrate: true });
  return {
    store: postgresStore(pglite),
    query: (sql, params) => pglite.query(sql, params) as Promise<{ rows: Row[] }>,
    close: () => pglite.close(),
  };
}

/**
 * The plugin as core sees it, recording every `listActivities` request core makes (a copy of its cursor), so the
 * suite can check what the engine handed the plugin, not only what ended up stored.
 */
function recordingListings(provider: Provider, requests: ListActivitiesRequest[]): Provider {
  return new Proxy(provider, {
    get(target, property, receiver) {
      if (property !== 'listActivities') return Reflect.get(target, property, receiver);
      return (ctx: Parameters<Provider['listActivities']>[0], request: ListActivitiesRequest) => {
        requests.push(structuredClone(request));
        return target.listActivities(ctx, request);
      };
    },
  });
}

/**
 * The behaviour every provider plugin must show against its sandbox, driven through a real Trainlytics
 * instance and a real, migrated database: connect, consent denied, state reuse, full and incremental
 * sync, refresh, 5xx and 429 faults with resume, malformed items, webhooks, deauthorization, disconnect.
 *
 * ```ts
 * runProviderConformanceSuite({ name: 'strava', startSandbox: () => startStravaSandbox() });
 * ```
 */
export function runProviderConformanceSuite(options: ProviderConformanceOptions): void {
  const activityCount = options.activityCount ?? 12;

  describe(`provider conformance: ${options.name}`, () => {
    let sandbox: ConformanceSandbox;
    let database: ConformanceDatabase;
    let provider: Provider;
    let refresh: boolean;
    let backfill: 'pull' | 'async';
    let clock: FakeClock;
    let trainlytics: Trainlytics;
    let listings: ListActivitiesRequest[];
    let userId: number;
    const redirectUri = 'https://app.example.com/oauth/callback';

    beforeAll(async () => {
      sandbox = await options.startSandbox();
      database = await (options.createDatabase ?? defaultConformanceDatabase)();
      provider = sandbox.createProvider();
      refresh = options.capabilities?.refresh ?? provider.capabilities.refresh;
      backfill = options.capabilities?.backfill ?? provider.capabilities.backfill;
      // a third-party provider id is not in the enum yet: adding it is all the schema needs
      await database.query(
        `alter type provider_type add value if not exists '${provider.id.replace(/'/g, '')}'`,
      );
    });

    afterAll(async () => {
      await sandbox?.close();
      await database?.close();
    });

    beforeEach(async () => {
      sandbox.resetFaults();
      sandbox.resetCounters();
      await (database.reset ? database.reset() : resetDatabase(database));
      const user = await database.query(
        `insert into users (email, first_name) values ('athlete-${Date.now()}@example.com', 'Conformance') returning id`,
      );
      userId = Number(user.rows[0]?.id);
      clock = new FakeClock(Date.now());
      listings = [];
      trainlytics = createTrainlytics({
        store: database.store,
        providers: [recordingListings(sandbox.createProvider(), listings)],
        clock,
        encryptionKey: ENCRYPTION_KEY,
      });
    });

    async function connect(
      count = activityCount,
    ): Promise<{ connection: Connection; providerUserId: string }> {
      const { providerUserId } = await sandbox.seedAccount({ activityCount: count });
      const { url } = await trainlytics.connect.start(provider.id, { userId, redirectUri });
      const callback = await sandbox.approve(url, { providerUserId });
      const connection = await trainlytics.connect.finish(provider.id, {
        callbackParams: callback.searchParams,
        userId,
      });
      return { connection, providerUserId };
    }

    const storedCount = async (connectionId: number) =>
      Number(
        (
          await database.query('select count(*)::int as n from activities where connection_id = $1', [
            connectionId,
          ])
        ).rows[0]?.n,
      );

    const storedCursor = async (connectionId: number) =>
      (await database.query('select sync_cursor from provider_connections where id = $1', [connectionId]))
        .rows[0]?.sync_cursor;

    async function fullSync(connectionId: number) {
      return trainlytics.sync(connectionId, { full: true });
    }

    it('connects: stores the account id and profile, never exposes tokens', async () => {
      const { connection, providerUserId } = await connect(1);
      expect(connection.provider).toBe(provider.id);
      expect(connection.providerUserId).toBe(providerUserId);
      expect(connection.userId).toBe(userId);
      expect(connection.status).toBe('active');
      const row = (await database.query('select * from provider_connections where id = $1', [connection.id]))
        .rows[0];
      expect(row?.provider_user_id).toBe(providerUserId);
      expect(typeof row?.access_token).toBe('string');
      expect(String(row?.access_token)).toMatch(/^tl1:/); // encrypted at rest
      expect(row?.provider_profile).toBeTypeOf('object');
      const plaintext = createTokenCipher(ENCRYPTION_KEY).decrypt(String(row?.access_token));
      expect(plaintext).not.toMatch(/^tl1:/);
      const publicJson = JSON.stringify(connection);
      expect(publicJson).not.toContain(plaintext);
      expect(publicJson).not.toContain(String(row?.access_token));
      expect(Object.keys(connection).filter((k) => /token/i.test(k) && k !== 'tokenExpiresAt')).toEqual([]);
    });

    it('refuses a denied consent and stores nothing', async () => {
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
      const { url } = await trainlytics.connect.start(provider.id, { userId, redirectUri });
      const callback = await sandbox.approve(url, { providerUserId, deny: true });
      const error = await trainlytics.connect
        .finish(provider.id, { callbackParams: callback.searchParams })
        .catch((e: unknown) => e);
      expect(InsufficientScopeError.isInstance(error) || OAuthError.isInstance(error)).toBe(true);
      expect(await trainlytics.connections.list({ userId })).toEqual([]);
    });

    it('refuses a reused state', async () => {
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
      const { url } = await trainlytics.connect.start(provider.id, { userId, redirectUri });
      const callback = await sandbox.approve(url, { providerUserId });
      await trainlytics.connect.finish(provider.id, { callbackParams: callback.searchParams });
      const error = await trainlytics.connect
        .finish(provider.id, { callbackParams: callback.searchParams })
        .catch((e: unknown) => e);
      expect(OAuthStateError.isInstance(error)).toBe(true);
      expect((error as OAuthStateError).reason).toBe('reused');
    });

    it('full sync stores the history with exact counts', async () => {
      const { connection, providerUserId } = await connect();
      const result = await fullSync(connection.id);
      expect(result.status).toBe('success');
      const [history] = await trainlytics.history.list({ connectionId: connection.id });
      expect(history?.status).toBe('success');
      expect(history?.syncType).toBe('full');
      expect(history?.requestsMade).toBeGreaterThan(0);
      if (backfill === 'pull') {
        const total = await sandbox.activityCount(providerUserId);
        expect(await storedCount(connection.id)).toBe(total);
        expect(result.activitiesCreated).toBe(total);
        expect(history?.activitiesCreated).toBe(total);
      } else {
        // async backfill: the sync only asked for it; the provider delivers the history by webhook
        expect(history?.activitiesCreated).toBe(await storedCount(connection.id));
      }
    });

    it('incremental sync stores only what is new; a second one finds nothing', async () => {
      const { connection, providerUserId } = await connect();
      const full = await fullSync(connection.id);
      const before = await storedCount(connection.id);
      const added = await sandbox.addActivities(providerUserId, 3);
      const first = await trainlytics.sync(connection.id);
      expect(first.status).toBe('success');
      expect(first.activitiesCreated).toBe(added.length);
      expect(await storedCount(connection.id)).toBe(before + added.length);
      const second = await trainlytics.sync(connection.id);
      expect(second.status).toBe('success');
      expect(second.activitiesCreated).toBe(0);
      expect(second.activitiesUpdated).toBe(0);
      expect(await storedCount(connection.id)).toBe(before + added.length);
      // The engine hands the plugin the cursor each sync stored (and the plugin reports it back), so the
      // incremental listings start where the previous sync ended:
      expect(listings.map((l) => l.full)).toEqual([true, false, false]);
      expect(listings[1]?.cursor).toEqual(full.cursor);
      expect(listings[2]?.cursor).toEqual(first.cursor);
      expect(second.cursor).toEqual(await storedCursor(connection.id));
      // ...and the plugin uses it: finding nothing new costs less than walking the whole history again.
      if (backfill === 'pull' && options.capabilities?.listing !== 'single') {
        expect(second.requests).toBeLessThan(full.requests);
      }
    });

    it('handles an access token the provider no longer accepts', async () => {
      const { connection, providerUserId } = await connect();
      await sandbox.expireAccessTokens(providerUserId);
      await sandbox.addActivities(providerUserId, 1);
      const result = await trainlytics.sync(connection.id);
      const after = await trainlytics.connections.get(connection.id);
      if (refresh) {
        expect(result.status).toBe('success');
        expect(after?.status).toBe('active');
        const row = (
          await database.query('select refresh_token from provider_connections where id = $1', [
            connection.id,
          ])
        ).rows[0];
        expect(String(row?.refresh_token)).toMatch(/^tl1:/);
      } else {
        expect(result.status).toBe('failed');
        expect(result.errorMessage).toMatch(/reconnect/i);
        expect(after?.status).toBe('reauth_required');
      }
    });

    it('a 5xx stops the sync, keeps committed pages, and the next run resumes', async () => {
      const { connection, providerUserId } = await connect();
      const total = await sandbox.activityCount(providerUserId);
      const single = options.capabilities?.listing === 'single';
      if (single) sandbox.setFaults({ status: { code: 503, times: 50 } });
      let pages = 0;
      const failed = await trainlytics.sync(connection.id, {
        full: backfill === 'pull',
        onProgress: () => {
          pages++;
          if (pages === 1 && !single) sandbox.setFaults({ status: { code: 503, times: 50 } });
        },
      });
      const kept = await storedCount(connection.id);
      if (single) {
        expect(failed.status).toBe('failed');
        expect(kept).toBe(0);
      } else if (backfill === 'pull') {
        expect(failed.status).toBe('failed');
        expect(kept).toBeGreaterThan(0);
        expect(kept).toBeLessThan(total);
      }
      sandbox.resetFaults();
      if (failed.status === 'failed') {
        expect(failed.errorMessage).toBeTruthy();
        const [history] = await trainlytics.history.list({ connectionId: connection.id });
        expect(history?.status).toBe('failed');
        expect(history?.errorMessage).toBe(failed.errorMessage);
        expect((await trainlytics.connections.get(connection.id))?.lastError).toBe(failed.errorMessage);
      }
      const resumed = await trainlytics.sync(connection.id, { full: backfill === 'pull' });
      expect(resumed.status).toBe('success');
      if (backfill === 'pull') {
        expect(await storedCount(connection.id)).toBe(total);
        const dupes = await database.query(
          'select provider_activity_id from activities where connection_id = $1 group by 1 having count(*) > 1',
          [connection.id],
        );
        expect(dupes.rows).toEqual([]);
      }
    });

    it("waits for a 429's Retry-After without really waiting", async () => {
      const { connection, providerUserId } = await connect();
      await sandbox.addActivities(providerUserId, 2);
      sandbox.setFaults({ rateLimited: { times: 1, retryAfterSeconds: 42 } });
      const result = await trainlytics.sync(connection.id, { full: backfill === 'pull' });
      expect(result.status).toBe('success');
      expect(clock.sleeps.some((ms) => ms >= 42_000)).toBe(true);
      if (backfill === 'pull') {
        expect(await storedCount(connection.id)).toBe(await sandbox.activityCount(providerUserId));
      }
    });

    it('rejects malformed items with a ValidationError naming the field, and stores the rest', async () => {
      const { connection, providerUserId } = await connect();
      if (backfill === 'async') await sandbox.addActivities(providerUserId, 4);
      sandbox.setFaults({ malformedItems: 2 });
      const result = await trainlytics.sync(connection.id, { full: backfill === 'pull' });
      expect(result.status).toBe('success');
      expect(result.activitiesRejected).toBe(2);
      const [history] = await trainlytics.history.list({ connectionId: connection.id });
      expect(history?.activitiesRejected).toBe(2);
      expect(history?.errors).toHaveLength(2);
      for (const entry of history?.errors ?? []) {
        const e = entry as { name: string; message: string; issues: { path: string }[] };
        expect(e.name).toBe('ValidationError');
        expect(e.issues.length).toBeGreaterThan(0);
        expect(e.issues[0]?.path).not.toBe('');
      }
      expect(await storedCount(connection.id)).toBe(result.activitiesCreated);
      if (backfill === 'pull') {
        expect(result.activitiesCreated).toBe((await sandbox.activityCount(providerUserId)) - 2);
      }
    });

    it('stores an activity announced by webhook (or picks it up on the next sync)', async () => {
      const { connection, providerUserId } = await connect(2);
      await fullSync(connection.id);
      const before = await storedCount(connection.id);
      const [activityId] = await sandbox.addActivities(providerUserId, 1);
      const request = await sandbox.webhookRequest({
        type: 'activity.created',
        providerUserId,
        providerActivityId: activityId as string,
      });
      if (request) {
        const response = await trainlytics.webhooks.handle(provider.id, request);
        expect(response.status).toBe(200);
        await trainlytics.webhooks.idle();
        const rows = await database.query(
          'select provider_activity_id from activities where connection_id = $1 and provider_activity_id = $2',
          [connection.id, activityId],
        );
        expect(rows.rows).toHaveLength(1);
        const history = await trainlytics.history.list({ connectionId: connection.id });
        expect(history.some((h) => h.syncType === 'webhook' && h.status === 'success')).toBe(true);
      } else {
        const result = await trainlytics.sync(connection.id);
        expect(result.activitiesCreated).toBe(1);
      }
      expect(await storedCount(connection.id)).toBe(before + 1);
    });

    it('deauthorization (webhook, or disconnect) deactivates the connection', async () => {
      const { connection, providerUserId } = await connect(1);
      const request = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId });
      if (request) {
        const response = await trainlytics.webhooks.handle(provider.id, request);
        expect(response.status).toBe(200);
        await trainlytics.webhooks.idle();
      } else {
        await trainlytics.disconnect(connection.id, { revoke: true });
      }
      expect((await trainlytics.connections.get(connection.id))?.status).toBe('inactive');
      const result = await trainlytics.sync(connection.id);
      expect(result.status).toBe('failed');
      expect(result.errorMessage).toMatch(/disconnected/);
    });

    it('disconnect deactivates the connection; a later deauthorization webhook is harmless', async () => {
      const { connection, providerUserId } = await connect(1);
      const disconnected = await trainlytics.disconnect(connection.id, { revoke: true });
      expect(disconnected.status).toBe('inactive');
      expect((await trainlytics.sync(connection.id)).status).toBe('failed');
      const row = (
        await database.query('select is_active from provider_connections where id = $1', [connection.id])
      ).rows[0];
      expect(row?.is_active).toBe(false);
      const again = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId });
      if (again) {
        const response = await trainlytics.webhooks.handle(provider.id, again);
        expect(response.status).toBe(200);
        await trainlytics.webhooks.idle();
        expect((await trainlytics.connections.get(connection.id))?.status).toBe('inactive');
      }
    });

    it('refuses a webhook body that is not valid', async () => {
      if (!provider.webhooks) {
        expect(provider.capabilities.webhooks).toBe(false);
        return;
      }
      const response = await trainlytics.webhooks.handle(
        provider.id,
        new Request('http://127.0.0.1/webhook', { method: 'POST', body: 'not json at all' }),
      );
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    });
  });
}
