import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConfigurationError,
  createMemoryRateLimitTracker,
  createTrainlytics,
  type FetchFunction,
  providerAppContext,
  RateLimitError,
  type RateLimitTracker,
} from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestProvider, FakeClock } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const seen: IncomingHttpHeaders[] = [];
let status = 200;
let used = 7;
let base = '';
const server = createServer((req, res) => {
  seen.push(req.headers);
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-ratelimit-limit': '100',
    'x-ratelimit-used': String(used),
  });
  res.end('{"ok":true}');
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const store = postgresStore('postgres://postgres@127.0.0.1:5432/never_opened');

/** The in-memory tracker, noting which provider each reservation was for. */
function reservingTracker(): RateLimitTracker & { reserved: string[] } {
  const inner = createMemoryRateLimitTracker();
  const reserved: string[] = [];
  return {
    ...inner,
    reserved,
    reserve(providerId, now) {
      reserved.push(providerId);
      return inner.reserve(providerId, now);
    },
  };
}

function countingFetch(): FetchFunction & { calls: number } {
  const fn = ((input, init) => {
    fn.calls++;
    return globalThis.fetch(input, init);
  }) as FetchFunction & { calls: number };
  fn.calls = 0;
  return fn;
}

describe("trainlytics.providerContext: the instance's client for app-level calls", () => {
  it("sends through the instance's fetch with the plugin's user agent, retrying as the instance says", async () => {
    const fetch = countingFetch();
    const provider = { ...createTestProvider({ baseUrl: base }), userAgent: 'provider-testfit/9.9.9' };
    const t = createTrainlytics({
      store,
      providers: [provider],
      fetch,
      clock: new FakeClock('2026-01-01T00:00:00Z'),
      http: { maxRetries: 0 },
    });
    seen.length = 0;
    const res = await t.providerContext('testfit').http.request({ url: `${base}/admin`, operation: 'list' });
    expect(res.data).toEqual({ ok: true });
    expect(fetch.calls).toBe(1);
    expect(seen[0]?.['user-agent']).toMatch(/^trainlytics\/\S+ provider-testfit\/9\.9\.9$/);

    status = 503;
    const failed = await t
      .providerContext('testfit')
      .http.request({ url: `${base}/admin`, operation: 'list' })
      .catch((e: unknown) => e);
    status = 200;
    expect((failed as Error).name).toBe('ProviderApiError');
    expect(fetch.calls).toBe(2); // maxRetries: 0 from the instance's `http`
  });

  it("counts the call against the instance's rate-limit tracker: reserved before it is sent, its headers recorded", async () => {
    const rateLimitTracker = reservingTracker();
    const t = createTrainlytics({
      store,
      providers: [createTestProvider({ baseUrl: base })],
      clock: new FakeClock('2026-01-01T00:00:00Z'),
      rateLimitTracker,
    });
    await t.providerContext('testfit').http.request({ url: `${base}/admin`, operation: 'list' });
    expect(rateLimitTracker.reserved).toEqual(['testfit']);
    const { snapshots } = rateLimitTracker.snapshot('testfit');
    expect(snapshots[0]?.windows[0]).toMatchObject({ limit: 100, used: 7 });
  });

  it("shares the instance's own tracker between contexts: a window used up by one call holds back the next", async () => {
    const fetch = countingFetch();
    const t = createTrainlytics({
      store,
      providers: [createTestProvider({ baseUrl: base })],
      fetch,
      clock: new FakeClock('2026-01-01T00:00:00Z'),
      http: { maxRateLimitWaitMs: 0 },
    });
    used = 100; // the answer says the window (100 requests, resets in a minute) is used up
    try {
      await t.providerContext('testfit').http.request({ url: `${base}/admin`, operation: 'list' });
    } finally {
      used = 7;
    }
    const held = await t
      .providerContext('testfit')
      .http.request({ url: `${base}/admin`, operation: 'list' })
      .catch((e: unknown) => e);
    expect(held).toBeInstanceOf(RateLimitError);
    expect(fetch.calls).toBe(1); // the second call was never sent
  });

  it('refuses an unknown provider id with a ConfigurationError', () => {
    const t = createTrainlytics({ store, providers: [createTestProvider({ baseUrl: base })] });
    expect(() => t.providerContext('wahoo')).toThrow(ConfigurationError);
  });
});

describe('providerAppContext: the same client without an instance', () => {
  it('uses the given fetch and clock, and the plugin own fetch before it', async () => {
    const fetch = countingFetch();
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const ctx = providerAppContext(createTestProvider({ baseUrl: base }), { fetch, clock });
    expect(ctx.clock).toBe(clock);
    await ctx.http.request({ url: `${base}/admin`, operation: 'list' });
    expect(fetch.calls).toBe(1);

    const own = countingFetch();
    const plugin = { ...createTestProvider({ baseUrl: base }), fetch: own };
    await providerAppContext(plugin, { fetch }).http.request({ url: `${base}/admin`, operation: 'list' });
    expect([own.calls, fetch.calls]).toEqual([1, 1]);
  });

  it('records the rate-limit headers in the tracker it is given', async () => {
    const rateLimitTracker = createMemoryRateLimitTracker();
    const ctx = providerAppContext(createTestProvider({ baseUrl: base }), { rateLimitTracker });
    await ctx.http.request({ url: `${base}/admin`, operation: 'list' });
    const { snapshots } = rateLimitTracker.snapshot('testfit');
    expect(snapshots[0]?.windows[0]).toMatchObject({ limit: 100, used: 7 });
  });
});
