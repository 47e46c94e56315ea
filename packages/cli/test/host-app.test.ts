import { randomUUID } from 'node:crypto';
import { migrate } from '@trainlytics/migrations';
import { type PolarSandbox, startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackDemoAuth } from '../src/app/auth';
import { type HostServer, startHostServer } from '../src/app/host-server';
import { ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { AppClient } from './helpers/app-client';

let database: OpenedDatabase;
let opened: OpenedTrainlytics;
let strava: StravaSandbox;
let polar: PolarSandbox;
let server: HostServer;

beforeAll(async () => {
  database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
  await migrate(database.db, { direction: 'up' });
  strava = await startStravaSandbox();
  polar = await startPolarSandbox();
  opened = await openTrainlytics({
    env: {},
    cwd: process.cwd(),
    database,
    providers: [strava.createProvider(), polar.createProvider()],
  });
  server = await startHostServer({
    ...loopbackDemoAuth(),
    trainlytics: opened.trainlytics,
    db: database.db,
    port: 0,
  });
});
afterAll(async () => {
  await server?.close();
  await opened?.close();
  await strava?.close();
  await polar?.close();
  await database?.close();
});

/** A fresh user of the host app and a fresh sandbox account, so every test stands alone. */
async function newUser() {
  return ensureUser(database.db, { email: `${randomUUID()}@example.com`, firstName: 'Ada' });
}

/** Connects through the app's routes: GET /connect → consent (the sandbox's user approves) → callback. */
async function connectThroughApp(
  client: AppClient,
  providerId: 'strava' | 'polar',
  userId: number,
  providerUserId: string,
  query = '',
) {
  const start = await client.request(`/connect/${providerId}?user=${userId}${query}`);
  expect(start.status).toBe(302);
  const authorizationUrl = start.headers.get('location')!;
  const sandbox = providerId === 'strava' ? strava : polar;
  const callback = await sandbox.approve(authorizationUrl, { providerUserId });
  return { authorizationUrl, callback, finish: await client.request(callback.toString()) };
}

describe('connect and callback', () => {
  it('redirects to the consent page with a redirect URI built from the base URL, and stores the connection', async () => {
    const user = await newUser();
    const { providerUserId } = await strava.seedAccount({ activityCount: 5, seed: 1 });
    const client = new AppClient(server.baseUrl);
    const { authorizationUrl, finish } = await connectThroughApp(client, 'strava', user.id, providerUserId);

    const authorize = new URL(authorizationUrl);
    expect(authorize.origin).toBe(strava.baseUrl);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.baseUrl}/connect/strava/callback`);
    expect(finish.status).toBe(303);
    expect(finish.headers.get('location')).toBe(`/dashboard?user=${user.id}`);

    const list = await client.json(`/api/connections?user=${user.id}`);
    expect(list).toEqual([
      expect.objectContaining({ userId: user.id, provider: 'strava', providerUserId, status: 'active' }),
    ]);
    expect(JSON.stringify(list)).not.toMatch(/token/i);
  });

  it('honours a same-origin returnTo and ignores an absolute one', async () => {
    const client = new AppClient(server.baseUrl);
    const first = await newUser();
    const a = await strava.seedAccount({ activityCount: 1, seed: 2 });
    const local = await connectThroughApp(
      client,
      'strava',
      first.id,
      a.providerUserId,
      '&returnTo=%2Fdashboard%3Fuser%3D1%26x%3D1',
    );
    expect(local.finish.headers.get('location')).toBe('/dashboard?user=1&x=1');

    const second = await newUser();
    const b = await strava.seedAccount({ activityCount: 1, seed: 3 });
    const evil = await connectThroughApp(
      client,
      'strava',
      second.id,
      b.providerUserId,
      '&returnTo=https%3A%2F%2Fevil.example%2F',
    );
    expect(evil.finish.headers.get('location')).toBe(`/dashboard?user=${second.id}`);
    const protocolRelative = await client.request(
      `/connect/strava?user=${second.id}&returnTo=%2F%2Fevil.example`,
    );
    const callback = await strava.approve(protocolRelative.headers.get('location')!, {
      providerUserId: b.providerUserId,
    });
    expect((await client.request(callback.toString())).headers.get('location')).toBe(
      `/dashboard?user=${second.id}`,
    );
  });

  it('shows a clear page when the user declines, and stores nothing', async () => {
    const user = await newUser();
    const { providerUserId } = await strava.seedAccount({ activityCount: 1, seed: 4 });
    const client = new AppClient(server.baseUrl);
    const start = await client.request(`/connect/strava?user=${user.id}`);
    const callback = await strava.approve(start.headers.get('location')!, { providerUserId, deny: true });
    const page = await client.request(callback.toString());
    expect(page.status).toBe(400);
    const html = await page.text();
    expect(html).toMatch(/Strava was not connected/);
    // written for the athlete: no OAuth code in the message, the technical detail behind a disclosure
    const message = /data-testid="message">([^<]*)</.exec(html)![1]!;
    expect(message).toMatch(/^You chose not to connect Strava: nothing was shared or stored/);
    expect(message).not.toMatch(/access_denied/);
    expect(html).toMatch(
      /<details data-testid="detail"><summary>Technical detail<\/summary><p>[^<]*access_denied/,
    );
    expect(await client.json(`/api/connections?user=${user.id}`)).toEqual([]);
  });

  it('refuses a replayed callback (single-use state)', async () => {
    const user = await newUser();
    const { providerUserId } = await strava.seedAccount({ activityCount: 1, seed: 5 });
    const client = new AppClient(server.baseUrl);
    const { callback, finish } = await connectThroughApp(client, 'strava', user.id, providerUserId);
    expect(finish.status).toBe(303);
    const replay = await client.request(callback.toString());
    expect(replay.status).toBe(400);
  });

  it('builds the redirect URI from the configured public base URL, never from the request', async () => {
    const behindProxy = await startHostServer({
      ...loopbackDemoAuth(),
      trainlytics: opened.trainlytics,
      db: database.db,
      port: 0,
      baseUrl: 'https://fitness.example.com',
    });
    try {
      const user = await newUser();
      const start = await fetch(`http://127.0.0.1:${behindProxy.port}/connect/strava?user=${user.id}`, {
        redirect: 'manual',
        headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
      });
      const authorize = new URL(start.headers.get('location')!);
      expect(authorize.searchParams.get('redirect_uri')).toBe(
        'https://fitness.example.com/connect/strava/callback',
      );
      const page = await fetch(`http://127.0.0.1:${behindProxy.port}/dashboard`);
      expect(page.headers.get('set-cookie')).toMatch(/; Secure/);
    } finally {
      await behindProxy.close();
    }
  });

  it('answers 404 for an unknown provider and 400 for a missing user', async () => {
    const client = new AppClient(server.baseUrl);
    expect((await client.request('/connect/wahoo?user=1')).status).toBe(404);
    expect((await client.request('/connect/garmin?user=1')).status).toBe(404);
    expect((await client.request('/connect/strava?user=999999')).status).toBe(400);
  });
});

