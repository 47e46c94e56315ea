import { ConflictError, NotFoundError } from '../errors/errors';
import { createActivity, type NormalizedActivity } from '../model/activity';
import type { JsonValue } from '../model/json';
import type { ConnectionRecord, ConnectionUpsert, OAuthStateRecord, Store } from '../store/store';
import { runDedupeTests } from './store-suite-dedupe';
import { runActivityMergeTests } from './store-suite-merge';
import { runActivityStreamsTests } from './store-suite-streams';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from './vitest-api';

/** Raw SQL access to the store's database, so the suite checks what really landed. */
export interface StoreSuiteDatabase {
  // biome-ignore lint/suspicious/noExplicitAny: raw rows of arbitrary queries
  query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

export interface StoreSuiteFixture {
  store: Store;
  /** The same database as the store's, with every Trainlytics migration applied (001 to the latest). */
  db: StoreSuiteDatabase;
  /** Empties every table between tests (e.g. `resetDatabase(db)`). */
  reset(): Promise<void>;
  /** Closes the store and what the fixture opened. */
  close(): Promise<void>;
}

export interface StoreSuiteOptions {
  /** Shown in the test names: `postgres (pg.Pool)`, `supabase`, … */
  name: string;
  /** Called once for the suite. */
  createStore: () => Promise<StoreSuiteFixture>;
  /** Capabilities a store may lack; their tests are skipped, not failed. */
  skip?: {
    /** Concurrent callers (a single-connection embedded database serializes everything anyway). */
    concurrency?: boolean;
    /** Rows written by the legacy (pre-Trainlytics) schema, checked through `db`. */
    legacyRows?: boolean;
  };
}

const T0 = new Date('2026-03-01T08:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

/**
 * The behaviour every `Store` must have, run against a real database: connections (upsert, reconnect,
 * conflicts, compare-and-set tokens), OAuth states, sync history, page commits (exact counts, idempotency,
 * merging summaries and details, deletions, rejections, cursor), activity queries, leases, webhook
 * deduplication and legacy rows.
 *
 * ```ts
 * runStoreConformanceSuite({
 *   name: 'postgres',
 *   createStore: async () => {
 *     const database = await createTestDatabase({ migrate: true });
 *     return { store: postgresStore({ pool: database.pool }), db: database.pool,
 *       reset: () => resetDatabase(database.pool), close: () => database.drop() };
 *   },
 * });
 * ```
 */
export function runStoreConformanceSuite(options: StoreSuiteOptions): void {
  const skip = options.skip ?? {};

  describe(`store conformance: ${options.name}`, () => {
    let fixture: StoreSuiteFixture | undefined;
    const store = () => fixture!.store;
    const db = () => fixture!.db;

    beforeAll(async () => {
      fixture = await options.createStore();
    });
    afterAll(async () => {
      await fixture?.close();
    });
    beforeEach(async () => {
      await fixture!.reset();
    });

    async function createUser(email = `athlete-${Math.random().toString(36).slice(2)}@example.com`) {
      const { rows } = await db().query('insert into users (email) values ($1) returning id', [email]);
      return Number(rows[0].id);
    }

    function connectionInput(userId: number, overrides: Partial<ConnectionUpsert> = {}): ConnectionUpsert {
      return {
        userId,
        provider: 'strava',
        providerUserId: `athlete-${userId}`,
        accessToken: `access-${userId}`,
        refreshToken: `refresh-${userId}`,
        tokenExpiresAt: at(360),
        refreshTokenExpiresAt: null,
        scopes: ['read', 'activity:read_all'],
        providerProfile: { firstname: 'Ada', lastname: 'Lovelace' },
        ...overrides,
      };
    }

    async function connect(overrides: Partial<ConnectionUpsert> = {}): Promise<ConnectionRecord> {
      const userId = overrides.userId ?? (await createUser());
      return store().upsertConnection(connectionInput(userId, overrides), T0);
    }

    function activity(id: string, overrides: Partial<NormalizedActivity> = {}): NormalizedActivity {
      const index = Number(id.replace(/\D/g, '')) || 0;
      return createActivity({
        providerActivityId: id,
        name: `Morning run ${id}`,
        sportType: 'run',
        providerSportType: 'Run',
        startDate: at(index * 60),
        startDateLocal: null,
        utcOffsetS: 3600,
        elapsedTimeS: 1800,
        movingTimeS: 1750,
        distanceM: 5000.5,
        averageHeartrate: 150.5,
        raw: { id, type: 'Run', nested: { laps: [1, 2, 3] } },
        ...overrides,
      });
    }

    async function startSync(connectionId: number, cursorBefore: JsonValue | null = null) {
      return store().startSync({ connectionId, syncType: 'incremental', cursorBefore, now: T0 });
    }

    async function commit(
      connection: ConnectionRecord,
      syncId: number | null,
      activities: NormalizedActivity[],
      extra: {
        deletedIds?: string[];
        rejected?: JsonValue[];
        cursor?: JsonValue | null;
        requestsMade?: number;
      } = {},
    ) {
      return store().commitPage({
        connectionId: connection.id,
        syncId,
        activities,
        deletedIds: extra.deletedIds ?? [],
        rejected: extra.rejected ?? [],
        ...('cursor' in extra ? { cursor: extra.cursor } : {}),
        requestsMade: extra.requestsMade ?? 1,
        now: at(5),
      });
    }

    describe('connections', () => {
      it('inserts a connection and stores what it is given verbatim', async () => {
        const userId = await createUser();
        const record = await store().upsertConnection(
          connectionInput(userId, { refreshTokenExpiresAt: at(60 * 24 * 30) }),
          T0,
        );

        expect(record).toMatchObject({
          userId,
          provider: 'strava',
          providerUserId: `athlete-${userId}`,
          accessToken: `access-${userId}`,
          refreshToken: `refresh-${userId}`,
          scopes: ['read', 'activity:read_all'],
          providerProfile: { firstname: 'Ada', lastname: 'Lovelace' },
          isActive: true,
          reauthRequired: false,
          lastError: null,
          lastSyncAt: null,
          syncCursor: null,
        });
        expect(record.id).toEqual(expect.any(Number));
        expect(record.tokenExpiresAt).toEqual(at(360));
        expect(record.refreshTokenExpiresAt).toEqual(at(60 * 24 * 30));
        expect(record.createdAt).toEqual(T0);
        expect(record.updatedAt).toEqual(T0);

        const { rows } = await db().query(
          'select user_id, provider::text as provider, provider_user_id, access_token, refresh_token, token_expires_at, scopes, provider_profile from provider_connections',
        );
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          user_id: userId,
          provider: 'strava',
          provider_user_id: `athlete-${userId}`,
          access_token: `access-${userId}`,
          refresh_token: `refresh-${userId}`,
          scopes: ['read', 'activity:read_all'],
          provider_profile: { firstname: 'Ada', lastname: 'Lovelace' },
        });
        expect(new Date(rows[0].token_expires_at)).toEqual(at(360));
      });

      it('finds connections by id, provider account and user, and returns null when there is none', async () => {
        const a = await connect();
        const b = await connect({ provider: 'garmin' });

        expect(await store().getConnection(a.id)).toEqual(a);
        expect(await store().findConnectionByProviderUser('strava', a.providerUserId)).toEqual(a);
        expect(await store().findConnectionByUser(b.userId, 'garmin')).toEqual(b);

        expect(await store().getConnection(a.id + b.id + 1000)).toBeNull();
        expect(await store().findConnectionByProviderUser('garmin', a.providerUserId)).toBeNull();
        expect(await store().findConnectionByUser(a.userId, 'garmin')).toBeNull();
      });

      it('lists connections by user, provider and active flag, ordered by id', async () => {
        const userId = await createUser();
        const strava = await connect({ userId });
        const polar = await connect({ userId, provider: 'polar' });
        const other = await connect({ provider: 'polar' });
        await store().updateConnection(polar.id, { isActive: false }, at(1));

        expect((await store().listConnections()).map((c) => c.id)).toEqual([strava.id, polar.id, other.id]);
        expect((await store().listConnections({ userId })).map((c) => c.id)).toEqual([strava.id, polar.id]);
        expect((await store().listConnections({ provider: 'polar' })).map((c) => c.id)).toEqual([
          polar.id,
          other.id,
        ]);
        expect((await store().listConnections({ active: true })).map((c) => c.id)).toEqual([
          strava.id,
          other.id,
        ]);
        expect(
          (await store().listConnections({ userId, provider: 'polar', active: false })).map((c) => c.id),
        ).toEqual([polar.id]);
      });

      it('reconnects: replaces tokens, scopes and profile, reactivates and clears errors, in the same row', async () => {
        const first = await connect();
        await store().updateConnection(
          first.id,
          {
            isActive: false,
            reauthRequired: true,
            lastError: 'refresh token revoked',
            syncCursor: { after: 10 },
          },
          at(1),
        );

        const again = await store().upsertConnection(
          connectionInput(first.userId, {
            accessToken: 'access-new',
            refreshToken: 'refresh-new',
            tokenExpiresAt: at(720),
            scopes: ['read'],
            providerProfile: { firstname: 'Ada', city: 'London' },
          }),
          at(2),
        );

        expect(again.id).toBe(first.id);
        expect(again).toMatchObject({
          accessToken: 'access-new',
          refreshToken: 'refresh-new',
          scopes: ['read'],
          providerProfile: { firstname: 'Ada', city: 'London' },
          isActive: true,
          reauthRequired: false,
          lastError: null,
          // same provider account: the sync position is kept
          syncCursor: { after: 10 },
        });
        expect(again.tokenExpiresAt).toEqual(at(720));
        expect(again.createdAt).toEqual(T0);
        expect(again.updatedAt).toEqual(at(2));
        const { rows } = await db().query('select count(*)::int as n from provider_connections');
        expect(rows[0].n).toBe(1);
      });

      it('forgets the sync position when a user reconnects with another provider account', async () => {
        const first = await connect();
        await store().updateConnection(first.id, { syncCursor: { after: 10 }, lastSyncAt: at(1) }, at(1));
        const switched = await store().upsertConnection(
          connectionInput(first.userId, { providerUserId: 'another-athlete' }),
          at(2),
        );
        expect(switched.id).toBe(first.id);
        expect(switched.providerUserId).toBe('another-athlete');
        expect(switched.syncCursor).toBeNull();
        expect(switched.lastSyncAt).toBeNull();
      });

      it('refuses a provider account that is connected to another user, and changes nothing', async () => {
        const owner = await connect({ providerUserId: '1234' });
        const intruder = await createUser();

        const error = await store()
          .upsertConnection(
            connectionInput(intruder, { providerUserId: '1234', accessToken: 'stolen' }),
            at(1),
          )
          .catch((e: unknown) => e);
        expect(ConflictError.isInstance(error)).toBe(true);
        expect((error as ConflictError).reason).toBe('account-linked');
        expect((error as Error).message).toMatch(/Strava account is already connected to another user/);

        // switching an existing connection onto the taken account is refused too
        const other = await connect({ userId: intruder, provider: 'strava', providerUserId: '999' });
        const switched = await store()
          .upsertConnection(connectionInput(intruder, { providerUserId: '1234' }), at(2))
          .catch((e: unknown) => e);
        expect(ConflictError.isInstance(switched)).toBe(true);
        expect((switched as ConflictError).reason).toBe('account-linked');

        const { rows } = await db().query(
          'select id, user_id, provider_user_id, access_token from provider_connections order by id',
        );
        expect(rows).toEqual([
          { id: owner.id, user_id: owner.userId, provider_user_id: '1234', access_token: owner.accessToken },
          { id: other.id, user_id: intruder, provider_user_id: '999', access_token: other.accessToken },
        ]);
      });

      it('updates only the patched fields', async () => {
        const connection = await connect();
        const patched = await store().updateConnection(
          connection.id,
          { lastError: 'Strava answered 503', lastSyncAt: at(10), syncCursor: { after: 1700000000 } },
          at(11),
        );
        expect(patched).toMatchObject({
          accessToken: connection.accessToken,
          scopes: connection.scopes,
          isActive: true,
          lastError: 'Strava answered 503',
          syncCursor: { after: 1700000000 },
        });
        expect(patched.lastSyncAt).toEqual(at(10));
        expect(patched.updatedAt).toEqual(at(11));

        const cleared = await store().updateConnection(
          connection.id,
          { lastError: null, syncCursor: null, scopes: ['read'], providerProfile: { firstname: 'Grace' } },
          at(12),
        );
        expect(cleared).toMatchObject({
          lastError: null,
          syncCursor: null,
          scopes: ['read'],
          providerProfile: { firstname: 'Grace' },
        });
        expect(cleared.lastSyncAt).toEqual(at(10));
        const { rows } = await db().query('select sync_cursor from provider_connections where id = $1', [
          connection.id,
        ]);
        expect(rows[0].sync_cursor).toBeNull();
      });

      it('throws NotFoundError when updating a connection that does not exist', async () => {
        const error = await store()
          .updateConnection(424242, { isActive: false }, T0)
          .catch((e: unknown) => e);
        expect(NotFoundError.isInstance(error)).toBe(true);
      });

      it('writes refreshed tokens, with compare-and-set on the refresh token', async () => {
        const connection = await connect();
        const tokens = (n: number) => ({
          accessToken: `access-${n}`,
          refreshToken: `refresh-${n}`,
          tokenExpiresAt: at(n * 100),
          refreshTokenExpiresAt: null,
        });
        const tokenRow = async () =>
          (await db().query('select access_token, refresh_token, token_expires_at from provider_connections'))
            .rows[0];

        expect(await store().updateTokens(connection.id, tokens(1), at(1))).toBe(true);
        expect(await tokenRow()).toMatchObject({ access_token: 'access-1', refresh_token: 'refresh-1' });

        // another process rotated the token first: the stale writer loses
        expect(await store().updateTokens(connection.id, tokens(2), at(2), 'refresh-1')).toBe(true);
        expect(await store().updateTokens(connection.id, tokens(3), at(3), 'refresh-1')).toBe(false);
        const row = await tokenRow();
        expect(row).toMatchObject({ access_token: 'access-2', refresh_token: 'refresh-2' });
        expect(new Date(row.token_expires_at)).toEqual(at(200));

        // `null` is a real expectation: a provider without refresh tokens
        await store().updateTokens(connection.id, { ...tokens(4), refreshToken: null }, at(4));
        expect(await store().updateTokens(connection.id, tokens(5), at(5), null)).toBe(true);
        expect(await store().updateTokens(connection.id, tokens(6), at(6), null)).toBe(false);
        expect((await store().getConnection(connection.id))?.updatedAt).toEqual(at(5));

        expect(await store().updateTokens(424242, tokens(7), at(7))).toBe(false);
      });
    });

    describe('OAuth states', () => {
      const state = (userId: number, overrides: Partial<OAuthStateRecord> = {}): OAuthStateRecord => ({
        state: `state-${Math.random().toString(36).slice(2)}`,
        provider: 'strava',
        userId,
        redirectUri: 'https://app.example.com/callback/strava',
        codeVerifier: 'verifier-abc',
        scopes: ['read', 'activity:read_all'],
        returnTo: '/settings',
        createdAt: T0,
        expiresAt: at(10),
        ...overrides,
      });

      it('is single use: consuming returns it once, then null', async () => {
        const saved = state(await createUser());
        await store().saveOAuthState(saved);

        expect(await store().consumeOAuthState(saved.state)).toEqual(saved);
        expect(await store().consumeOAuthState(saved.state)).toBeNull();
        expect(await store().consumeOAuthState('never-issued')).toBeNull();
        const { rows } = await db().query('select count(*)::int as n from trainlytics_oauth_states');
        expect(rows[0].n).toBe(0);
      });

      it('keeps optional fields null', async () => {
        const saved = state(await createUser(), { codeVerifier: null, returnTo: null, scopes: [] });
        await store().saveOAuthState(saved);
        expect(await store().consumeOAuthState(saved.state)).toEqual(saved);
      });

      it('refuses a state or a connection for a user that is not in users, with NotFoundError saying so', async () => {
        const missing = (await createUser()) + 1_000_000;
        for (const attempt of [
          () => store().saveOAuthState(state(missing)),
          () => store().upsertConnection(connectionInput(missing), T0),
        ]) {
          const error = await attempt().catch((e: unknown) => e);
          expect(NotFoundError.isInstance(error)).toBe(true);
          expect((error as NotFoundError).hint).toMatch(/must already exist in your `users` table/);
        }
        const { rows } = await db().query('select count(*)::int as n from trainlytics_oauth_states');
        expect(rows[0].n).toBe(0);
      });

      it('deletes only expired states', async () => {
        const userId = await createUser();
        const expired = state(userId, { expiresAt: at(1) });
        const expiresNow = state(userId, { expiresAt: at(2) });
        const valid = state(userId, { expiresAt: at(30) });
        for (const s of [expired, expiresNow, valid]) await store().saveOAuthState(s);

        expect(await store().deleteExpiredOAuthStates(at(2))).toBe(2);
        const { rows } = await db().query('select state from trainlytics_oauth_states');
        expect(rows.map((r) => r.state)).toEqual([valid.state]);
        expect(await store().deleteExpiredOAuthStates(at(2))).toBe(0);
      });

      it.skipIf(skip.concurrency)(
        'hands a state to exactly one of several concurrent consumers',
        async () => {
          const saved = state(await createUser());
          await store().saveOAuthState(saved);
          const results = await Promise.all(
            Array.from({ length: 8 }, () => store().consumeOAuthState(saved.state)),
          );
          expect(results.filter((r) => r !== null)).toHaveLength(1);
        },
      );
    });

    describe('sync history', () => {
      it('starts a running sync and finishes it', async () => {
        const connection = await connect();
        const started = await startSync(connection.id, { after: 100 });
        expect(started).toMatchObject({
          connectionId: connection.id,
          syncType: 'incremental',
          status: 'running',
          completedAt: null,
          activitiesCreated: 0,
          activitiesUpdated: 0,
          activitiesDeleted: 0,
          activitiesRejected: 0,
          requestsMade: 0,
          errorName: null,
          errorMessage: null,
          errors: [],
          cursorBefore: { after: 100 },
          cursorAfter: null,
        });
        expect(started.startedAt).toEqual(T0);

        const finished = await store().finishSync(started.id, {
          status: 'failed',
          completedAt: at(3),
          errorName: 'RateLimitError',
          errorMessage: 'Strava rate limit reached; retry after 08:15',
          requestsMade: 4,
        });
        expect(finished).toMatchObject({
          id: started.id,
          status: 'failed',
          errorName: 'RateLimitError',
          errorMessage: 'Strava rate limit reached; retry after 08:15',
          requestsMade: 4,
        });
        expect(finished.completedAt).toEqual(at(3));
        expect(await store().getSync(started.id)).toEqual(finished);

        const { rows } = await db().query(
          'select sync_status::text as status, requests_made, error_name from sync_history where id = $1',
          [started.id],
        );
        expect(rows[0]).toEqual({ status: 'failed', requests_made: 4, error_name: 'RateLimitError' });
      });

      it('closes a sync stopped by a rate limit as deferred (migration 009)', async () => {
        const c = await connect();
        const started = await startSync(c.id);
        const finished = await store().finishSync(started.id, {
          status: 'deferred',
          completedAt: at(2),
          errorName: 'RateLimitError',
          errorMessage: 'deferred by the Strava rate limit: resumes at 08:15',
          requestsMade: 1,
        });
        expect(finished).toMatchObject({ id: started.id, status: 'deferred', requestsMade: 1 });
        expect(finished.completedAt).toEqual(at(2));
        expect(await store().getSync(started.id)).toEqual(finished);
      });

      it('returns null for an unknown sync and throws NotFoundError when finishing one', async () => {
        expect(await store().getSync(424242)).toBeNull();
        const error = await store()
          .finishSync(424242, { status: 'success', completedAt: T0 })
          .catch((e: unknown) => e);
        expect(NotFoundError.isInstance(error)).toBe(true);
      });

      it('closes the running syncs of one connection as failed', async () => {
        const a = await connect();
        const b = await connect();
        const done = await startSync(a.id);
        await store().finishSync(done.id, { status: 'success', completedAt: at(1) });
        const crashed1 = await startSync(a.id);
        const crashed2 = await startSync(a.id);
        const otherConnection = await startSync(b.id);

        expect(await store().failRunningSyncs(a.id, 'the process stopped during the sync', at(9))).toBe(2);

        for (const id of [crashed1.id, crashed2.id]) {
          const sync = await store().getSync(id);
          expect(sync).toMatchObject({
            status: 'failed',
            errorMessage: 'the process stopped during the sync',
          });
          expect(sync?.completedAt).toEqual(at(9));
        }
        expect((await store().getSync(done.id))?.status).toBe('success');
        expect((await store().getSync(otherConnection.id))?.status).toBe('running');
        expect(await store().failRunningSyncs(a.id, 'again', at(10))).toBe(0);
      });

      it('lists history by connection or by user, newest first, with a limit', async () => {
        const userId = await createUser();
        const strava = await connect({ userId });
        const polar = await connect({ userId, provider: 'polar' });
        const stranger = await connect();
        const s1 = await store().startSync({
          connectionId: strava.id,
          syncType: 'full',
          cursorBefore: null,
          now: at(1),
        });
        const p1 = await store().startSync({
          connectionId: polar.id,
          syncType: 'webhook',
          cursorBefore: null,
          now: at(2),
        });
        const s2 = await store().startSync({
          connectionId: strava.id,
          syncType: 'incremental',
          cursorBefore: null,
          now: at(3),
        });
        await store().startSync({
          connectionId: stranger.id,
          syncType: 'incremental',
          cursorBefore: null,
          now: at(4),
        });

        expect((await store().listSyncHistory({ connectionId: strava.id })).map((s) => s.id)).toEqual([
          s2.id,
          s1.id,
        ]);
        expect((await store().listSyncHistory({ userId })).map((s) => s.id)).toEqual([s2.id, p1.id, s1.id]);
        expect((await store().listSyncHistory({ userId, limit: 2 })).map((s) => s.id)).toEqual([
          s2.id,
          p1.id,
        ]);
        expect((await store().listSyncHistory({ userId })).map((s) => s.syncType)).toEqual([
          'incremental',
          'webhook',
          'full',
        ]);
      });
    });

    describe('commitPage', () => {
      it('counts created, updated and unchanged activities exactly, and is idempotent', async () => {
        const connection = await connect();
        const sync = await startSync(connection.id);
        const page = [activity('1'), activity('2'), activity('3')];

        expect(await commit(connection, sync.id, page)).toEqual({ created: 3, updated: 0, deleted: 0 });
        // the same page again (a retried request, an overlapping window): nothing changes
        expect(await commit(connection, sync.id, page)).toEqual({ created: 0, updated: 0, deleted: 0 });
        // one activity renamed at the provider, one raw payload changed, one untouched, one new
        const next = [
          activity('1', { name: 'Renamed run' }),
          activity('2', { raw: { id: '2', type: 'Run', kudos: 3 } }),
          activity('3'),
          activity('4'),
        ];
        expect(await commit(connection, sync.id, next)).toEqual({ created: 1, updated: 2, deleted: 0 });

        const { rows } = await db().query(
          'select provider_activity_id, name, updated_at from activities order by provider_activity_id',
        );
        expect(rows.map((r) => [r.provider_activity_id, r.name])).toEqual([
          ['1', 'Renamed run'],
          ['2', 'Morning run 2'],
          ['3', 'Morning run 3'],
          ['4', 'Morning run 4'],
        ]);
        const history = await store().getSync(sync.id);
        expect(history).toMatchObject({ activitiesCreated: 4, activitiesUpdated: 2, requestsMade: 3 });
      });

      it('stores every normalized field, the raw payload and the link to the connection', async () => {
        const connection = await connect();
        const full = activity('7', {
          name: 'Évening ride 🚴',
          sportType: 'gravel_ride',
          providerSportType: 'GravelRide',
          startDate: new Date('2026-02-14T17:30:05.000Z'),
          startDateLocal: '2026-02-14T18:30:05',
          utcOffsetS: 3600,
          elapsedTimeS: 7260,
          movingTimeS: 6900,
          distanceM: 52_345.7,
          totalElevationGainM: 612.4,
          averageHeartrate: 141.2,
          maxHeartrate: 178,
          calories: 1402.5,
          averageSpeedMps: 7.59,
          maxSpeedMps: 15.2,
          isManual: false,
          deviceName: 'Garmin Edge 840',
          raw: { id: 7, big_id: '12345678901234567890', tags: ['a', null], flag: false, ünï: 1.5 },
        });
        await commit(connection, null, [full]);

        const [row] = await store().listActivities({ connectionId: connection.id });
        expect(row).toMatchObject({
          ...full,
          userId: connection.userId,
          connectionId: connection.id,
          provider: 'strava',
        });
        expect(row?.updatedAt).toEqual(at(5));

        const raw = await db().query(
          `select user_id, connection_id, provider::text as provider, provider_activity_id, strava_activity_id,
                  start_date_local::text as start_date_local, raw, is_manual from activities`,
        );
        expect(raw.rows).toEqual([
          {
            user_id: connection.userId,
            connection_id: connection.id,
            provider: 'strava',
            provider_activity_id: '7',
            strava_activity_id: null,
            start_date_local: '2026-02-14 18:30:05',
            raw: full.raw,
            is_manual: false,
          },
        ]);
      });

      it('counts an activity listed twice in one page once (the last one wins)', async () => {
        const connection = await connect();
        const result = await commit(connection, null, [
          activity('1', { name: 'first' }),
          activity('1', { name: 'second' }),
        ]);
        expect(result).toEqual({ created: 1, updated: 0, deleted: 0 });
        const { rows } = await db().query('select name from activities');
        expect(rows).toEqual([{ name: 'second' }]);
      });

      it("deletes the connection's activities by provider id and counts them", async () => {
        const connection = await connect();
        const other = await connect({ provider: 'garmin' });
        await commit(connection, null, [activity('1'), activity('2'), activity('3')]);
        await commit(other, null, [activity('2')]);
        const sync = await startSync(connection.id);

        const result = await commit(connection, sync.id, [], { deletedIds: ['2', '3', 'unknown'] });
        expect(result).toEqual({ created: 0, updated: 0, deleted: 2 });

        const { rows } = await db().query(
          'select provider::text as provider, provider_activity_id from activities order by 1, 2',
        );
        expect(rows).toEqual([
          { provider: 'garmin', provider_activity_id: '2' },
          { provider: 'strava', provider_activity_id: '1' },
        ]);
        expect((await store().getSync(sync.id))?.activitiesDeleted).toBe(2);
      });

      it('appends rejections to the sync row, capping the stored list at 100 but counting all', async () => {
        const connection = await connect();
        const sync = await startSync(connection.id);
        const rejection = (i: number): JsonValue => ({
          name: 'ValidationError',
          message: `activity ${i} has no start_date`,
          itemId: String(i),
          issues: [{ path: 'start_date', message: 'Required' }],
        });

        await commit(connection, sync.id, [activity('1')], {
          rejected: Array.from({ length: 60 }, (_, i) => rejection(i)),
        });
        await commit(connection, sync.id, [], {
          rejected: Array.from({ length: 60 }, (_, i) => rejection(60 + i)),
        });
        await commit(connection, sync.id, [], { rejected: [rejection(120)] });

        const history = await store().getSync(sync.id);
        expect(history?.activitiesRejected).toBe(121);
        expect(history?.errors).toHaveLength(100);
        expect(history?.errors[0]).toEqual(rejection(0));
        expect(history?.errors[99]).toEqual(rejection(99));
        const { rows } = await db().query(
          'select jsonb_array_length(errors) as n, activities_rejected from sync_history',
        );
        expect(rows[0]).toEqual({ n: 100, activities_rejected: 121 });
      });

      it('persists the cursor in the same commit, only when given', async () => {
        const connection = await connect();
        const sync = await startSync(connection.id);
        const cursorRow = async () =>
          (
            await db().query(
              'select c.sync_cursor, h.cursor_after from provider_connections c join sync_history h on h.connection_id = c.id',
            )
          ).rows[0];

        await commit(connection, sync.id, [activity('1')], { cursor: { after: 1_772_000_000, page: 2 } });
        expect(await cursorRow()).toEqual({
          sync_cursor: { after: 1_772_000_000, page: 2 },
          cursor_after: { after: 1_772_000_000, page: 2 },
        });

        await commit(connection, sync.id, [activity('2')]); // no cursor key: unchanged
        expect((await cursorRow()).sync_cursor).toEqual({ after: 1_772_000_000, page: 2 });

        await commit(connection, sync.id, [], { cursor: null }); // null clears it
        expect(await cursorRow()).toEqual({ sync_cursor: null, cursor_after: null });
        const updated = await store().getConnection(connection.id);
        expect(updated?.syncCursor).toBeNull();
        expect(updated?.updatedAt).toEqual(at(5));
      });

      it('writes nothing when the page cannot be committed as a whole', async () => {
        const connection = await connect();
        const stranger = await connect();
        const strangersSync = await startSync(stranger.id);

        // a sync row of another connection: the page must not land half-written
        const error = await commit(connection, strangersSync.id, [activity('1'), activity('2')], {
          deletedIds: [],
          cursor: { after: 5 },
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);

        const { rows } = await db().query('select count(*)::int as n from activities');
        expect(rows[0].n).toBe(0);
        expect((await store().getConnection(connection.id))?.syncCursor).toBeNull();
        expect((await store().getSync(strangersSync.id))?.activitiesCreated).toBe(0);
      });

      it('throws NotFoundError for a connection that does not exist', async () => {
        const error = await store()
          .commitPage({
            connectionId: 424242,
            syncId: null,
            activities: [activity('1')],
            deletedIds: [],
            rejected: [],
            requestsMade: 1,
            now: T0,
          })
          .catch((e: unknown) => e);
        expect(NotFoundError.isInstance(error)).toBe(true);
      });

      it.skipIf(skip.concurrency)(
        'creates each activity once when the same page is committed concurrently',
        async () => {
          const connection = await connect();
          const page = Array.from({ length: 25 }, (_, i) => activity(String(i + 1)));
          const results = await Promise.all(Array.from({ length: 4 }, () => commit(connection, null, page)));
          expect(results.reduce((sum, r) => sum + r.created, 0)).toBe(25);
          expect(results.reduce((sum, r) => sum + r.updated, 0)).toBe(0);
          expect(await store().countActivities({ connectionId: connection.id })).toBe(25);
        },
      );

      it.skipIf(skip.legacyRows)('links a legacy row instead of duplicating it', async () => {
        const connection = await connect({ providerUserId: '8675309' });
        // a row migrated from the legacy schema: provider id set, no connection
        await db().query(
          `insert into activities (user_id, strava_activity_id, provider, provider_activity_id, name, sport_type, start_date, raw)
           values ($1, 987654321, 'strava', '987654321', 'Legacy run', 'run', '2025-05-01T06:00:00Z', '{"id": 987654321}')`,
          [connection.userId],
        );

        const result = await commit(connection, null, [
          activity('987654321', {
            name: 'Legacy run',
            startDate: new Date('2025-05-01T06:00:00Z'),
            raw: { id: 987654321, kudos_count: 2 },
          }),
        ]);
        expect(result).toEqual({ created: 0, updated: 1, deleted: 0 });

        const { rows } = await db().query(
          'select connection_id, strava_activity_id::text as strava_activity_id, provider_activity_id from activities',
        );
        expect(rows).toEqual([
          {
            connection_id: connection.id,
            strava_activity_id: '987654321',
            provider_activity_id: '987654321',
          },
        ]);
        expect(await store().countActivities({ connectionId: connection.id })).toBe(1);
      });
      it.skipIf(skip.legacyRows)(
        'lists a row the legacy schema wrote after 002 (no provider_activity_id) under its Strava id',
        async () => {
          const connection = await connect();
          // the legacy app, still running during the cut-over, writes only the 001 columns; re-running 002
          // links such rows later, and until then they are read with strava_activity_id as their id (ADR 0040)
          await db().query(
            `insert into activities (user_id, strava_activity_id, name, sport_type, start_date, is_manual)
             values ($1, 9007199254740993, 'Written by the legacy app', 'Run', '2025-05-02T06:00:00Z', false),
                    ($1, null, 'Manual, legacy', 'Walk', '2025-05-01T06:00:00Z', true)`,
            [connection.userId],
          );
          const rows = await store().listActivities({ userId: connection.userId });
          expect(rows.map((r) => [r.name, r.provider, r.connectionId, r.providerActivityId])).toEqual([
            ['Written by the legacy app', null, null, '9007199254740993'],
            ['Manual, legacy', null, null, ''],
          ]);
        },
      );
    });

    describe('commitPage: merging summaries and details (migration 011)', () => {
      runActivityMergeTests({
        store,
        db,
        connect: () => connect(),
        commit: (connection, activities) => commit(connection, null, activities),
        skipConcurrency: !!skip.concurrency,
      });
    });

    describe('activity streams (migration 016)', () => {
      runActivityStreamsTests({
        store,
        connect: () => connect(),
        commit: (connection, activities, deletedIds = []) =>
          commit(connection, null, activities, { deletedIds }),
      });
    });

    describe('one timeline: the same workout from several providers (migration 014)', () => {
      runDedupeTests({
        store,
        db,
        createUser: () => createUser(),
        connect: (overrides) => connect(overrides),
        commit: (connection, activities) => commit(connection, null, activities),
      });
    });

    describe('activities', () => {
      it('lists newest first, with filters, a limit and keyset paging', async () => {
        const userId = await createUser();
        const strava = await connect({ userId });
        const polar = await connect({ userId, provider: 'polar' });
        const stranger = await connect();
        await commit(
          strava,
          null,
          ['1', '3', '5', '7'].map((id) => activity(id)),
        );
        await commit(
          polar,
          null,
          ['2', '4', '6'].map((id) => activity(`p${id}`)),
        );
        await commit(stranger, null, [activity('8')]);

        const ids = (rows: { providerActivityId: string }[]) => rows.map((r) => r.providerActivityId);
        expect(ids(await store().listActivities({ userId }))).toEqual(['7', 'p6', '5', 'p4', '3', 'p2', '1']);
        expect(ids(await store().listActivities({ connectionId: polar.id }))).toEqual(['p6', 'p4', 'p2']);
        expect(ids(await store().listActivities({ provider: 'strava' }))).toEqual(['8', '7', '5', '3', '1']);
        expect(ids(await store().listActivities({ userId, provider: 'strava', limit: 2 }))).toEqual([
          '7',
          '5',
        ]);
        expect(ids(await store().listActivities({ userId, before: at(4 * 60) }))).toEqual(['3', 'p2', '1']);

        // paging with `before` = the last start date seen visits every activity once
        const seen: string[] = [];
        let before: Date | undefined;
        for (;;) {
          const page = await store().listActivities({ userId, limit: 3, ...(before ? { before } : {}) });
          if (page.length === 0) break;
          seen.push(...ids(page));
          before = page[page.length - 1]!.startDate;
        }
        expect(seen).toEqual(['7', 'p6', '5', 'p4', '3', 'p2', '1']);

        expect(await store().countActivities({ userId })).toBe(7);
        expect(await store().countActivities({ connectionId: strava.id })).toBe(4);
        expect(await store().countActivities({ provider: 'polar' })).toBe(3);
        expect(await store().countActivities({ userId, provider: 'garmin' })).toBe(0);
      });
    });

    describe('leases', () => {
      it('is exclusive until it expires, and re-acquiring extends it', async () => {
        expect(await store().acquireLease('sync:1', 'worker-a', at(1), T0)).toBe(true);
        expect(await store().acquireLease('sync:1', 'worker-b', at(1), T0)).toBe(false);
        expect(await store().acquireLease('sync:2', 'worker-b', at(1), T0)).toBe(true);

        // the owner extends its lease: still exclusive after the first expiry
        expect(await store().acquireLease('sync:1', 'worker-a', at(5), at(0.5))).toBe(true);
        expect(await store().acquireLease('sync:1', 'worker-b', at(6), at(2))).toBe(false);
        const { rows } = await db().query('select owner, expires_at from trainlytics_leases where key = $1', [
          'sync:1',
        ]);
        expect(rows[0].owner).toBe('worker-a');
        expect(new Date(rows[0].expires_at)).toEqual(at(5));

        // expired: another worker takes over (a crashed owner cannot block forever)
        expect(await store().acquireLease('sync:1', 'worker-b', at(10), at(5))).toBe(true);
        expect(await store().acquireLease('sync:1', 'worker-a', at(11), at(6))).toBe(false);
      });

      it('says who holds it and until when (expired or not), and nothing once released', async () => {
        const s = store();
        expect(s.describeLease).toBeTypeOf('function');
        expect(await s.describeLease!('sync:7')).toBeNull();
        const owner = 'trainlytics sync (pid 1234 on host) #abc.def';
        await s.acquireLease('sync:7', owner, at(1), T0);
        expect(await s.describeLease!('sync:7')).toEqual({ key: 'sync:7', owner, expiresAt: at(1) });
        expect(await s.describeLease!('sync:8')).toBeNull();
        // another owner takes the expired lease: the record names the new holder
        await s.acquireLease('sync:7', 'worker-b', at(3), at(2));
        expect(await s.describeLease!('sync:7')).toEqual({
          key: 'sync:7',
          owner: 'worker-b',
          expiresAt: at(3),
        });
        await s.releaseLease('sync:7', 'worker-b');
        expect(await s.describeLease!('sync:7')).toBeNull();
      });

      it('is released by its owner only', async () => {
        await store().acquireLease('refresh:1', 'worker-a', at(10), T0);
        await store().releaseLease('refresh:1', 'worker-b');
        expect(await store().acquireLease('refresh:1', 'worker-b', at(10), T0)).toBe(false);

        await store().releaseLease('refresh:1', 'worker-a');
        expect(await store().acquireLease('refresh:1', 'worker-b', at(10), T0)).toBe(true);
        await store().releaseLease('never-taken', 'worker-a');
      });

      it.skipIf(skip.concurrency)('is given to exactly one of several concurrent callers', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store().acquireLease('sync:42', `worker-${i}`, at(1), T0)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('token forms', () => {
      it('counts stored access and refresh tokens by form (encrypted tl1:… or plaintext), never returning one', async () => {
        expect(await store().countTokens()).toEqual({ encrypted: 0, plaintext: 0 });
        await connect({ accessToken: 'plain-access', refreshToken: 'plain-refresh' });
        await connect({ accessToken: 'plain-access-2', refreshToken: null });
        expect(await store().countTokens()).toEqual({ encrypted: 0, plaintext: 3 });
        const encrypted = await connect({
          accessToken: 'tl1:k1:aXY:dGFn:Y3Q',
          refreshToken: 'tl1:k1:aXY:dGFn:cmVm',
        });
        expect(await store().countTokens()).toEqual({ encrypted: 2, plaintext: 3 });
        // a value merely containing the prefix later on is plaintext
        await connect({ accessToken: 'xtl1:k1:no', refreshToken: 'tl1' });
        expect(await store().countTokens()).toEqual({ encrypted: 2, plaintext: 5 });
        // a refresh that writes plaintext over the encrypted pair moves both counts
        await store().updateTokens(
          encrypted.id,
          { accessToken: 'a', refreshToken: 'r', tokenExpiresAt: null, refreshTokenExpiresAt: null },
          at(1),
        );
        expect(await store().countTokens()).toEqual({ encrypted: 0, plaintext: 7 });
      });
    });

    describe('webhook events', () => {
      it('records a delivery once per provider', async () => {
        expect(await store().recordWebhookEvent('strava', 'activity:1:create', T0)).toBe(true);
        expect(await store().recordWebhookEvent('strava', 'activity:1:create', at(1))).toBe(false);
        expect(await store().recordWebhookEvent('garmin', 'activity:1:create', at(1))).toBe(true);
        const { rows } = await db().query('select count(*)::int as n from trainlytics_webhook_events');
        expect(rows[0].n).toBe(2);
      });

      it('forgets a delivery so that its redelivery is accepted again', async () => {
        expect(await store().recordWebhookEvent('strava', 'activity:2:create', T0)).toBe(true);
        await store().forgetWebhookEvent('strava', 'activity:2:create');
        const { rows } = await db().query('select count(*)::int as n from trainlytics_webhook_events');
        expect(rows[0].n).toBe(0);
        expect(await store().recordWebhookEvent('strava', 'activity:2:create', at(1))).toBe(true);
      });

      it.skipIf(skip.concurrency)('accepts a redelivered event exactly once under concurrency', async () => {
        const results = await Promise.all(
          Array.from({ length: 10 }, () => store().recordWebhookEvent('polar', 'exercise:abc', T0)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
