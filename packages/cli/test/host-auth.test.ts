import { randomUUID } from 'node:crypto';
import { migrate } from '@trainlytics/migrations';
import { type StravaSandbox, startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN_MIN_LENGTH,
  adminTokenAuth,
  SESSION_COOKIE,
  secretsEqual,
} from '../src/app/admin-token-auth';
import { type Authenticate, loopbackDemoAuth } from '../src/app/auth';
import { createHostApp } from '../src/app/create-host-app';
import { isLoopbackHost, startHostServer } from '../src/app/host-server';
import { type AppUser, ensureUser } from '../src/app/users';
import { type OpenedDatabase, openDatabase } from '../src/database';
import { type OpenedTrainlytics, openTrainlytics } from '../src/open-trainlytics';
import { UserError } from '../src/user-error';
import { connectAccount } from './helpers/connect';

// Every page, API route and action of the host app is behind `authenticate` and scoped to the signed-in
// user. The routes are enumerated from the router itself (`app.routes`): a route added without the
// sign-in guard, or without scoping, fails these tests.

const BASE = 'http://127.0.0.1:3999';
const CSRF = 'c'.repeat(43);
const ADMIN_TOKEN = 'admin-token-'.padEnd(48, 'x');
/** Routes that are public by design: assets, health, the OAuth callback (bound by the connect state), webhooks. */
const PUBLIC = new Set([
  'GET /assets/dashboard.js',
  'GET /assets/dashboard.css',
  'GET /favicon.ico',
  'GET /health',
  'GET /connect/:provider/callback',
  'GET /webhooks/:provider',
  'POST /webhooks/:provider',
]);
/** The sign-in's own routes (adminTokenAuth): public too, they are how one signs in. */
const SIGN_IN = new Set(['GET /login', 'POST /login', 'POST /logout']);
/** Routes a user may not use at all, even on their own data. */
const ADMIN_ONLY = new Set(['POST /users']);

let database: OpenedDatabase;
let opened: OpenedTrainlytics;
let strava: StravaSandbox;
let alice: AppUser;
let bob: AppUser;
let aliceConnection: number;
let bobConnection: number;
let bobActivity: number;
let aliceActivity: number;
let bobAthlete: string;

/** A test sign-in: `x-test-user: <id>` is that user, `x-test-user: admin` the admin, nothing refuses. */
const headerAuth: Authenticate = (request) => {
  const who = request.headers.get('x-test-user');
  if (who === 'admin') return { admin: true };
  return who && /^\d+$/.test(who) ? { userId: Number(who) } : null;
};

beforeAll(async () => {
  database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
  await migrate(database.db, { direction: 'up' });
  strava = await startStravaSandbox();
  opened = await openTrainlytics({
    env: {},
    cwd: process.cwd(),
    database,
    providers: [strava.createProvider()],
  });
  alice = await ensureUser(database.db, { email: `alice-${randomUUID()}@example.com` });
  bob = await ensureUser(database.db, { email: `bob-${randomUUID()}@example.com` });
  const a = await strava.seedAccount({ activityCount: 3, seed: 71 });
  const b = await strava.seedAccount({ activityCount: 4, seed: 72 });
  bobAthlete = b.providerUserId;
  aliceConnection = (await connectAccount(opened.trainlytics, 'strava', strava, { userId: alice.id, ...a }))
    .id;
  bobConnection = (await connectAccount(opened.trainlytics, 'strava', strava, { userId: bob.id, ...b })).id;
  for (const id of [aliceConnection, bobConnection]) {
    expect((await opened.trainlytics.sync(id, { full: true })).status).toBe('success');
  }
  bobActivity = (await opened.trainlytics.activities.list({ connectionId: bobConnection, limit: 1 }))[0]!.id;
  aliceActivity = (await opened.trainlytics.activities.list({ connectionId: aliceConnection, limit: 1 }))[0]!
    .id;
});
afterAll(async () => {
  await opened?.close();
  await strava?.close();
  await database?.close();
});

interface Endpoint {
  method: 'GET' | 'POST';
  path: string;
}

/** The app's endpoints from its router (middleware — handlers taking `next` — left out), ALL as GET and POST. */
function endpoints(app: Hono): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const route of app.routes) {
    if (route.path.includes('*') || route.handler.length >= 2) continue;
    const methods = route.method === 'ALL' ? (['GET', 'POST'] as const) : [route.method];
    for (const method of methods) {
      if (method !== 'GET' && method !== 'POST') throw new Error(`untested method ${method} ${route.path}`);
      seen.set(`${method} ${route.path}`, { method, path: route.path });
    }
  }
  return [...seen.values()];
}

