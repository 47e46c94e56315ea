import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AppSuspendedError,
  ConnectionLimitError,
  createHttpClient,
  createMemoryRateLimitTracker,
  ProviderApiError,
  RateLimitError,
  ReauthorizationRequiredError,
  silentLogger,
  ValidationError,
} from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let script: Handler[] = [];
const seen: { url: string; authorization: string | undefined; userAgent: string | undefined }[] = [];
let base = '';
const server = createServer((req, res) => {
  seen.push({
    url: req.url ?? '',
    authorization: req.headers.authorization,
    userAgent: req.headers['user-agent'],
  });
  const next = script.shift();
  if (next) next(req, res);
  else {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  }
});
const reply =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  script = [];
  seen.length = 0;
});

const client = (clock: FakeClock, extra: Partial<Parameters<typeof createHttpClient>[0]> = {}) =>
  createHttpClient({ provider: 'testfit', providerName: 'Testfit', clock, logger: silentLogger, ...extra });

describe('http client', () => {
  it('retries a 5xx with exponential backoff on the injected clock, then succeeds', async () => {
    const clock = new FakeClock();
    script = [reply(502, 'bad gateway'), reply(503, 'unavailable')];
    const res = await client(clock).request({ url: `${base}/x`, query: { a: 1, b: undefined } });
    expect(res.data).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([500, 1000]);
    expect(seen.map((s) => s.url)).toEqual(['/x?a=1', '/x?a=1', '/x?a=1']);
    expect(seen[0]?.userAgent).toMatch(/^trainlytics\//);
  });

  it('gives up after maxRetries with a ProviderApiError carrying status and body', async () => {
    const clock = new FakeClock();
    script = Array.from({ length: 5 }, () => reply(500, { message: 'boom' }));
    const error = await client(clock, { maxRetries: 2 })
      .request({ url: `${base}/y`, operation: 'list activities' })
      .catch((e: unknown) => e);
    expect(ProviderApiError.isInstance(error)).toBe(true);
    expect((error as ProviderApiError).status).toBe(500);
    expect((error as ProviderApiError).responseBody).toContain('boom');
    expect((error as Error).message).toBe(
      "Testfit 'list activities' failed with HTTP 500 Internal Server Error",
    );
    expect(seen).toHaveLength(3);
  });

  it('honours Retry-After on a 429 and tells the tracker', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const tracker = createMemoryRateLimitTracker();
    script = [reply(429, {}, { 'retry-after': '7' })];
    await client(clock, { rateLimitTracker: tracker }).request({ url: `${base}/z` });
    expect(clock.sleeps).toEqual([7000]);
    expect(tracker.snapshot('testfit').blockedUntil?.toISOString()).toBe('2026-03-01T00:00:07.000Z');
  });

  it('a 429 beyond the wait cap is a RateLimitError with the retry time', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    script = [reply(429, {}, { 'retry-after': '3600' })];
    const error = await client(clock, { maxRateLimitWaitMs: 60_000 })
      .request({ url: `${base}/z` })
      .catch((e: unknown) => e);
    expect(RateLimitError.isInstance(error)).toBe(true);
    expect((error as RateLimitError).retryAt.toISOString()).toBe('2026-03-01T01:00:00.000Z');
    expect((error as Error).message).toContain('retry after 2026-03-01T01:00:00.000Z');
    expect(clock.sleeps).toEqual([]);
  });

  describe('request classes (one 429 must not freeze token calls and user-facing calls)', () => {
    const blockedTracker = async (clock: FakeClock) => {
      const tracker = createMemoryRateLimitTracker();
      await tracker.block('testfit', new Date(clock.now().getTime() + 15 * 60_000));
      return tracker;
    };

    it('an oauth request neither waits for a blocked API budget nor blocks it with its own 429', async () => {
      const clock = new FakeClock('2026-03-01T00:03:00Z');
      const tracker = await blockedTracker(clock);
      const http = client(clock, { rateLimitTracker: tracker });
      const res = await http.request({ url: `${base}/oauth/token`, method: 'POST', requestClass: 'oauth' });
      expect(res.data).toEqual({ ok: true });
      expect(clock.sleeps).toEqual([]);

      const fresh = createMemoryRateLimitTracker();
      script = [reply(429, {}, { 'retry-after': '600' })];
      const error = await client(clock, { rateLimitTracker: fresh })
        .request({ url: `${base}/oauth/token`, method: 'POST', requestClass: 'oauth' })
        .catch((e: unknown) => e);
      expect(RateLimitError.isInstance(error)).toBe(true);
      expect(clock.sleeps).toEqual([]);
      expect(fresh.snapshot('testfit').blockedUntil).toBeNull();
      expect(await fresh.reserve('testfit', clock.now())).toBeNull();
    });

    it('an interactive request is sent at once although background work used up the window', async () => {
      const clock = new FakeClock('2026-03-01T00:03:00Z');
      const tracker = await blockedTracker(clock);
      const res = await client(clock, { rateLimitTracker: tracker, requestClass: 'interactive' }).request({
        url: `${base}/api/me`,
      });
      expect(res.data).toEqual({ ok: true });
      expect(clock.sleeps).toEqual([]);
      expect(seen.map((s) => s.url)).toEqual(['/api/me']);
    });

    it('an interactive request answered 429 fails at once and holds background requests back', async () => {
      const clock = new FakeClock('2026-03-01T00:03:00Z');
      const tracker = createMemoryRateLimitTracker();
      script = [reply(429, {}, { 'retry-after': '5' })];
      const error = await client(clock, { rateLimitTracker: tracker })
        .request({ url: `${base}/api/me`, requestClass: 'interactive' })
        .catch((e: unknown) => e);
      expect(RateLimitError.isInstance(error)).toBe(true);
      expect((error as RateLimitError).retryAt.toISOString()).toBe('2026-03-01T00:03:05.000Z');
      expect(clock.sleeps).toEqual([]);
      expect(seen).toHaveLength(1);
      // a background request of the same process waits for that time (within its cap)
      await client(clock, { rateLimitTracker: tracker }).request({ url: `${base}/api/list` });
      expect(clock.sleeps).toEqual([5000]);
    });

    it('a background request waits for the window only up to its cap, then fails with the reset time', async () => {
      const clock = new FakeClock('2026-03-01T00:03:00Z');
      const tracker = await blockedTracker(clock);
      const error = await client(clock, { rateLimitTracker: tracker, maxRateLimitWaitMs: 2_000 })
        .request({ url: `${base}/api/list` })
        .catch((e: unknown) => e);
      expect(RateLimitError.isInstance(error)).toBe(true);
      expect((error as RateLimitError).retryAt.toISOString()).toBe('2026-03-01T00:18:00.000Z');
      expect(clock.sleeps).toEqual([]);
      expect(seen).toHaveLength(0);
    });
  });

  it('on a 401 asks for a fresh token once, then retries with it', async () => {
    const clock = new FakeClock();
    const rejected: string[] = [];
    script = [reply(401, { message: 'expired' })];
    const res = await client(clock, {
      accessToken: async () => 'old',
      onUnauthorized: async (token) => {
        rejected.push(token);
        return 'new';
      },
    }).request({ url: `${base}/me`, auth: 'user' });
    expect(res.status).toBe(200);
    expect(rejected).toEqual(['old']);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer old', 'Bearer new']);
  });

  it('a second 401 is a ReauthorizationRequiredError (token-refused, status 401)', async () => {
    const clock = new FakeClock();
    script = [reply(401, {}), reply(401, {})];
    const error = await client(clock, { accessToken: async () => 't', onUnauthorized: async () => 't2' })
      .request({ url: `${base}/me`, auth: 'user' })
      .catch((e: unknown) => e);
    expect(ReauthorizationRequiredError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'token-refused', status: 401, provider: 'testfit' });
  });

  it('validates the payload with the schema and names the failing field', async () => {
    const clock = new FakeClock();
    script = [reply(200, { id: 'x' })];
    const error = await client(clock)
      .request({ url: `${base}/p`, operation: 'get profile', schema: z.object({ id: z.number() }) })
      .catch((e: unknown) => e);
    expect(ValidationError.isInstance(error)).toBe(true);
    expect((error as ValidationError).issues[0]?.path).toBe('id');
  });

  it('a network error is retried, then reported with the origin', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const error = await client(clock, {
      maxRetries: 1,
      fetch: async () => {
        calls++;
        throw new TypeError('fetch failed');
      },
    })
      .request({ url: `${base}/n` })
      .catch((e: unknown) => e);
    expect(calls).toBe(2);
    expect((error as Error).message).toContain(`Could not reach Testfit for GET /n at ${base}`);
  });

  it('parses bodies with the request parse hook (int64 ids beyond 2^53 stay exact)', async () => {
    const clock = new FakeClock();
    script = [reply(200, '{"id":9007199254740993}'), reply(200, '{"id":9007199254740993}')];
    const keepDigits = (text: string) => JSON.parse(text.replace(/:(\d{16,})/g, ':"$1"'));
    const exact = await client(clock).request({ url: `${base}/a`, parse: keepDigits });
    const rounded = await client(clock).request({ url: `${base}/a` });
    expect(exact.data).toEqual({ id: '9007199254740993' });
    expect(rounded.data).toEqual({ id: 9007199254740992 });
  });

  it('counts every request through onRequest', async () => {
    const clock = new FakeClock();
    const statuses: (number | undefined)[] = [];
    script = [reply(500, {})];
    await client(clock, { onRequest: (info) => statuses.push(info.status) }).request({ url: `${base}/c` });
    expect(statuses).toEqual([500, 200]);
  });
});

