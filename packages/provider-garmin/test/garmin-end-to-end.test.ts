import { createTrainlytics, FakeClock, type Trainlytics } from '@trainlytics/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GarminSandbox, startGarminSandbox } from '../src/sandbox';
import { type EndToEndDatabase, endToEndDatabases } from './databases';

// The whole Garmin flow through a real Trainlytics instance on a real PostgreSQL database and on PGlite,
// against the sandbox over HTTP, on one FakeClock: connect, a full sync whose backfill arrives by push, an
// incremental pull, a ping, a deregistration. Every count in sync_history is checked exactly.

const MINUTE_MS = 60_000;
const redirectUri = 'https://app.example.com/oauth/garmin/callback';

const databases = endToEndDatabases('tl_garmin_e2e');

describe.each(databases)('Garmin end to end ($name)', ({ open }) => {
  let database: EndToEndDatabase;
  let clock: FakeClock;
  let sandbox: GarminSandbox;
  let trainlytics: Trainlytics;
  let userId: number;

  const query = (sql: string, params: unknown[] = []) => database.query(sql, params);

  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.close();
  });

  beforeEach(async () => {
    await database.reset();
    clock = new FakeClock('2026-05-04T08:00:00Z');
    sandbox = await startGarminSandbox({ clock, seed: 11 });
    trainlytics = createTrainlytics({
      store: database.store,
      providers: [sandbox.createProvider()],
      clock,
    });
    userId = Number(
      (await query(`insert into users (email) values ('runner@example.com') returning id`))[0]!.id,
    );
  });
  afterEach(async () => {
    await trainlytics.close();
    await sandbox.close();
  });

  async function connect(activityCount: number, days: number) {
    const { providerUserId } = await sandbox.seedAccount({ activityCount, days });
    const { url } = await trainlytics.connect.start('garmin', { userId, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId });
    const connection = await trainlytics.connect.finish('garmin', {
      callbackParams: callback.searchParams,
      userId,
    });
    return { connection, providerUserId };
  }

  async function deliver(requests: Request[]) {
    const statuses: number[] = [];
    for (const request of requests)
      statuses.push((await trainlytics.webhooks.handle('garmin', request)).status);
    await trainlytics.webhooks.idle();
    return statuses;
  }

  const history = async (connectionId: number) =>
    query(
      `select sync_type, sync_status, activities_created, activities_updated, activities_rejected, requests_made
       from sync_history where connection_id = $1 order by id`,
      [connectionId],
    );
  const stored = async (connectionId: number) =>
    Number(
      (await query('select count(*)::int as n from activities where connection_id = $1', [connectionId]))[0]!
        .n,
    );

  it('connect, backfill by push, incremental pull, ping, deregistration', async () => {
    // Connect: the Garmin userId is the account key, the permissions are the scopes.
    const { connection, providerUserId } = await connect(46, 30);
    expect(connection.providerUserId).toBe(providerUserId);
    expect(connection.scopes).toEqual(sandbox.permissionsOf(providerUserId));
    const [row] = await query(
      'select provider, provider_profile, token_expires_at from provider_connections',
    );
    expect(row!.provider).toBe('garmin');
    expect(row!.provider_profile).toMatchObject({ firstname: null, lastname: null });
    expect(new Date(row!.token_expires_at as string).getTime()).toBe(clock.now().getTime() + 86_399_000);

    // Full sync: 25 backfill requests (730 days in 30-day windows, 202 Accepted) + one pull, nothing stored yet.
    const full = await trainlytics.sync(connection.id, { full: true });
    expect(full).toMatchObject({ status: 'success', activitiesCreated: 0, requests: 26 });
    expect(sandbox.pendingNotifications()).toBe(25);

    // Garmin delivers the backfill by push: every activity of the history, multisport legs included.
    const deliveries = sandbox.takeNotifications();
    expect(deliveries.length).toBeGreaterThan(0);
    expect(await deliver(deliveries)).toEqual(deliveries.map(() => 200));
    const total = await sandbox.activityCount(providerUserId);
    expect(total).toBe(46);
    expect(await stored(connection.id)).toBe(total);
    expect(await query(`select 1 from activities where provider_sport_type = 'MULTI_SPORT'`)).toEqual([]);
    const legs = await query(
      `select sport_type from activities where raw ? 'parentSummaryId' order by start_date`,
    );
    expect(legs.map((l) => l.sport_type)).toEqual(['open_water_swim', 'ride', 'run']);
    expect(await query(`select 1 from activities where raw ? 'userAccessToken'`)).toEqual([]);

    // An incremental pull from the cursor finds only the new uploads.
    clock.advance(10 * MINUTE_MS);
    const added = await sandbox.addActivities(providerUserId, 2);
    const incremental = await trainlytics.sync(connection.id);
    expect(incremental).toMatchObject({
      status: 'success',
      activitiesCreated: 2,
      activitiesUpdated: 0,
      requests: 1,
    });

    // A ping: the app fetches the callbackURL with the connection's token.
    clock.advance(10 * MINUTE_MS);
    const [pinged] = await sandbox.addActivities(providerUserId, 1);
    const ping = await sandbox.webhookRequest(
      { type: 'activity.created', providerUserId, providerActivityId: pinged! },
      { mode: 'ping' },
    );
    expect(await deliver([ping!])).toEqual([200]);
    const ids = (await query('select provider_activity_id from activities')).map(
      (r) => r.provider_activity_id,
    );
    expect(ids).toEqual(expect.arrayContaining([...added, pinged]));
    expect(await stored(connection.id)).toBe(total + 3);

    // The exact history: one full sync, one webhook row per push delivery, the incremental, the ping.
    const rows = await history(connection.id);
    expect(rows[0]).toMatchObject({
      sync_type: 'full',
      sync_status: 'success',
      activities_created: 0,
      requests_made: 26,
    });
    const pushes = rows.slice(1, 1 + deliveries.length);
    expect(pushes.every((r) => r.sync_type === 'webhook' && r.sync_status === 'success')).toBe(true);
    expect(pushes.every((r) => r.requests_made === 0 && r.activities_updated === 0)).toBe(true);
    expect(pushes.reduce((sum, r) => sum + Number(r.activities_created), 0)).toBe(total);
    expect(rows.slice(1 + deliveries.length)).toEqual([
      {
        sync_type: 'incremental',
        sync_status: 'success',
        activities_created: 2,
        activities_updated: 0,
        activities_rejected: 0,
        requests_made: 1,
      },
      {
        sync_type: 'webhook',
        sync_status: 'success',
        activities_created: 1,
        activities_updated: 0,
        activities_rejected: 0,
        requests_made: 1,
      },
    ]);

    // A redelivered notification is recognised and changes nothing.
    const again = await sandbox.webhookRequest(
      { type: 'activity.created', providerUserId, providerActivityId: added[0]! },
      { mode: 'push' },
    );
    const before = (await history(connection.id)).length;
    expect(await deliver([again!, again!.clone()])).toEqual([200, 200]);
    expect((await history(connection.id)).length).toBe(before + 1);

    // The user disconnects in Garmin Connect: the deregistration deactivates the connection.
    const dereg = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId });
    expect(await deliver([dereg!])).toEqual([200]);
    expect((await trainlytics.connections.get(connection.id))?.status).toBe('inactive');
    const afterwards = await trainlytics.sync(connection.id);
    expect(afterwards.status).toBe('failed');
    expect(await stored(connection.id)).toBe(total + 3);
  });

  it('a permissions change without ACTIVITY_EXPORT is stored, and the next sync says what to do', async () => {
    const { connection, providerUserId } = await connect(3, 1);
    const change = await sandbox.webhookRequest({
      type: 'permissions.changed',
      providerUserId,
      permissions: ['HEALTH_EXPORT'],
    });
    expect(await deliver([change!])).toEqual([200]);
    expect((await trainlytics.connections.get(connection.id))?.scopes).toEqual(['HEALTH_EXPORT']);
    const result = await trainlytics.sync(connection.id);
    expect(result.status).toBe('failed');
    expect(result.errorName).toBe('InsufficientScopeError');
    expect(result.errorMessage).toMatch(/ACTIVITY_EXPORT/);
    // only the user can fix it: the connection says so until they reconnect
    const after = await trainlytics.connections.get(connection.id);
    expect(after?.status).toBe('reauth_required');
    expect(after?.lastError).toMatch(/ACTIVITY_EXPORT/);
    expect((await trainlytics.sync(connection.id)).errorName).toBe('ReauthorizationRequiredError');
    // the user shares it again and reconnects: active, and the sync works
    sandbox.setPermissions(providerUserId, ['ACTIVITY_EXPORT', 'HISTORICAL_DATA_EXPORT']);
    const { url } = await trainlytics.connect.start('garmin', { userId, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId });
    await trainlytics.connect.finish('garmin', { callbackParams: callback.searchParams, userId });
    expect((await trainlytics.connections.get(connection.id))?.status).toBe('active');
    expect((await trainlytics.sync(connection.id)).status).toBe('success');
  });

  it('without "Historical data" shared, a full sync fails saying so and new activities keep syncing', async () => {
    const { connection, providerUserId } = await connect(3, 1);
    const change = await sandbox.webhookRequest({
      type: 'permissions.changed',
      providerUserId,
      permissions: ['ACTIVITY_EXPORT'],
    });
    expect(await deliver([change!])).toEqual([200]);
    const full = await trainlytics.sync(connection.id, { full: true });
    expect(full.status).toBe('failed');
    expect(full.errorName).toBe('InsufficientScopeError');
    expect(full.errorMessage).toMatch(/HISTORICAL_DATA_EXPORT/);
    // only the history needs it: the connection is not sent to reconnect, and the next pull works
    expect((await trainlytics.connections.get(connection.id))?.status).toBe('active');
    await sandbox.addActivities(providerUserId, 2);
    const next = await trainlytics.sync(connection.id);
    expect(next.status).toBe('success');
    expect(next.activitiesCreated).toBeGreaterThanOrEqual(2);
  });

  it('permissions withdrawn in Garmin Connect without a notification: the 403 asks the user to reconnect', async () => {
    const { connection, providerUserId } = await connect(3, 1);
    expect((await trainlytics.sync(connection.id)).status).toBe('success');
    sandbox.setPermissions(providerUserId, ['HEALTH_EXPORT']);
    const result = await trainlytics.sync(connection.id);
    expect(result.status).toBe('failed');
    expect(result.errorName).toBe('InsufficientScopeError');
    expect(result.errorMessage).toMatch(/403.*no longer shares ACTIVITY_EXPORT/);
    expect((await trainlytics.connections.get(connection.id))?.status).toBe('reauth_required');
  });

  it('a ping fetched after the permission was withdrawn marks the connection too (webhook processing)', async () => {
    const { connection, providerUserId } = await connect(3, 1);
    const [summaryId] = await sandbox.addActivities(providerUserId, 1);
    const ping = await sandbox.webhookRequest(
      { type: 'activity.created', providerUserId, providerActivityId: summaryId! },
      { mode: 'ping' },
    );
    sandbox.setPermissions(providerUserId, ['HEALTH_EXPORT']);
    await deliver([ping!]);
    const rows = await history(connection.id);
    expect(rows.at(-1)).toMatchObject({ sync_type: 'webhook', sync_status: 'failed' });
    const after = await trainlytics.connections.get(connection.id);
    expect(after?.status).toBe('reauth_required');
    expect(after?.lastError).toMatch(/no longer shares ACTIVITY_EXPORT/);
  });

  it('disconnect deregisters at Garmin; the deregistration notification that follows is harmless', async () => {
    const { connection, providerUserId } = await connect(2, 1);
    const disconnected = await trainlytics.disconnect(connection.id, { revoke: true });
    expect(disconnected.status).toBe('inactive');
    expect(sandbox.isRegistered(providerUserId)).toBe(false);
    expect(await deliver(sandbox.takeNotifications())).toEqual([200]);
    expect((await trainlytics.connections.get(connection.id))?.status).toBe('inactive');
  });

  it('refuses notifications without the right garmin-client-id header', async () => {
    const { providerUserId } = await connect(1, 1);
    const genuine = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId });
    const body = await genuine!.text();
    const forged = new Request(genuine!.url, {
      method: 'POST',
      body,
      headers: { 'garmin-client-id': 'someone-else' },
    });
    const anonymous = new Request(genuine!.url, { method: 'POST', body });
    expect(await deliver([forged, anonymous])).toEqual([403, 401]);
    expect((await trainlytics.connections.list({ userId }))[0]?.status).toBe('active');
  });

  it('keeps an activityId beyond 2^53 exact in raw: pulled, pushed and fetched for a ping', async () => {
    const { connection, providerUserId } = await connect(1, 1);
    const big = (n: bigint) => 2n ** 53n + n; // odd: a double cannot hold it
    clock.advance(MINUTE_MS);
    const pulled = await sandbox.addActivity(providerUserId, { largeActivityId: big(1n) });
    expect((await trainlytics.sync(connection.id)).status).toBe('success');

    clock.advance(MINUTE_MS);
    const pushed = await sandbox.addActivity(providerUserId, { largeActivityId: big(3n) });
    const push = await sandbox.webhookRequest(
      { type: 'activity.created', providerUserId, providerActivityId: pushed },
      { mode: 'push' },
    );
    expect(await push!.clone().text()).toContain(`"activityId":${big(3n)}`); // a bare JSON number
    clock.advance(MINUTE_MS);
    const pinged = await sandbox.addActivity(providerUserId, { largeActivityId: big(5n) });
    const ping = await sandbox.webhookRequest(
      { type: 'activity.created', providerUserId, providerActivityId: pinged },
      { mode: 'ping' },
    );
    expect(await deliver([push!, ping!])).toEqual([200, 200]);

    const rows = await query(
      `select provider_activity_id as id, raw->>'activityId' as activity_id, detail from activities
       where provider_activity_id = any($1) order by raw->>'activityId'`,
      [[pulled, pushed, pinged]],
    );
    expect(rows).toEqual([
      { id: pulled, activity_id: String(big(1n)), detail: 'detail' },
      { id: pushed, activity_id: String(big(3n)), detail: 'detail' },
      { id: pinged, activity_id: String(big(5n)), detail: 'detail' },
    ]);
  });

  it('accepts a notification body over 10 MB', async () => {
    const { connection, providerUserId } = await connect(1, 1);
    clock.advance(MINUTE_MS);
    const [id] = await sandbox.addActivities(providerUserId, 1);
    const push = await sandbox.webhookRequest({
      type: 'activity.created',
      providerUserId,
      providerActivityId: id!,
    });
    const body = JSON.parse(await push!.text()) as { activities: Record<string, unknown>[] };
    body.activities[0]!.activityDescription = 'x'.repeat(11 * 1024 * 1024);
    const large = sandbox.notificationRequest(body);
    expect(await deliver([large])).toEqual([200]);
    expect(await stored(connection.id)).toBe(1);
  });
});