const key = (e: Endpoint) => `${e.method} ${e.path}`;

/** A request to `endpoint` aimed at `target`'s data: its connection as `:id`, `user=` in the query and form. */
function requestFor(
  endpoint: Endpoint,
  target: { user: AppUser; connectionId: number; activityId: number },
  headers: Record<string, string>,
): Request {
  // an activity route gets the target's activity, every other `:id` the target's connection
  const id = /\/activities\/:id/.test(endpoint.path) ? target.activityId : target.connectionId;
  const path = endpoint.path.replace(':id', String(id)).replace(':provider', 'strava');
  const url = new URL(path, BASE);
  url.searchParams.set('user', String(target.user.id));
  // a link or unlink names a second activity: the target's own again
  url.searchParams.set('other', String(target.activityId));
  const init: RequestInit = {
    method: endpoint.method,
    headers: { cookie: `tl_csrf=${CSRF}`, 'x-csrf-token': CSRF, origin: BASE, ...headers },
  };
  if (endpoint.method === 'POST') {
    (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams({
      user: String(target.user.id),
      csrf: CSRF,
      email: `x-${randomUUID()}@e.io`,
    });
  }
  return new Request(url, init);
}

async function bobsState() {
  const connection = await opened.trainlytics.connections.get(bobConnection);
  const history = await opened.trainlytics.history.list({ connectionId: bobConnection, limit: 100 });
  const activities = await opened.trainlytics.store.countActivities({ connectionId: bobConnection });
  return { status: connection?.status, history: history.length, activities };
}

describe('createHostApp: every page, API route and action needs a sign-in', () => {
  it('refuses to build without an authenticate hook', () => {
    expect(() =>
      createHostApp({ trainlytics: opened.trainlytics, db: database.db, baseUrl: BASE } as never),
    ).toThrow(/authenticate/);
  });

  it('the router has the routes this test knows of (public ones listed by name)', () => {
    const app = hostApp();
    const all = endpoints(app).map(key);
    for (const route of PUBLIC) expect(all).toContain(route);
    expect(all).toEqual(
      expect.arrayContaining([
        'GET /dashboard',
        'GET /api/connections/:id',
        'POST /api/connections/:id/disconnect',
      ]),
    );
  });

  it('an unauthenticated request to any non-public route is refused (401) and changes nothing', async () => {
    const app = hostApp();
    const before = await bobsState();
    const protectedRoutes = endpoints(app).filter((e) => !PUBLIC.has(key(e)));
    expect(protectedRoutes.length).toBeGreaterThanOrEqual(12);
    for (const endpoint of protectedRoutes) {
      const response = await app.request(
        requestFor(endpoint, { user: bob, connectionId: bobConnection, activityId: bobActivity }, {}),
      );
      expect(response.status, key(endpoint)).toBe(401);
      const text = await response.text();
      expect(text, key(endpoint)).not.toContain(bob.email);
      expect(text, key(endpoint)).not.toContain(bobAthlete);
    }
    // an unknown path too: nothing tells a stranger what exists
    expect((await app.request(`${BASE}/api/nothing-here`)).status).toBe(401);
    expect(await bobsState()).toEqual(before);
  });

  it("a user's request aimed at another user's data is answered 403/404, leaks nothing, changes nothing", async () => {
    const app = hostApp();
    const before = await bobsState();
    const statesBefore = await oauthStates();
    for (const endpoint of endpoints(app).filter((e) => !PUBLIC.has(key(e)))) {
      const response = await app.request(
        requestFor(
          endpoint,
          { user: bob, connectionId: bobConnection, activityId: bobActivity },
          { 'x-test-user': String(alice.id) },
        ),
      );
      if (response.status >= 300 && response.status < 400) {
        // a plain redirect within the app (GET / → /dashboard) that names nobody
        expect(response.headers.get('location'), key(endpoint)).toBe('/dashboard');
      } else {
        expect([403, 404], key(endpoint)).toContain(response.status);
      }
      const text = await response.text();
      expect(text, key(endpoint)).not.toContain(bob.email);
      expect(text, key(endpoint)).not.toContain(bobAthlete);
    }
    expect(await bobsState()).toEqual(before);
    expect(await oauthStates()).toBe(statesBefore);
  });

  it('another user’s connection answers exactly as one that does not exist', async () => {
    const app = hostApp();
    const as = { 'x-test-user': String(alice.id) };
    const foreign = await app.request(`${BASE}/api/connections/${bobConnection}`, { headers: as });
    const missing = await app.request(`${BASE}/api/connections/987654`, { headers: as });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    const body = (await foreign.json()) as { error: string; message: string };
    expect(body).toEqual({ error: 'NotFoundError', message: `No connection with id ${bobConnection}` });
    expect(await missing.json()).toEqual({ error: 'NotFoundError', message: 'No connection with id 987654' });
  });

  it('the same requests aimed at the user’s own data work (so the refusals above are about the owner)', async () => {
    const app = hostApp();
    for (const endpoint of endpoints(app).filter((e) => !PUBLIC.has(key(e)) && !ADMIN_ONLY.has(key(e)))) {
      if (key(endpoint) === 'POST /api/connections/:id/disconnect') continue; // run last, below
      const response = await app.request(
        requestFor(
          endpoint,
          { user: alice, connectionId: aliceConnection, activityId: aliceActivity },
          { 'x-test-user': String(alice.id) },
        ),
      );
      if (/\/(link|unlink)$/.test(endpoint.path)) {
        // past the ownership checks: the store refuses an activity matched with itself
        expect(response.status, key(endpoint)).toBe(409);
        expect(((await response.json()) as { error: string }).error).toBe('ConflictError');
        continue;
      }
      expect(response.status, key(endpoint)).toBeLessThan(400);
    }
    const mine = await app.request(`${BASE}/api/connections`, {
      headers: { 'x-test-user': String(alice.id) },
    });
    expect(((await mine.json()) as { id: number }[]).map((c) => c.id)).toEqual([aliceConnection]);
    const activities = await app.request(`${BASE}/api/activities?limit=500`, {
      headers: { 'x-test-user': String(alice.id) },
    });
    const rows = (await activities.json()) as { connectionId: number }[];
    expect(rows.length).toBe(3);
    expect(new Set(rows.map((r) => r.connectionId))).toEqual(new Set([aliceConnection]));
    const users = await app.request(`${BASE}/api/users`, { headers: { 'x-test-user': String(alice.id) } });
    expect(((await users.json()) as AppUser[]).map((u) => u.id)).toEqual([alice.id]);
    const page = await app.request(`${BASE}/dashboard`, { headers: { 'x-test-user': String(alice.id) } });
    const html = await page.text();
    expect(html).toContain(alice.email);
    expect(html).not.toContain(bob.email);
    expect(html).not.toContain('data-testid="user-select"');
  });

  it('a user can only create a connection for themselves: connect start binds to the signed-in user', async () => {
    const app = hostApp();
    const start = await app.request(`${BASE}/connect/strava`, {
      headers: { 'x-test-user': String(alice.id) },
    });
    expect(start.status).toBe(302);
    const { providerUserId } = await strava.seedAccount({ activityCount: 1, seed: 73 });
    const callback = await strava.approve(start.headers.get('location')!, { providerUserId });
    // finishing it in Bob's session is refused (the state was issued to Alice)
    const asBob = await app.request(`${BASE}${callback.pathname}${callback.search}`, {
      headers: { 'x-test-user': String(bob.id) },
    });
    expect(asBob.status).toBe(400);
    expect(await opened.trainlytics.connections.list({ userId: bob.id })).toHaveLength(1);
    expect(
      (await opened.trainlytics.connections.list({ userId: alice.id })).map((c) => c.providerUserId),
    ).not.toContain(providerUserId);
  });

  it('an admin sees every user and may act for one named with ?user=', async () => {
    const app = hostApp();
    const admin = { 'x-test-user': 'admin' };
    const users = (await (await app.request(`${BASE}/api/users`, { headers: admin })).json()) as AppUser[];
    expect(users.map((u) => u.id)).toEqual(expect.arrayContaining([alice.id, bob.id]));
    const bobs = await app.request(`${BASE}/api/connections?user=${bob.id}`, { headers: admin });
    expect(((await bobs.json()) as { id: number }[]).map((c) => c.id)).toEqual([bobConnection]);
    const history = await app.request(`${BASE}/api/connections/${bobConnection}/history`, { headers: admin });
    expect(history.status).toBe(200);
    const page = await (await app.request(`${BASE}/dashboard?user=${bob.id}`, { headers: admin })).text();
    expect(page).toContain(bob.email);
    expect(page).toContain('data-testid="user-select"');
  });
});

describe('adminTokenAuth: TRAINLYTICS_ADMIN_TOKEN as a bearer token and a signed session cookie', () => {
  let clock = Date.parse('2026-06-01T12:00:00Z');
  const tokenApp = (baseUrl = BASE) =>
    createHostApp({
      ...adminTokenAuth({ token: ADMIN_TOKEN, sessionTtlMs: 60 * 60_000, now: () => clock }),
      trainlytics: opened.trainlytics,
      db: database.db,
      baseUrl,
    });

  it('takes the token without surrounding whitespace (a trailing newline from a secrets file)', async () => {
    const app = createHostApp({
      ...adminTokenAuth({ token: `${ADMIN_TOKEN}\n` }),
      trainlytics: opened.trainlytics,
      db: database.db,
      baseUrl: BASE,
    });
    const response = await app.request(`${BASE}/api/users`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
  });

  it('refuses a token shorter than 32 characters', () => {
    expect(() => adminTokenAuth({ token: 'x'.repeat(ADMIN_TOKEN_MIN_LENGTH - 1) })).toThrow(UserError);
    expect(() => adminTokenAuth({ token: ' '.repeat(40) })).toThrow(/at least 32 characters/);
  });

  it('without a sign-in, API routes answer 401 and pages redirect to the login form', async () => {
    const app = tokenApp();
    for (const endpoint of endpoints(app).filter((e) => !PUBLIC.has(key(e)) && !SIGN_IN.has(key(e)))) {
      const response = await app.request(
        requestFor(endpoint, { user: bob, connectionId: bobConnection, activityId: bobActivity }, {}),
      );
      if (endpoint.method === 'GET' && !endpoint.path.startsWith('/api/')) {
        expect(response.status, key(endpoint)).toBe(303);
        expect(response.headers.get('location'), key(endpoint)).toMatch(/^\/login\?returnTo=%2F/);
      } else {
        expect(response.status, key(endpoint)).toBe(401);
      }
    }
  });

  it('the bearer token works for the API and actions (no CSRF needed); any other value is refused', async () => {
    const app = tokenApp();
    const ok = await app.request(`${BASE}/api/users`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(ok.status).toBe(200);
    const sync = await app.request(`${BASE}/api/connections/${bobConnection}/sync`, {
      method: 'POST',
      headers: { authorization: `bearer ${ADMIN_TOKEN}` },
    });
    expect(sync.status).toBe(200);
    const lastByte = ADMIN_TOKEN.slice(0, -1) + (ADMIN_TOKEN.endsWith('x') ? 'y' : 'x');
    for (const header of [
      `Bearer ${lastByte}`,
      `Bearer ${ADMIN_TOKEN}x`,
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
      `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
      'Bearer ',
      `Basic ${ADMIN_TOKEN}`,
      ADMIN_TOKEN,
    ]) {
      const response = await app.request(`${BASE}/api/users`, { headers: { authorization: header } });
      expect(response.status, header).toBe(401);
    }
  });

  it('property: secretsEqual accepts exactly the secret', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.string({ minLength: 1, maxLength: 80 }),
        (guess, secret) => {
          expect(secretsEqual(guess, secret)).toBe(guess === secret);
          expect(secretsEqual(secret, secret)).toBe(true);
          expect(secretsEqual(`${secret}\0`, secret)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the login form takes the token and sets a signed HttpOnly SameSite=Lax session cookie', async () => {
    const app = tokenApp();
    const form = await app.request(
      `${BASE}/login?returnTo=${encodeURIComponent(`/dashboard?user=${bob.id}`)}`,
    );
    expect(form.status).toBe(200);
    const csrfCookie = /tl_csrf=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')?.[1];
    expect(csrfCookie).toBeDefined();
    const login = (token: string, headers: Record<string, string> = {}) =>
      app.request(`${BASE}/login`, {
        method: 'POST',
        headers: {
          cookie: `tl_csrf=${csrfCookie}`,
          origin: BASE,
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
        body: new URLSearchParams({ token, csrf: csrfCookie!, returnTo: `/dashboard?user=${bob.id}` }),
      });

    const wrong = await login(`${ADMIN_TOKEN}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie') ?? '').not.toContain(SESSION_COOKIE);
    expect(await wrong.text()).toContain('Wrong admin token');
    expect((await login(ADMIN_TOKEN, { origin: 'https://evil.example' })).status).toBe(403);

    const right = await login(ADMIN_TOKEN);
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe(`/dashboard?user=${bob.id}`);
    const setCookie = right.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    expect(setCookie).not.toContain(ADMIN_TOKEN);
    const session = /tl_session=([^;]+)/.exec(setCookie)![1]!;

    const page = await app.request(`${BASE}/dashboard?user=${bob.id}`, {
      headers: { cookie: `${SESSION_COOKIE}=${session}` },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(bob.email);

    // a tampered signature or expiry is no session
    const [v, expires, signature] = session.split('.');
    const flipped = signature!.slice(0, -1) + (signature!.endsWith('A') ? 'B' : 'A');
    for (const forged of [
      `${v}.${expires}.${flipped}`,
      `${v}.${Number(expires) + 3600}.${signature}`,
      `${v}.${expires}.`,
      'v1.9999999999.' + 'A'.repeat(43),
    ]) {
      const response = await app.request(`${BASE}/api/users`, {
        headers: { cookie: `${SESSION_COOKIE}=${forged}` },
      });
      expect(response.status, forged).toBe(401);
    }
    // another token's session does not work here
    const other = createHostApp({
      ...adminTokenAuth({ token: `${ADMIN_TOKEN}-other`, now: () => clock }),
      trainlytics: opened.trainlytics,
      db: database.db,
      baseUrl: BASE,
    });
    expect(
      (await other.request(`${BASE}/api/users`, { headers: { cookie: `${SESSION_COOKIE}=${session}` } }))
        .status,
    ).toBe(401);

    // it expires
    clock += 60 * 60_000 + 1000;
    const expired = await app.request(`${BASE}/api/users`, {
      headers: { cookie: `${SESSION_COOKIE}=${session}` },
    });
    expect(expired.status).toBe(401);
  });

  it('the session cookie is Secure behind https; logout clears it', async () => {
    const app = tokenApp('https://fitness.example.com');
    const form = await app.request('https://fitness.example.com/login');
    const csrfCookie = /tl_csrf=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
    const right = await app.request('https://fitness.example.com/login', {
      method: 'POST',
      headers: {
        cookie: `tl_csrf=${csrfCookie}`,
        origin: 'https://fitness.example.com',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: ADMIN_TOKEN, csrf: csrfCookie }),
    });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/dashboard');
    expect(right.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))).toMatch(/Secure/);
    const logout = await app.request('https://fitness.example.com/logout', {
      method: 'POST',
      headers: {
        cookie: `tl_csrf=${csrfCookie}`,
        'x-csrf-token': csrfCookie,
        origin: 'https://fitness.example.com',
      },
    });
    expect(logout.status).toBe(303);
    expect(logout.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))).toMatch(
      /Max-Age=0/i,
    );
  });
});

describe('listening beyond loopback needs a real sign-in', () => {
  it('isLoopbackHost knows loopback from everything else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '192.168.1.10',
      '10.0.0.1',
      '128.0.0.1',
      '127.0.0.1.example.com',
      '',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('startHostServer refuses the demo sign-in on a non-loopback address (exit code 2), allows it on loopback', async () => {
    const options = { ...loopbackDemoAuth(), trainlytics: opened.trainlytics, db: database.db, port: 0 };
    const refused = startHostServer({ ...options, hostname: '0.0.0.0' });
    await expect(refused).rejects.toThrow(UserError);
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    const server = await startHostServer({ ...options, hostname: '127.0.0.1' });
    await server.close();
  });
});

let hostAppCache: Hono | undefined;
function hostApp(): Hono {
  hostAppCache ??= createHostApp({
    trainlytics: opened.trainlytics,
    db: database.db,
    baseUrl: BASE,
    authenticate: headerAuth,
  });
  return hostAppCache;
}

async function oauthStates(): Promise<number> {
  const { rows } = await database.db.query<{ n: string }>(
    'select count(*) as n from trainlytics_oauth_states',
  );
  return Number(rows[0]!.n);
}
