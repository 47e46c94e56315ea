import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, FakeClock, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestPGlite, type SandboxFaults } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GarminSandbox, startGarminSandbox } from '../src/sandbox';

// Garmin's only credential on a notification is the public client id, so `deregistrations` and
// `userPermissionsChange` items are confirmed with the user's token against GET /user/permissions: a
// forged body changes nothing, a real deregistration still disconnects, and when Garmin cannot answer the
// connection is kept and the doubt recorded.

const redirectUri = 'https://app.example.com/oauth/garmin/callback';
const PERMISSIONS_PATH = '/wellness-api/rest/user/permissions';

describe('Garmin connection notifications are confirmed with Garmin', () => {
  let pglite: PGlite;
  let sandbox: GarminSandbox;
  let trainlytics: Trainlytics;
  let users = 0;

  beforeAll(async () => {
    pglite = await createTestPGlite({ migrate: true });
    const clock = new FakeClock('2026-05-04T08:00:00Z');
    sandbox = await startGarminSandbox({ clock, seed: 5 });
    trainlytics = createTrainlytics({
      store: postgresStore(pglite),
      providers: [sandbox.createProvider()],
      clock,
      webhookProcessing: 'inline',
      // a hanging request counts as a timeout after this long; generous, so a loaded machine does not time out the others
      http: { timeoutMs: 5_000 },
    });
  });
  afterAll(async () => {
    await trainlytics.close();
    await sandbox.close();
    await pglite.close();
  });
  beforeEach(() => sandbox.resetFaults());

  async function connect() {
    const user = await pglite.query<{ id: number }>('insert into users (email) values ($1) returning id', [
      `garmin-${++users}@example.com`,
    ]);
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const { url } = await trainlytics.connect.start('garmin', { userId: user.rows[0]!.id, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId });
    const connection = await trainlytics.connect.finish('garmin', { callbackParams: callback.searchParams });
    return { connectionId: connection.id, providerUserId };
  }

  const handle = async (request: Request) => (await trainlytics.webhooks.handle('garmin', request)).status;
  const forgedDeregistration = (userId: string) =>
    sandbox.notificationRequest({ deregistrations: [{ userId }] });
  const forgedPermissions = (userId: string, permissions: string[]) =>
    sandbox.notificationRequest({
      userPermissionsChange: [{ userId, summaryId: `forged-${userId}`, permissions, changeTimeInSeconds: 1 }],
    });

  it('a forged deregistration of a registered user changes nothing', async () => {
    const { connectionId, providerUserId } = await connect();
    expect(await handle(forgedDeregistration(providerUserId))).toBe(200);
    expect(await trainlytics.connections.get(connectionId)).toMatchObject({
      status: 'active',
      lastError: null,
    });
  });

  it('a forged permissions change cannot empty the permissions: the stored ones are what Garmin reports', async () => {
    const { connectionId, providerUserId } = await connect();
    const before = sandbox.permissionsOf(providerUserId);
    expect(await handle(forgedPermissions(providerUserId, []))).toBe(200);
    const after = await trainlytics.connections.get(connectionId);
    expect(after?.scopes).toEqual(before);
    expect((await trainlytics.sync(connectionId)).status).toBe('success');
  });

  it('a real permissions change stores what Garmin reports now', async () => {
    const { connectionId, providerUserId } = await connect();
    const change = await sandbox.webhookRequest({
      type: 'permissions.changed',
      providerUserId,
      permissions: ['HEALTH_EXPORT'],
    });
    // the body may be stale or forged: even a body claiming more is overridden by the endpoint
    sandbox.setPermissions(providerUserId, ['HEALTH_EXPORT', 'ACTIVITY_EXPORT']);
    expect(await handle(change!)).toBe(200);
    expect((await trainlytics.connections.get(connectionId))?.scopes).toEqual([
      'HEALTH_EXPORT',
      'ACTIVITY_EXPORT',
    ]);
  });

  it('a real deregistration disconnects: the token and its refresh are refused', async () => {
    const { connectionId, providerUserId } = await connect();
    const dereg = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId });
    expect(sandbox.isRegistered(providerUserId)).toBe(false);
    expect(await handle(dereg!)).toBe(200);
    expect((await trainlytics.connections.get(connectionId))?.status).toBe('inactive');
  });

  it.each<[string, SandboxFaults]>([
    ['503', { status: { code: 503, times: 1, pathPrefix: PERMISSIONS_PATH } }],
    ['429', { rateLimited: { times: 1, retryAfterSeconds: 1 } }],
    ['timeout', { hangs: 1 }],
  ])('a %s on the permissions endpoint keeps the connection and records it', async (_, faults) => {
    const { connectionId, providerUserId } = await connect();
    const scopes = (await trainlytics.connections.get(connectionId))?.scopes;
    sandbox.setFaults(structuredClone(faults));
    expect(await handle(forgedDeregistration(providerUserId))).toBe(503);
    let after = await trainlytics.connections.get(connectionId);
    expect(after?.status).toBe('active');
    expect(after?.lastError).toMatch(/deregistration|deauthorization/);
    sandbox.setFaults(structuredClone(faults));
    expect(await handle(forgedPermissions(providerUserId, []))).toBe(503);
    after = await trainlytics.connections.get(connectionId);
    expect(after?.scopes).toEqual(scopes);
    expect(after?.lastError).toMatch(/permissions change .* could not confirm/);
  });

  it('a deregistration Garmin could not confirm is settled by the next sync', async () => {
    const { connectionId, providerUserId } = await connect();
    const dereg = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId });
    sandbox.setFaults({ status: { code: 503, times: 1, pathPrefix: PERMISSIONS_PATH } });
    expect(await handle(dereg!)).toBe(503);
    expect((await trainlytics.connections.get(connectionId))?.status).toBe('active');
    expect((await trainlytics.sync(connectionId)).status).toBe('failed');
    expect((await trainlytics.connections.get(connectionId))?.status).toBe('reauth_required');
  });
});
