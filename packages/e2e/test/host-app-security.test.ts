import {
  adminTokenAuth,
  ensureUser,
  type HostServer,
  loopbackDemoAuth,
  type OpenedTrainlytics,
  openDatabase,
  openTrainlytics,
  startHostServer,
} from '@trainlytics/cli';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { isValidPolarSignature, signPolarWebhook } from '@trainlytics/provider-polar';
import { type PolarSandbox, startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppClient } from './helpers/app-client';

// The host app (`trainlytics serve`) over real sockets on real PostgreSQL: CSRF on every state-changing
// route, security headers, no open redirect through `returnTo` or the Host header, and signature / token
// comparisons that refuse a value differing in its last byte or in its length.

const EVIL = 'https://evil.example';

let database: TestDatabase;
let opened: OpenedTrainlytics;
let server: HostServer;
let strava: StravaSandbox;
let polar: PolarSandbox;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_e2e_hostapp' });
  strava = await startStravaSandbox();
  polar = await startPolarSandbox();
  const db = await openDatabase({ env: { DATABASE_URL: database.connectionString }, cwd: process.cwd() });
  opened = await openTrainlytics({
    env: {},
    cwd: process.cwd(),
    database: db,
    providers: [strava.createProvider(), polar.createProvider()],
  });
  server = await startHostServer({
    ...loopbackDemoAuth(),
    trainlytics: opened.trainlytics,
    db: db.db,
    port: 0,
  });
});
afterAll(async () => {
  await server?.close();
  await opened?.close();
  await opened?.database.close();
  await strava?.close();
  await polar?.close();
  await database?.drop();
});

async function connectedUser(client: AppClient, returnTo?: string) {
  const user = await ensureUser(opened.database.db, {
    email: `${Math.random().toString(36).slice(2)}@example.com`,
  });
  const { providerUserId } = await strava.seedAccount({ activityCount: 2 });
  const query = returnTo === undefined ? '' : `&returnTo=${encodeURIComponent(returnTo)}`;
  const start = await client.request(`/connect/strava?user=${user.id}${query}`);
  expect(start.status).toBe(302);
  const callback = await strava.approve(start.headers.get('location')!, { providerUserId });
  const finish = await client.request(`${callback.pathname}${callback.search}`);
  const [connection] = await client.json(`/api/connections?user=${user.id}`);
  return { user, connection: connection as { id: number; status: string }, finish };
}

async function historyCount(connectionId: number): Promise<number> {
  const { rows } = await database.pool.query(
    'select count(*)::int as n from sync_history where connection_id = $1',
    [connectionId],
  );
  return Number(rows[0]?.n);
}

describe('CSRF: state-changing routes refuse requests that did not come from our pages', () => {
  it('a cross-origin POST to disconnect, sync or connect is refused (403) and changes nothing', async () => {
    const client = new AppClient(server.baseUrl);
    const { user, connection } = await connectedUser(client);
    await client.dashboard(user.id);
    const before = await historyCount(connection.id);
    const evil = { origin: EVIL, 'x-csrf-token': client.csrfToken };
    for (const path of [
      `/api/connections/${connection.id}/disconnect`,
      `/api/connections/${connection.id}/sync?full=1`,
    ]) {
      const response = await client.request(path, { method: 'POST', headers: evil });
      expect(response.status, path).toBe(403);
    }
    const form = await client.request('/connect/polar', {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: String(user.id), csrf: client.csrfToken }),
    });
    expect(form.status).toBe(403);
    expect(form.headers.get('location')).toBeNull();
    expect((await client.json(`/api/connections/${connection.id}`)).status).toBe('active');
    expect(await historyCount(connection.id)).toBe(before);
  });

  it('a same-origin POST without the CSRF token, or with a wrong one, is refused', async () => {
    const client = new AppClient(server.baseUrl);
    const { user, connection } = await connectedUser(client);
    await client.dashboard(user.id);
    const token = client.csrfToken;
    expect(token.length).toBeGreaterThanOrEqual(32);
    const lastByte = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const sent of [null, '', lastByte, `${token}x`, token.slice(0, -1)]) {
      const headers: Record<string, string> = { origin: server.baseUrl };
      if (sent !== null) headers['x-csrf-token'] = sent;
      const response = await client.request(`/api/connections/${connection.id}/disconnect`, {
        method: 'POST',
        headers,
      });
      expect(response.status, `token ${JSON.stringify(sent)}`).toBe(403);
    }
    // another browser's token (its own cookie) does not work with this browser's cookie
    const other = new AppClient(server.baseUrl);
    await other.dashboard(user.id);
    const crossed = await client.request(`/api/connections/${connection.id}/disconnect`, {
      method: 'POST',
      headers: { origin: server.baseUrl, 'x-csrf-token': other.csrfToken },
    });
    expect(crossed.status).toBe(403);
    expect((await client.json(`/api/connections/${connection.id}`)).status).toBe('active');
    // the page's own token works
    expect((await client.post(`/api/connections/${connection.id}/disconnect`)).status).toBe(200);
    expect((await client.json(`/api/connections/${connection.id}`)).status).toBe('inactive');
  });

  it('the CSRF cookie is HttpOnly and SameSite', async () => {
    const response = await fetch(`${server.baseUrl}/dashboard`);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('tl_csrf='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=(Lax|Strict)/i);
  });
});

