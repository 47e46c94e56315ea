import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ProviderV1 } from '../provider/v1/provider-v1';
import type { FetchFunction } from '../provider-utils/http-client';
import type { ConformanceSandbox, ConformanceWebhookEvent, SandboxFaults } from './conformance-sandbox';
import { createTestProvider, type TestProviderSettings } from './test-provider';

interface Account {
  id: string;
  firstName: string;
  lastName: string;
  activities: Map<string, Record<string, unknown>>;
}

interface AccessToken {
  userId: string;
  expired: boolean;
}

interface AuthCode {
  userId: string;
  redirectUri: string;
  challenge: string | null;
  scope: string;
}

export interface TestProviderServerOptions extends Omit<TestProviderSettings, 'baseUrl'> {}

/** The Testfit server: a real HTTP server on 127.0.0.1 implementing `ConformanceSandbox`. */
export interface TestProviderServer extends ConformanceSandbox {
  readonly settings: TestProviderSettings;
  createProvider(options?: { fetch?: FetchFunction; pageSize?: number }): ProviderV1;
  /** Refresh-token grants answered (successful or not). */
  refreshRequests(): number;
  /** Whether the account's access was revoked through `/oauth/revoke`. */
  isRevoked(providerUserId: string): boolean;
}

const SPORTS = ['Run', 'Ride', 'Swim', 'Walk', 'TrailRun', 'Kitesurf'];

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the Testfit server on 127.0.0.1, port 0. It keeps accounts, codes and tokens in memory,
 * counts requests, and applies `SandboxFaults` to `/api/*` requests.
 */
