import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTrainlytics, FakeClock, SPORT_TYPE_DEFINITIONS, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, resetDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { POLAR_SIGNATURE_HEADER } from '../src';
import { type PolarSandbox, startPolarSandbox } from '../src/sandbox';

// The whole Polar flow through a real Trainlytics instance on a real PostgreSQL database, against the
// sandbox over HTTP: connect (with AccessLink registration), sync, a signed webhook bringing a new
// exercise, badly signed ones refused with nothing stored, deregistration on disconnect.

const redirectUri = 'https://app.example.com/oauth/polar/callback';

let database: TestDatabase;
let clock: FakeClock;
let sandbox: PolarSandbox;
let trainlytics: Trainlytics;
let userId: number;

const query = async (sql: string, params: unknown[] = []) => (await database.pool.query(sql, params)).rows;
const count = async (sql: string, params: unknown[] = []) => Number((await query(sql, params))[0]?.n);

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_polar_e2e' });
});
afterAll(async () => {
  await database?.drop();
});

beforeEach(async () => {
  await resetDatabase(database.pool);
  clock = new FakeClock('2026-05-04T08:00:00Z');
  sandbox = await startPolarSandbox({ clock, seed: 5 });
  trainlytics = createTrainlytics({
    store: postgresStore({ pool: database.pool }),
    providers: [sandbox.createProvider({ pageSize: 100 })],
    clock,
    webhookProcessing: 'inline',
  });
  userId = Number(
    (await query(`insert into users (email) values ('runner@example.com') returning id`))[0]!.id,
  );
});
afterEach(async () => {
  await trainlytics.close();
  await sandbox.close();
});

async function connect(activityCount: number) {
  const { providerUserId } = await sandbox.seedAccount({
    activityCount,
    firstName: 'Aino',
    lastName: 'Virtanen',
  });
  const { url } = await trainlytics.connect.start('polar', { userId, redirectUri });
  const callback = await sandbox.approve(url, { providerUserId });
  const connection = await trainlytics.connect.finish('polar', {
    callbackParams: callback.searchParams,
    userId,
  });
  return { connection, providerUserId };
}