describe('dashboard security', () => {
  it('sends the security headers and a SameSite CSRF cookie', async () => {
    const client = new AppClient(server.baseUrl);
    const { response, html } = await client.dashboard();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('set-cookie')).toMatch(/tl_csrf=.*HttpOnly.*SameSite=Lax/i);
    expect(client.csrfToken).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(html).not.toMatch(/<script>/);
  });

  it('escapes what it renders', async () => {
    const user = await ensureUser(database.db, { email: `<script>alert(1)</script>${randomUUID()}@x.io` });
    const { html } = await new AppClient(server.baseUrl).dashboard(user.id);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('refuses POSTs without the CSRF token or from another origin', async () => {
    const user = await newUser();
    const { providerUserId } = await strava.seedAccount({ activityCount: 2, seed: 6 });
    const client = new AppClient(server.baseUrl);
    await connectThroughApp(client, 'strava', user.id, providerUserId);
    const [connection] = await client.json(`/api/connections?user=${user.id}`);

    const noToken = await client.request(`/api/connections/${connection.id}/disconnect`, { method: 'POST' });
    expect(noToken.status).toBe(403);
    await client.dashboard(user.id);
    const foreign = await client.request(`/api/connections/${connection.id}/disconnect`, {
      method: 'POST',
      headers: { 'x-csrf-token': client.csrfToken, origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const wrongToken = await client.request(`/api/connections/${connection.id}/sync`, {
      method: 'POST',
      headers: { 'x-csrf-token': 'x'.repeat(43) },
    });
    expect(wrongToken.status).toBe(403);
    const still = await client.json(`/api/connections/${connection.id}`);
    expect(still.status).toBe('active');
  });
});

describe('JSON API, sync now, webhooks, disconnect', () => {
  it('syncs now, lists history and normalized activities, then disconnects', async () => {
    const user = await newUser();
    const { providerUserId } = await strava.seedAccount({ activityCount: 12, seed: 9 });
    const client = new AppClient(server.baseUrl);
    await connectThroughApp(client, 'strava', user.id, providerUserId);
    const [connection] = await client.json(`/api/connections?user=${user.id}`);
    await client.dashboard(user.id);

    const sync = await client.post(`/api/connections/${connection.id}/sync?full=1`);
    expect(sync.status).toBe(200);
    expect(await sync.json()).toMatchObject({ status: 'success', activitiesCreated: 12, errorMessage: null });

    const history = await client.json(`/api/connections/${connection.id}/history`);
    expect(history[0]).toMatchObject({
      connectionId: connection.id,
      syncType: 'full',
      status: 'success',
      activitiesCreated: 12,
    });

    const activities = await client.json(`/api/activities?user=${user.id}&limit=100`);
    expect(activities).toHaveLength(12);
    for (const a of activities) {
      expect(a.provider).toBe('strava');
      expect(typeof a.sportType).toBe('string');
      expect(a.connectionId).toBe(connection.id);
    }

    const { html } = await client.dashboard(user.id);
    expect(html).toContain('data-status="active"');
    // the sport's family icon (named for screen readers) and its display name
    expect(html).toMatch(
      /<td[^>]* class="sport" data-sport-type="[a-z_]+"><span class="sport-name"><svg class="icon" role="img" aria-label="[^"]+"[^>]*><use href="#sport-[a-z]+"><\/use><\/svg>[^<]+<\/span><\/td>/,
    );

    const disconnect = await client.post(`/api/connections/${connection.id}/disconnect`);
    expect(disconnect.status).toBe(200);
    expect(await disconnect.json()).toMatchObject({ id: connection.id, status: 'inactive' });
    const after = await client.dashboard(user.id);
    expect(after.html).toMatch(/data-provider="strava" data-status="inactive"/);
  });

  it('shows a connection whose access was revoked as needing re-authorization', async () => {
    const user = await newUser();
    const { providerUserId } = await strava.seedAccount({ activityCount: 2, seed: 12 });
    const client = new AppClient(server.baseUrl);
    await connectThroughApp(client, 'strava', user.id, providerUserId);
    const [connection] = await client.json(`/api/connections?user=${user.id}`);
    await strava.expireAccessTokens(providerUserId);
    strava.setFaults({ rejectRefresh: true });
    try {
      await client.dashboard(user.id);
      const sync = await client.post(`/api/connections/${connection.id}/sync`);
      expect(sync.status).toBe(502);
      expect(await sync.json()).toMatchObject({ status: 'failed', errorMessage: expect.any(String) });
    } finally {
      strava.resetFaults();
    }
    const { html } = await client.dashboard(user.id);
    expect(html).toMatch(/data-provider="strava" data-status="reauth_required"/);
    expect(html).toContain('needs re-authorization');
    expect(html).toMatch(/Reconnect Strava/);
    expect(html).toMatch(/<tr data-status="failed">/);
  });

  it('answers 404 as JSON for an unknown connection', async () => {
    const client = new AppClient(server.baseUrl);
    const response = await client.request('/api/connections/987654');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: 'NotFoundError' });
  });

  it('answers Strava’s subscription handshake and refuses a wrong verify token', async () => {
    const token = strava.providerOptions().webhooks!.verifyToken!;
    const ok = await fetch(
      `${server.baseUrl}/webhooks/strava?hub.mode=subscribe&hub.challenge=abc123&hub.verify_token=${encodeURIComponent(token)}`,
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ 'hub.challenge': 'abc123' });
    const wrong = await fetch(
      `${server.baseUrl}/webhooks/strava?hub.mode=subscribe&hub.challenge=abc&hub.verify_token=nope`,
    );
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect((await fetch(`${server.baseUrl}/webhooks/wahoo`, { method: 'POST', body: '{}' })).status).toBe(
      404,
    );
  });

  it.each(['strava', 'polar'] as const)(
    'stores the new activity a %s webhook announces',
    async (providerId) => {
      const sandbox = providerId === 'strava' ? strava : polar;
      const user = await newUser();
      const { providerUserId } = await sandbox.seedAccount({ activityCount: 4, seed: 11 });
      const client = new AppClient(server.baseUrl);
      await connectThroughApp(client, providerId, user.id, providerUserId);
      const [connection] = await client.json(`/api/connections?user=${user.id}`);
      expect((await opened.trainlytics.sync(connection.id, { full: true })).status).toBe('success');
      const before = await opened.trainlytics.store.countActivities({ connectionId: connection.id });

      const [activityId] = await sandbox.addActivities(providerUserId, 1);
      const request = await sandbox.webhookRequest(
        { type: 'activity.created', providerUserId, providerActivityId: activityId! },
        { url: `${server.baseUrl}/webhooks/${providerId}` },
      );
      const response = await fetch(request!);
      expect(response.status).toBe(200);
      await opened.trainlytics.webhooks.idle();
      expect(await opened.trainlytics.store.countActivities({ connectionId: connection.id })).toBe(
        before + 1,
      );
    },
  );
});