describe('memory rate-limit tracker', () => {
  it('waits for a used-up window until it resets, then lets requests through', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const tracker = createMemoryRateLimitTracker();
    const resetsAt = new Date('2026-03-01T00:15:00Z');
    await tracker.observe(
      'strava',
      [{ bucket: 'overall', windows: [{ name: '15min', limit: 2, used: 1, resetsAt }] }],
      clock.now(),
    );
    expect(await tracker.reserve('strava', clock.now())).toBeNull();
    expect(await tracker.reserve('strava', clock.now())).toEqual(resetsAt);
    clock.set(resetsAt);
    expect(await tracker.reserve('strava', clock.now())).toBeNull();
    expect(await tracker.reserve('garmin', clock.now())).toBeNull();
  });

  it('throws the app-wide errors a describeError condition names, at once, refreshing nothing', async () => {
    const clock = new FakeClock('2026-07-01T00:00:00Z');
    let refreshed = 0;
    const describeError = ({ body }: { status: number; body: string }) =>
      body.includes('suspended')
        ? { condition: 'app-suspended' as const, reason: 'inactive', hint: 'reactivate the app' }
        : body.includes('full')
          ? { condition: 'connection-limit' as const, limit: 10, message: 'the app is full' }
          : undefined;
    const http = client(clock, {
      describeError,
      appSuspendedRetryMs: 60_000,
      accessToken: async () => 'tok',
      onUnauthorized: async () => {
        refreshed++;
        return 'tok2';
      },
    });
    for (const status of [401, 403, 503]) {
      script = [reply(status, 'suspended')];
      seen.length = 0;
      const error = await http.request({ url: `${base}/a`, auth: 'user' }).catch((e: unknown) => e);
      expect(AppSuspendedError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        status,
        reason: 'inactive',
        hint: 'reactivate the app',
        provider: 'testfit',
      });
      expect((error as AppSuspendedError).retryAt.toISOString()).toBe('2026-07-01T00:01:00.000Z');
      expect(seen).toHaveLength(1);
    }
    script = [reply(403, 'full')];
    const full = await http.request({ url: `${base}/b` }).catch((e: unknown) => e);
    expect(ConnectionLimitError.isInstance(full)).toBe(true);
    expect(full).toMatchObject({ limit: 10, status: 403, message: 'the app is full' });
    expect(refreshed).toBe(0);
    expect(clock.sleeps).toEqual([]);
  });

  it('puts the access token in a form field only when asked (RFC 7009 revocation)', async () => {
    const bodies: string[] = [];
    script = [
      (req, res) => {
        let text = '';
        req.on('data', (c: Buffer) => {
          text += c.toString();
        });
        req.on('end', () => {
          bodies.push(text);
          res.writeHead(200);
          res.end();
        });
      },
    ];
    await client(new FakeClock(), { accessToken: async () => 'secret-token' }).request({
      method: 'POST',
      url: `${base}/revoke`,
      auth: { basic: { username: 'id', password: 'pw' } },
      userTokenField: 'token',
      form: { token_type_hint: 'access_token' },
    });
    expect(bodies).toEqual(['token_type_hint=access_token&token=secret-token']);
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('id:pw').toString('base64')}`);
    await expect(
      client(new FakeClock()).request({ method: 'POST', url: `${base}/revoke`, userTokenField: 'token' }),
    ).rejects.toThrow(/userTokenField needs a connection context/);
  });
});