/** A host endpoint on a real socket: Node request → Fetch Request → trainlytics.webhooks.handle. */
async function hostWebhookEndpoint(): Promise<{ url: string; server: Server; statuses: number[] }> {
  const statuses: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method ?? 'POST',
        headers,
        body: Buffer.concat(chunks),
      });
      const response = await trainlytics.webhooks.handle('polar', request);
      statuses.push(response.status);
      res.writeHead(response.status, Object.fromEntries(response.headers)).end(await response.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/polar`,
    server,
    statuses,
  };
}

describe('Polar end to end on PostgreSQL', () => {
  it('connects with registration, syncs exactly, and a second sync finds nothing', async () => {
    const { connection, providerUserId } = await connect(250);
    expect(connection).toMatchObject({ provider: 'polar', providerUserId, status: 'active', userId });
    expect(sandbox.registration(providerUserId)?.memberId).toBe(String(userId)); // member-id = host user id

    const [row] = await query('select * from provider_connections where id = $1', [connection.id]);
    expect(row).toMatchObject({ provider: 'polar', provider_user_id: providerUserId, refresh_token: null });
    expect(row?.provider_profile).toMatchObject({
      firstname: 'Aino',
      lastname: 'Virtanen',
      profile_picture: null,
    });

    const full = await trainlytics.sync(connection.id, { full: true });
    expect(full).toMatchObject({
      status: 'success',
      activitiesCreated: 250,
      activitiesRejected: 0,
      requests: 1,
    });
    expect(
      await count('select count(*)::int as n from activities where connection_id = $1', [connection.id]),
    ).toBe(250);
    const [history] = await query('select * from sync_history where connection_id = $1', [connection.id]);
    expect(history).toMatchObject({
      sync_type: 'full',
      sync_status: 'success',
      activities_created: 250,
      activities_updated: 0,
      requests_made: 1,
    });

    // every row is the provider's payload, normalized: the raw payload is kept next to the columns
    const [activity] = await query(
      `select provider, provider_activity_id, sport_type, start_date, start_date_local, utc_offset_s, elapsed_time_s,
              raw from activities where connection_id = $1 order by start_date desc limit 1`,
      [connection.id],
    );
    const raw = activity?.raw as Record<string, unknown>;
    expect(activity?.provider).toBe('polar');
    expect(activity?.provider_activity_id).toBe(raw.id);
    expect(activity?.utc_offset_s).toBe((raw.start_time_utc_offset as number) * 60);
    expect(new Date(activity?.start_date).getTime()).toBe(
      Date.parse(`${raw.start_time}Z`) - (raw.start_time_utc_offset as number) * 60_000,
    );

    const again = await trainlytics.sync(connection.id);
    expect(again).toMatchObject({ status: 'success', activitiesCreated: 0, activitiesUpdated: 0 });
  });

  it('creates the webhook through the host endpoint and stores an exercise a signed delivery announces', async () => {
    const { connection, providerUserId } = await connect(3);
    await trainlytics.sync(connection.id);
    const host = await hostWebhookEndpoint();
    try {
      const created = await sandbox.createProvider().webhookSubscriptions.create({ url: host.url });
      expect(created.signatureSecretKey).toBe(sandbox.webhookSecret);
      expect(host.statuses).toEqual([200]); // Polar's PING, answered by the plugin's handshake

      const [id] = await sandbox.addActivities(providerUserId, 1);
      const status = await sandbox.sendWebhook({
        type: 'activity.created',
        providerUserId,
        providerActivityId: id!,
      });
      expect(status?.status).toBe(200);
      await trainlytics.webhooks.idle();
      const rows = await query(
        'select provider_activity_id from activities where provider_activity_id = $1',
        [id],
      );
      expect(rows).toHaveLength(1);
      const history = await query(
        `select sync_type, sync_status, activities_created from sync_history
          where connection_id = $1 and sync_type = 'webhook'`,
        [connection.id],
      );
      expect(history).toEqual([{ sync_type: 'webhook', sync_status: 'success', activities_created: 1 }]);
    } finally {
      await new Promise<void>((resolve) => host.server.close(() => resolve()));
    }
  });

  it('refuses badly signed deliveries and stores nothing', async () => {
    const { connection, providerUserId } = await connect(2);
    await trainlytics.sync(connection.id);
    const before = await count('select count(*)::int as n from activities');
    const historyBefore = await count('select count(*)::int as n from sync_history');
    const [id] = await sandbox.addActivities(providerUserId, 1);
    const genuine = (await sandbox.webhookRequest({
      type: 'activity.created',
      providerUserId,
      providerActivityId: id!,
    }))!;
    const body = await genuine.clone().text();

    const wrongSignature = new Request(genuine.url, {
      method: 'POST',
      headers: { ...Object.fromEntries(genuine.headers), [POLAR_SIGNATURE_HEADER]: '0'.repeat(64) },
      body,
    });
    const tamperedBody = new Request(genuine.url, {
      method: 'POST',
      headers: Object.fromEntries(genuine.headers),
      body: body.replace(String(providerUserId), '1'),
    });
    const unsigned = new Request(genuine.url, { method: 'POST', body });
    for (const request of [wrongSignature, tamperedBody, unsigned]) {
      const response = await trainlytics.webhooks.handle('polar', request);
      expect(response.status).toBe(401);
    }
    await trainlytics.webhooks.idle();
    expect(await count('select count(*)::int as n from activities')).toBe(before);
    expect(await count('select count(*)::int as n from sync_history')).toBe(historyBefore);
    expect(
      await count('select count(*)::int as n from activities where provider_activity_id = $1', [id]),
    ).toBe(0);

    // the genuine delivery is accepted
    expect((await trainlytics.webhooks.handle('polar', genuine)).status).toBe(200);
    expect(
      await count('select count(*)::int as n from activities where provider_activity_id = $1', [id]),
    ).toBe(1);
  });

  it('deregisters the user on disconnect; a revoked token makes the connection reauth_required', async () => {
    const first = await connect(2);
    await trainlytics.disconnect(first.connection.id, { revoke: true });
    expect(sandbox.isRegistered(first.providerUserId)).toBe(false);
    expect((await trainlytics.connections.get(first.connection.id))?.status).toBe('inactive');
    expect(sandbox.requestCount({ method: 'DELETE', pathPrefix: `/v3/users/${first.providerUserId}` })).toBe(
      1,
    );

    // connecting again registers again; a token revoked at Polar cannot be refreshed
    const { url } = await trainlytics.connect.start('polar', { userId, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId: first.providerUserId });
    const again = await trainlytics.connect.finish('polar', {
      callbackParams: callback.searchParams,
      userId,
    });
    expect(sandbox.isRegistered(first.providerUserId)).toBe(true);
    await sandbox.expireAccessTokens(first.providerUserId);
    const result = await trainlytics.sync(again.id);
    expect(result.status).toBe('failed');
    expect(result.errorMessage).toMatch(/reconnect Polar/);
    const [row] = await query('select reauth_required, last_error from provider_connections where id = $1', [
      again.id,
    ]);
    expect(row?.reauth_required).toBe(true);
  });

  it('tells the host app when the user withdrew Polar consents (403)', async () => {
    const { connection, providerUserId } = await connect(2);
    sandbox.setConsents(providerUserId, false);
    const result = await trainlytics.sync(connection.id);
    expect(result).toMatchObject({ status: 'failed', errorName: 'ReauthorizationRequiredError' });
    expect(result.errorMessage).toMatch(/not accepted Polar's mandatory consents/);
    expect(await count('select count(*)::int as n from activities')).toBe(0);
  });

  it('syncs a 10,000-exercise account completely, page by page', async () => {
    const { connection } = await connect(10_000);
    let pages = 0;
    const result = await trainlytics.sync(connection.id, {
      full: true,
      onProgress: () => {
        pages++;
      },
    });
    expect(result).toMatchObject({
      status: 'success',
      activitiesCreated: 10_000,
      activitiesRejected: 0,
      requests: 1,
    });
    expect(pages).toBe(100); // pageSize 100
    expect(await count('select count(distinct provider_activity_id)::int as n from activities')).toBe(10_000);
    // every sport type of the first vocabulary (the sandbox's spread of sports reaches each)
    const types = new Set(
      (await query('select distinct sport_type from activities')).map((r) => r.sport_type),
    );
    const v1 = SPORT_TYPE_DEFINITIONS.filter((d) => d.since === 1).map((d) => d.id);
    expect(v1.filter((id) => !types.has(id))).toEqual([]);
  });
});
