import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, FakeClock, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestPGlite } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';
import { stravaPushSubscriptions } from '../src/strava-webhooks';
import { redirectUri } from './harness';

/**
 * The whole webhook path over real sockets: a host app serving `trainlytics.webhooks.handle`, the push
 * subscription created with the plugin's helper (the sandbox runs Strava's callback handshake against the
 * host app), then events POSTed by the sandbox to the host app.
 */
describe('Strava webhooks end to end', () => {
  let sandbox: StravaSandbox;
  let pglite: PGlite;
  let trainlytics: Trainlytics;
  let host: Server;
  let callbackUrl: string;
  let connectionId: number;
  let athleteId: string;
  let pluginRequests = 0;
  // the plugin's own fetch option: core sends the plugin's requests through it
  const countingFetch = (input: string | URL | Request, init?: RequestInit) => {
    pluginRequests++;
    return fetch(input, init);
  };

  beforeAll(async () => {
    sandbox = await startStravaSandbox();
    pglite = await createTestPGlite({ migrate: true });
    trainlytics = createTrainlytics({
      store: postgresStore(pglite),
      providers: [sandbox.createProvider({ fetch: countingFetch })],
      clock: new FakeClock(sandbox.clock.now()),
      webhookProcessing: 'inline',
    });
    host = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request = new Request(new URL(req.url ?? '/', callbackUrl), {
        method: req.method ?? 'GET',
        headers: req.headers as Record<string, string>,
        ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
      });
      const response = await trainlytics.webhooks.handle('strava', request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    callbackUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/webhooks/strava`;

    const user = await pglite.query<{ id: number }>(
      `insert into users (email) values ('webhooks@example.com') returning id`,
    );
    ({ providerUserId: athleteId } = await sandbox.seedAthlete({ activityCount: 3 }));
    const { url } = await trainlytics.connect.start('strava', { userId: user.rows[0]!.id, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId: athleteId });
    ({ id: connectionId } = await trainlytics.connect.finish('strava', {
      callbackParams: callback.searchParams,
    }));
    await trainlytics.sync(connectionId, { full: true });
    expect(pluginRequests).toBeGreaterThanOrEqual(3); // token exchange and two list pages at least
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => host.close(() => resolve()));
    await trainlytics.close();
    await sandbox.close();
    await pglite.close();
  });

  const stored = async () =>
    (
      await pglite.query<{ provider_activity_id: string }>(
        'select provider_activity_id from activities where connection_id = $1',
        [connectionId],
      )
    ).rows.map((r) => r.provider_activity_id);

  it('creates the push subscription: the host app answers the handshake through the plugin', async () => {
    const subscriptions = stravaPushSubscriptions(sandbox.providerOptions());
    const { id } = await subscriptions.create({ callbackUrl, verifyToken: sandbox.verifyToken });
    expect(id).toBe(String(sandbox.subscriptionId));
    expect(await subscriptions.list()).toEqual([
      expect.objectContaining({ id: sandbox.subscriptionId, callback_url: callbackUrl }),
    ]);
    const refused = await stravaPushSubscriptions(sandbox.providerOptions())
      .create({ callbackUrl, verifyToken: 'wrong' })
      .catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/Strava refused 'create push subscription' with HTTP 400/);
  });

  it("manages the subscription through the instance's client when given trainlytics.providerContext", async () => {
    const before = pluginRequests;
    const subscriptions = stravaPushSubscriptions({
      ...sandbox.providerOptions(),
      context: trainlytics.providerContext('strava'),
    });
    expect(await subscriptions.list()).toEqual([expect.objectContaining({ id: sandbox.subscriptionId })]);
    // the instance's provider client sends through the plugin's fetch (countingFetch), the runtime's way
    expect(pluginRequests).toBe(before + 1);
  });

  it('stores an activity created at Strava, and removes one deleted there', async () => {
    expect(await stored()).toHaveLength(3);
    const [added] = await sandbox.addActivities(athleteId, 1);
    const created = await sandbox.sendWebhook({
      type: 'activity.created',
      providerUserId: athleteId,
      providerActivityId: added!,
    });
    expect(created?.status).toBe(200);
    await trainlytics.webhooks.idle();
    expect(await stored()).toContain(added);

    const [newestGenerated] = sandbox.activityIds(athleteId).slice(1, 2);
    expect(Number.isSafeInteger(Number(newestGenerated))).toBe(false); // the id beyond 2^53
    await sandbox.deleteActivity(athleteId, newestGenerated!);
    const deleted = await sandbox.sendWebhook({
      type: 'activity.deleted',
      providerUserId: athleteId,
      providerActivityId: newestGenerated!,
    });
    expect(deleted?.status).toBe(200);
    await trainlytics.webhooks.idle();
    expect(await stored()).not.toContain(newestGenerated);
    expect(await stored()).toHaveLength(3);
  });

  it('refetches an activity updated at Strava', async () => {
    const [id] = sandbox.activityIds(athleteId, { limit: 1 });
    await pglite.query(`update activities set name = 'stale' where provider_activity_id = $1`, [id]);
    const status = await sandbox.sendWebhook({
      type: 'activity.updated',
      providerUserId: athleteId,
      providerActivityId: id!,
      updates: { title: 'Renamed' },
    });
    expect(status?.status).toBe(200);
    await trainlytics.webhooks.idle();
    const row = await pglite.query<{ name: string }>(
      'select name from activities where provider_activity_id = $1',
      [id],
    );
    expect(row.rows[0]?.name).toBe(sandbox.getActivity(athleteId, id!)?.name);
  });

  it("keeps what a webhook's DetailedActivity gave when the next full sync lists the summary", async () => {
    const [id] = sandbox.activityIds(athleteId, { limit: 1 }) as [string];
    await sandbox.updateActivity(athleteId, id, { name: 'Tempo' });
    const status = await sandbox.sendWebhook({
      type: 'activity.updated',
      providerUserId: athleteId,
      providerActivityId: id,
      updates: { title: 'Tempo' },
    });
    expect(status?.status).toBe(200);
    await trainlytics.webhooks.idle();
    const row = async () =>
      (
        await pglite.query<Record<string, unknown>>(
          `select name, calories, device_name, detail, raw->>'id' as raw_id, raw->>'resource_state' as state
           from activities where provider_activity_id = $1`,
          [id],
        )
      ).rows[0];
    const detailed = await row();
    expect(detailed).toMatchObject({ name: 'Tempo', detail: 'detail', raw_id: id, state: '3' });
    expect(detailed?.calories).toEqual(expect.any(Number));
    expect(detailed?.device_name).toEqual(expect.any(String));

    // the listing's SummaryActivity has no calories or device: nothing to update, nothing cleared
    const full = await trainlytics.sync(connectionId, { full: true });
    expect(full).toMatchObject({ status: 'success', activitiesCreated: 0, activitiesUpdated: 0 });
    expect(await row()).toEqual(detailed);
  });

  it('refuses an event for another subscription and answers the handshake only with the verify token', async () => {
    const body = sandbox
      .webhookBody({ type: 'deauthorized', providerUserId: athleteId })
      .replace(String(sandbox.subscriptionId), '1');
    const forged = await fetch(callbackUrl, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(forged.status).toBe(403);
    expect((await trainlytics.connections.get(connectionId))?.status).toBe('active');
    const wrongToken = await fetch(
      `${callbackUrl}?hub.mode=subscribe&hub.challenge=abc&hub.verify_token=nope`,
    );
    expect(wrongToken.status).toBe(403);
  });

  it('keeps the connection when a deauthorization event carries the right subscription id but the token still works', async () => {
    // webhookBody does not revoke anything: this is an event forged by someone who saw the subscription id
    const forged = await fetch(callbackUrl, {
      method: 'POST',
      body: sandbox.webhookBody({ type: 'deauthorized', providerUserId: athleteId }),
      headers: { 'content-type': 'application/json' },
    });
    expect(forged.status).toBe(200);
    const connection = await trainlytics.connections.get(connectionId);
    expect(connection?.status).toBe('active');
    expect((await trainlytics.sync(connectionId)).status).toBe('success');
  });

  it('deactivates the connection when the athlete revokes access at Strava', async () => {
    expect((await sandbox.sendWebhook({ type: 'deauthorized', providerUserId: athleteId }))?.status).toBe(
      200,
    );
    await trainlytics.webhooks.idle();
    expect((await trainlytics.connections.get(connectionId))?.status).toBe('inactive');
  });
});