describe('security headers', () => {
  it('the dashboard and the JSON API send a strict CSP, no framing, nosniff, a referrer policy; the dashboard is not cached', async () => {
    for (const path of ['/dashboard', '/api/connections', '/api/users']) {
      const response = await fetch(`${server.baseUrl}${path}`);
      expect(response.status, path).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toMatch(/default-src 'self'/);
      expect(csp, path).toMatch(/frame-ancestors 'none'/);
      expect(csp, path).toMatch(/script-src 'self'(;|$)/);
      expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('same-origin');
    }
    const dashboard = await fetch(`${server.baseUrl}/dashboard`);
    expect(dashboard.headers.get('cache-control')).toMatch(/no-store/);
  });

  it('a user e-mail holding markup is escaped on the dashboard', async () => {
    const user = await ensureUser(opened.database.db, { email: `<script>alert(1)</script>@x.example` });
    const html = await (await fetch(`${server.baseUrl}/dashboard?user=${user.id}`)).text();
    expect(html).not.toContain('<script>alert(1)</script>');
  });
});

describe('no open redirect', () => {
  const isSameOrigin = (location: string) =>
    location.startsWith('/') &&
    !location.startsWith('//') &&
    !location.startsWith('/\\') &&
    new URL(location, server.baseUrl).origin === new URL(server.baseUrl).origin;

  it('absolute, protocol-relative, backslash and script returnTo values end on our own dashboard', async () => {
    for (const returnTo of [
      `${EVIL}/phish`,
      '//evil.example/phish',
      '/\\evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      'javascript:alert(1)',
      ' https://evil.example',
      'https:evil.example',
    ]) {
      const client = new AppClient(server.baseUrl);
      const { finish, user } = await connectedUser(client, returnTo);
      expect(finish.status, returnTo).toBe(303);
      const location = finish.headers.get('location') ?? '';
      expect(isSameOrigin(location), `${returnTo} -> ${location}`).toBe(true);
      expect(location).toBe(`/dashboard?user=${user.id}`);
    }
  });

  it('a same-origin path is honoured', async () => {
    const client = new AppClient(server.baseUrl);
    const { finish } = await connectedUser(client, '/dashboard?user=1&tab=activities');
    expect(finish.headers.get('location')).toBe('/dashboard?user=1&tab=activities');
  });

  it('property: whatever returnTo is given, the callback redirects within our origin', async () => {
    const returnTo = fc.oneof(
      fc.string(),
      fc.webUrl(),
      fc.constantFrom('/', '//', '/\\', '\\', '/%2F', '/%5C', '\t', '\n', '@', ':', 'evil.example'),
      fc
        .array(
          fc.constantFrom(
            '/',
            '\\',
            '//',
            '%2f',
            '%5c',
            '\t',
            'evil.example',
            '@',
            ':',
            '.',
            'https:',
            '?',
            '#',
          ),
          {
            maxLength: 6,
          },
        )
        .map((parts) => parts.join('')),
    );
    await fc.assert(
      fc.asyncProperty(returnTo, async (value) => {
        const client = new AppClient(server.baseUrl);
        const { finish } = await connectedUser(client, value);
        expect(finish.status).toBe(303);
        expect(isSameOrigin(finish.headers.get('location') ?? '')).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('the OAuth redirect_uri comes from the configured origin, never from the Host header', async () => {
    const user = await ensureUser(opened.database.db, { email: `host-${Date.now()}@example.com` });
    const response = await server.app.fetch(
      new Request(`http://evil.example/connect/strava?user=${user.id}`, {
        headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
      }),
    );
    expect(response.status).toBe(302);
    const authorize = new URL(response.headers.get('location')!);
    expect(authorize.origin).toBe(strava.baseUrl);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.baseUrl}/connect/strava/callback`);
  });
});

describe('sign-in (TRAINLYTICS_ADMIN_TOKEN) over a real socket', () => {
  const token = 'e2e-admin-token-'.padEnd(64, '0');

  it('without a sign-in the API answers 401 and the dashboard redirects to the login form; the form’s session then works, and sign-out ends it', async () => {
    const signedIn = await startHostServer({
      ...adminTokenAuth({ token }),
      trainlytics: opened.trainlytics,
      db: opened.database.db,
      port: 0,
    });
    try {
      const user = await ensureUser(opened.database.db, { email: `signed-${Date.now()}@example.com` });
      const client = new AppClient(signedIn.baseUrl);
      expect((await client.request('/api/users')).status).toBe(401);
      expect((await client.request(`/api/activities?user=${user.id}`)).status).toBe(401);
      const page = await client.request(`/dashboard?user=${user.id}`);
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe(
        `/login?returnTo=${encodeURIComponent(`/dashboard?user=${user.id}`)}`,
      );
      // the login form, as a browser submits it
      const form = await (await client.request(page.headers.get('location')!)).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(form)![1]!;
      const returnTo = /name="returnTo" value="([^"]+)"/.exec(form)![1]!.replace(/&amp;/g, '&');
      const login = await client.request('/login', {
        method: 'POST',
        headers: { origin: signedIn.baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, returnTo, token }),
      });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe(`/dashboard?user=${user.id}`);
      const { response, html } = await client.dashboard(user.id);
      expect(response.status).toBe(200);
      expect(html).toContain(user.email);
      expect((await client.post('/logout')).status).toBe(303);
      expect((await client.request('/api/users')).status).toBe(401);
      // a bearer works for API clients
      const api = await fetch(`${signedIn.baseUrl}/api/users`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(api.status).toBe(200);
    } finally {
      await signedIn.close();
    }
  });

  it('the demo sign-in is refused on a non-loopback address', async () => {
    await expect(
      startHostServer({
        ...loopbackDemoAuth(),
        trainlytics: opened.trainlytics,
        db: opened.database.db,
        port: 0,
        hostname: '0.0.0.0',
      }),
    ).rejects.toThrow(/without authentication/);
  });
});

describe('signature comparison', () => {
  it('Polar: a signature differing in its last byte, of another length, or of another body is refused; the right one (any case) is accepted', () => {
    const secret = 'polar-webhook-secret';
    const body = new TextEncoder().encode('{"event":"EXERCISE","user_id":1}');
    const signature = signPolarWebhook(body, secret);
    expect(isValidPolarSignature(body, signature, secret)).toBe(true);
    expect(isValidPolarSignature(body, signature.toUpperCase(), secret)).toBe(true);
    const last = signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0');
    expect(isValidPolarSignature(body, last, secret)).toBe(false);
    expect(isValidPolarSignature(body, `${signature}0`, secret)).toBe(false);
    expect(isValidPolarSignature(body, signature.slice(0, -1), secret)).toBe(false);
    expect(isValidPolarSignature(body, '', secret)).toBe(false);
    expect(isValidPolarSignature(body, null, secret)).toBe(false);
    expect(
      isValidPolarSignature(new TextEncoder().encode('{"event":"EXERCISE","user_id":2}'), signature, secret),
    ).toBe(false);
  });

  it('property: no signature but the exact HMAC is accepted', () => {
    const secret = 'polar-webhook-secret';
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.string({ maxLength: 80 }), (body, guess) => {
        const valid = signPolarWebhook(body, secret);
        expect(isValidPolarSignature(body, guess, secret)).toBe(guess.trim().toLowerCase() === valid);
      }),
      { numRuns: 200 },
    );
  });
});