export async function startTestProviderServer(
  options: TestProviderServerOptions = {},
): Promise<TestProviderServer> {
  const clientId = options.clientId ?? 'test-client';
  const clientSecret = options.clientSecret ?? 'test-secret';
  const webhookSecret = options.webhookSecret ?? 'test-webhook-secret';
  const refreshEnabled = options.refresh ?? true;
  const accounts = new Map<string, Account>();
  const codes = new Map<string, AuthCode>();
  const accessTokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, string>();
  const revoked = new Set<string>();
  const requests: { method: string; path: string }[] = [];
  const sockets = new Set<Socket>();
  let faults: SandboxFaults = {};
  let seq = 0;
  let accountCounter = 0;
  let refreshCount = 0;
  let eventCounter = 0;

  const issueTokens = (userId: string) => {
    const access = `at_${randomBytes(12).toString('hex')}`;
    accessTokens.set(access, { userId, expired: false });
    const out: Record<string, unknown> = { access_token: access, token_type: 'bearer', user_id: userId };
    if (refreshEnabled) {
      const refresh = `rt_${randomBytes(12).toString('hex')}`;
      refreshTokens.set(refresh, userId);
      out.refresh_token = refresh;
      out.expires_in = 3600;
    }
    return out;
  };

  const newActivity = (account: Account, random: () => number, start: Date, manual = false) => {
    seq++;
    const id = `tf${seq}`;
    const duration = 1200 + Math.floor(random() * 5400);
    const activity = {
      id,
      seq,
      name: `Activity ${seq}`,
      sport: SPORTS[Math.floor(random() * SPORTS.length)] ?? 'Run',
      start_time: start.toISOString(),
      utc_offset_s: 3600,
      elapsed_s: duration,
      moving_s: Math.floor(duration * 0.9),
      distance_m: Math.round(random() * 30000 * 10) / 10,
      avg_hr: random() < 0.2 ? null : 120 + Math.floor(random() * 50),
      manual,
    };
    account.activities.set(id, activity);
    return id;
  };

  function authorizedUser(req: IncomingMessage): string | null {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const entry = accessTokens.get(token);
    if (!entry || entry.expired || revoked.has(entry.userId)) return null;
    return entry.userId;
  }

  async function handleOAuth(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/oauth/authorize' && req.method === 'GET') {
      const q = url.searchParams;
      if (q.get('client_id') !== clientId) return send(res, 400, { message: 'unknown client_id' });
      const redirect = new URL(q.get('redirect_uri') ?? '');
      const state = q.get('state');
      if (state) redirect.searchParams.set('state', state);
      const user = q.get('user');
      if (q.get('decision') === 'deny' || !user || !accounts.has(user)) {
        redirect.searchParams.set('error', 'access_denied');
      } else {
        const code = `code_${randomBytes(10).toString('hex')}`;
        const scope = q.get('granted_scope') ?? q.get('scope') ?? '';
        codes.set(code, {
          userId: user,
          redirectUri: q.get('redirect_uri') ?? '',
          challenge: q.get('code_challenge'),
          scope,
        });
        redirect.searchParams.set('code', code);
        redirect.searchParams.set('scope', scope);
      }
      res.writeHead(302, { location: redirect.toString() });
      res.end();
      return;
    }
    if (url.pathname === '/oauth/token' && req.method === 'POST') {
      const form = await readForm(req);
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
        return send(res, 401, { error: 'invalid_client', error_description: 'bad client credentials' });
      }
      const grant = form.get('grant_type');
      if (grant === 'authorization_code') {
        const code = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!code)
          return send(res, 400, { error: 'invalid_grant', error_description: 'unknown or used code' });
        if (code.redirectUri !== form.get('redirect_uri')) {
          return send(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri mismatch' });
        }
        if (code.challenge) {
          const verifier = form.get('code_verifier') ?? '';
          if (createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
            return send(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
          }
        }
        revoked.delete(code.userId);
        return send(res, 200, { ...issueTokens(code.userId), scope: code.scope });
      }
      if (grant === 'refresh_token' && refreshEnabled) {
        refreshCount++;
        const token = form.get('refresh_token') ?? '';
        const userId = refreshTokens.get(token);
        if (faults.rejectRefresh || !userId || revoked.has(userId)) {
          return send(res, 400, { error: 'invalid_grant', error_description: 'refresh token revoked' });
        }
        refreshTokens.delete(token);
        return send(res, 200, issueTokens(userId));
      }
      return send(res, 400, { error: 'unsupported_grant_type' });
    }
    if (url.pathname === '/oauth/revoke' && req.method === 'POST') {
      const user = authorizedUser(req);
      if (!user) return send(res, 401, { message: 'invalid token' });
      revoked.add(user);
      return send(res, 200, { revoked: true });
    }
    send(res, 404, { message: 'not found' });
  }

  /** Applies the fault knobs; true when the request was answered (or dropped) by a fault. */
  async function applyFaults(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.hangs && faults.hangs > 0) {
      faults.hangs--;
      return true; // never answered: the client times out
    }
    if (faults.connectionResets && faults.connectionResets > 0) {
      faults.connectionResets--;
      req.socket.destroy();
      return true;
    }
    const status = faults.status;
    if (status && status.times > 0 && (!status.pathPrefix || url.pathname.startsWith(status.pathPrefix))) {
      status.times--;
      if (status.times === 0) delete faults.status;
      send(res, status.code, { message: `injected HTTP ${status.code}` });
      return true;
    }
    const limited = faults.rateLimited;
    if (limited && limited.times > 0) {
      limited.times--;
      if (limited.times === 0) delete faults.rateLimited;
      send(
        res,
        429,
        { message: 'Rate Limit Exceeded' },
        {
          'retry-after': String(limited.retryAfterSeconds ?? 30),
          'x-ratelimit-limit': '10000',
          'x-ratelimit-used': '10000',
        },
      );
      return true;
    }
    if (faults.invalidJson && faults.invalidJson > 0) {
      faults.invalidJson--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"items": [');
      return true;
    }
    return false;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (await applyFaults(req, res, url)) return;
    const userId = authorizedUser(req);
    if (!userId) return send(res, 401, { message: 'Authorization Error: invalid or expired access token' });
    const account = accounts.get(userId);
    if (!account) return send(res, 404, { message: 'account gone' });
    const headers = { 'x-ratelimit-limit': '10000', 'x-ratelimit-used': String(requests.length) };
    if (url.pathname === '/api/me') {
      return send(
        res,
        200,
        { id: account.id, first_name: account.firstName, last_name: account.lastName, city: 'Gent' },
        headers,
      );
    }
    if (url.pathname === '/api/activities') {
      const after = Number(url.searchParams.get('after_seq') ?? '0');
      const limit = Math.max(1, Math.min(200, Number(url.searchParams.get('limit') ?? '30')));
      const all = [...account.activities.values()]
        .filter((a) => (a.seq as number) > after)
        .sort((a, b) => (a.seq as number) - (b.seq as number));
      const page = all.slice(0, limit).map((a) => ({ ...a }));
      let malformed = faults.malformedItems ?? 0;
      for (const item of page) {
        if (malformed <= 0) break;
        item.start_time = 'yesterday';
        malformed--;
      }
      if (faults.malformedItems) delete faults.malformedItems;
      const lastSeq = page.length > 0 ? (page[page.length - 1]?.seq as number) : after;
      return send(res, 200, { items: page, last_seq: lastSeq, has_more: all.length > limit }, headers);
    }
    const match = /^\/api\/activities\/([^/]+)$/.exec(url.pathname);
    if (match) {
      const activity = account.activities.get(decodeURIComponent(match[1] ?? ''));
      if (!activity) return send(res, 404, { message: 'Record Not Found' });
      return send(res, 200, activity, headers);
    }
    send(res, 404, { message: 'not found' });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? 'GET', path: url.pathname });
    const handler = url.pathname.startsWith('/oauth/') ? handleOAuth : handleApi;
    handler(req, res, url).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 500, { message: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const settings: TestProviderSettings = { ...options, baseUrl, clientId, clientSecret, webhookSecret };

  const accountOf = (id: string) => {
    const account = accounts.get(id);
    if (!account) throw new Error(`Testfit server: no account ${id}`);
    return account;
  };

  return {
    baseUrl,
    settings,
    createProvider(providerOptions = {}) {
      return createTestProvider({
        ...settings,
        ...(providerOptions.pageSize === undefined ? {} : { pageSize: providerOptions.pageSize }),
      });
    },
    async seedAccount({ activityCount, seed }) {
      accountCounter++;
      const id = `u${accountCounter}${randomBytes(3).toString('hex')}`;
      const account: Account = {
        id,
        firstName: 'Tess',
        lastName: `Fit${accountCounter}`,
        activities: new Map(),
      };
      accounts.set(id, account);
      const random = seeded(seed ?? accountCounter);
      const start = Date.parse('2025-01-01T07:00:00Z');
      for (let i = 0; i < activityCount; i++) newActivity(account, random, new Date(start + i * 86_400_000));
      return { providerUserId: id };
    },
    async addActivities(providerUserId, count) {
      const account = accountOf(providerUserId);
      const random = seeded(seq + 7);
      const ids: string[] = [];
      for (let i = 0; i < count; i++)
        ids.push(newActivity(account, random, new Date(Date.now() - i * 60_000)));
      return ids;
    },
    async activityCount(providerUserId) {
      return accountOf(providerUserId).activities.size;
    },
    async approve(authorizationUrl, { providerUserId, deny, scopes }) {
      const url = new URL(authorizationUrl);
      url.searchParams.set('user', providerUserId);
      url.searchParams.set('decision', deny ? 'deny' : 'approve');
      if (scopes) url.searchParams.set('granted_scope', scopes.join(' '));
      const res = await fetch(url, { redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status !== 302 || !location)
        throw new Error(`Testfit consent page answered HTTP ${res.status}`);
      return new URL(location);
    },
    async expireAccessTokens(providerUserId) {
      for (const entry of accessTokens.values()) if (entry.userId === providerUserId) entry.expired = true;
    },
    setFaults(next) {
      faults = { ...faults, ...structuredClone(next) };
    },
    resetFaults() {
      faults = {};
    },
    requestCount(filter = {}) {
      return requests.filter(
        (r) =>
          (!filter.pathPrefix || r.path.startsWith(filter.pathPrefix)) &&
          (!filter.method || r.method === filter.method.toUpperCase()),
      ).length;
    },
    resetCounters() {
      requests.length = 0;
      refreshCount = 0;
    },
    refreshRequests: () => refreshCount,
    isRevoked: (providerUserId) => revoked.has(providerUserId),
    async webhookRequest(event: ConformanceWebhookEvent, webhookOptions = {}) {
      eventCounter++;
      let body: Record<string, unknown>;
      if (event.type === 'deauthorized') {
        body = { event_id: `ev${eventCounter}`, type: 'deauthorized', user_id: event.providerUserId };
      } else {
        if (event.type === 'activity.deleted')
          accountOf(event.providerUserId).activities.delete(event.providerActivityId);
        body = {
          event_id: `ev${eventCounter}`,
          type: event.type,
          user_id: event.providerUserId,
          activity_id: event.providerActivityId,
        };
      }
      const text = JSON.stringify(body);
      return new Request(webhookOptions.url ?? `${baseUrl}/webhooks/testfit`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-testfit-signature': createHmac('sha256', webhookSecret).update(text).digest('hex'),
        },
        body: text,
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
