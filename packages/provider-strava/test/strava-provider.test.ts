import {
  ConfigurationError,
  createHttpClient,
  FakeClock,
  type FetchFunction,
  InsufficientScopeError,
  OAuthError,
  ProviderApiError,
  RateLimitError,
  silentLogger,
} from '@trainlytics/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox, UNSAFE_ID_BASE } from '../src/sandbox-entry';
import { readStravaCursor, type StravaProvider, strava } from '../src/strava-provider';
import { collectPages, connectAthlete, createContext, redirectUri } from './harness';

let sandbox: StravaSandbox;
let provider: StravaProvider;

beforeAll(async () => {
  sandbox = await startStravaSandbox({ provider: { pageSize: 50 } });
  provider = strava(sandbox.providerOptions()); // with pageSize 50 from the sandbox options
});
afterAll(() => sandbox.close());
afterEach(() => {
  sandbox.resetFaults();
  sandbox.resetCounters();
});

const ids = (pages: { activities: { providerActivityId: string }[] }[]) =>
  pages.flatMap((p) => p.activities.map((a) => a.providerActivityId));

describe('settings', () => {
  it('reads credentials lazily and names the missing variable', () => {
    const unconfigured = strava({ env: {} }); // constructing never reads the environment
    expect(() => unconfigured.oauth.authorizationUrl({ state: 's', redirectUri, scopes: ['read'] })).toThrow(
      ConfigurationError,
    );
    try {
      unconfigured.oauth.authorizationUrl({ state: 's', redirectUri, scopes: ['read'] });
    } catch (error) {
      expect((error as ConfigurationError).hint).toContain('STRAVA_CLIENT_ID');
    }
  });

  it('takes credentials and base URLs from the STRAVA_* variables, defaulting to the real endpoints', () => {
    const fromEnv = strava({
      env: { STRAVA_CLIENT_ID: '42', STRAVA_AUTHORIZE_URL: 'http://127.0.0.1:1/oauth/authorize/' },
    });
    const url = fromEnv.oauth.authorizationUrl({ state: 's', redirectUri, scopes: ['read'] });
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:1/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('42');
    const real = strava({ clientId: '42', env: {} }).oauth.authorizationUrl({
      state: 's',
      redirectUri,
      scopes: ['read'],
    });
    expect(real.origin + real.pathname).toBe('https://www.strava.com/oauth/authorize');
  });
});

describe('revoke URL', () => {
  it('is /oauth/revoke next to either documented token URL', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 0 });
    for (const tokenUrl of [sandbox.tokenUrl, `${sandbox.apiUrl}/oauth/token`]) {
      const plugin = strava({ ...sandbox.providerOptions(), tokenUrl });
      const { ctx } = await connectAthlete(sandbox, plugin, providerUserId);
      sandbox.resetCounters();
      await plugin.oauth.revoke!(ctx);
      expect(sandbox.requestCount({ pathPrefix: '/oauth/revoke', method: 'POST' })).toBe(1);
      expect(sandbox.requestCount({ pathPrefix: '/oauth/deauthorize' })).toBe(0);
    }
  });
});

describe('OAuth against the sandbox', () => {
  it('builds the authorize URL with comma-separated scopes, state and approval_prompt', () => {
    const url = provider.oauth.authorizationUrl({
      state: 'abc',
      redirectUri,
      scopes: provider.oauth.defaultScopes,
    });
    expect(provider.oauth.defaultScopes).toEqual(['read', 'activity:read_all']);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: sandbox.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      approval_prompt: 'auto',
      scope: 'read,activity:read_all',
      state: 'abc',
    });
    const forced = strava({ ...sandbox.providerOptions(), approvalPrompt: 'force' });
    expect(
      forced.oauth
        .authorizationUrl({ state: 'a', redirectUri, scopes: ['read'] })
        .searchParams.get('approval_prompt'),
    ).toBe('force');
  });

  it('exchanges the code: tokens, granted scopes and the athlete as profile', async () => {
    const { providerUserId } = await sandbox.seedAthlete({
      activityCount: 1,
      firstname: 'Ada',
      lastname: 'L',
    });
    const { result } = await connectAthlete(sandbox, provider, providerUserId);
    expect(result.providerUserId).toBe(providerUserId);
    expect(result.profile).toMatchObject({ providerUserId, firstName: 'Ada', lastName: 'L' });
    expect(result.tokens.scopes).toEqual(['read', 'activity:read_all']);
    expect(result.tokens.refreshToken).toMatch(/^[0-9a-f]{40}$/);
    const ttl = result.tokens.expiresAt!.getTime() - Date.now();
    expect(ttl).toBeGreaterThan(5.9 * 3600_000);
    expect(ttl).toBeLessThanOrEqual(6 * 3600_000);
  });

  it('refuses a connection without activity:read before exchanging the code', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 1 });
    sandbox.resetCounters();
    const error = await connectAthlete(sandbox, provider, providerUserId, { scopes: ['read'] }).catch(
      (e) => e,
    );
    expect(InsufficientScopeError.isInstance(error)).toBe(true);
    expect((error as InsufficientScopeError).granted).toEqual(['read']);
    expect((error as Error).message).toMatch(/did not allow Trainlytics to read activities/);
    expect(sandbox.requestCount({ pathPrefix: '/oauth/token' })).toBe(0);
  });

  it('accepts activity:read alone', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 1 });
    const { result } = await connectAthlete(sandbox, provider, providerUserId, {
      scopes: ['read', 'activity:read'],
    });
    expect(result.tokens.scopes).toEqual(['read', 'activity:read']);
  });

  it('refreshes with rotation: the returned refresh token works, the old one is refused', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 1 });
    const { result } = await connectAthlete(sandbox, provider, providerUserId);
    const { ctx } = createContext(provider);
    const rotated = await provider.oauth.refresh!({ refreshToken: result.tokens.refreshToken! }, ctx);
    expect(rotated.refreshToken).not.toBe(result.tokens.refreshToken);
    expect(rotated.refreshToken).toBe(sandbox.currentRefreshToken(providerUserId));
    const error = await provider.oauth.refresh!({ refreshToken: result.tokens.refreshToken! }, ctx).catch(
      (e) => e,
    );
    expect(OAuthError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/Strava refused the token refresh: refresh_token:invalid/);
    expect(await provider.oauth.refresh!({ refreshToken: rotated.refreshToken! }, ctx)).toMatchObject({
      accessToken: rotated.accessToken,
    });
  });

  it('refreshes an expired token on a 401 and keeps going', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 3 });
    const { ctx, tokens, result } = await connectAthlete(sandbox, provider, providerUserId);
    await sandbox.expireAccessTokens(providerUserId);
    const profile = await provider.fetchProfile(ctx);
    expect(profile.providerUserId).toBe(providerUserId);
    expect(tokens.current.accessToken).not.toBe(result.tokens.accessToken);
    expect(tokens.current.refreshToken).toBe(sandbox.currentRefreshToken(providerUserId));
  });

  it('revokes at Strava on disconnect', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 1 });
    const { ctx, tokens } = await connectAthlete(sandbox, provider, providerUserId);
    await provider.oauth.revoke!(ctx);
    const res = await fetch(`${sandbox.apiUrl}/athlete`, {
      headers: { authorization: `Bearer ${tokens.current.accessToken}` },
    });
    expect(res.status).toBe(401);
    expect(sandbox.requestCount({ pathPrefix: '/oauth/revoke', method: 'POST' })).toBe(1);
  });
});

describe('profile', () => {
  it('maps GET /athlete; a placeholder avatar is not a URL', async () => {
    const first = await sandbox.seedAthlete({ activityCount: 0 });
    const second = await sandbox.seedAthlete({ activityCount: 0 });
    const avatars = [];
    for (const { providerUserId } of [first, second]) {
      const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
      const profile = await provider.fetchProfile(ctx);
      expect(profile.providerUserId).toBe(providerUserId);
      expect(profile.profileUrl).toBe(`https://www.strava.com/athletes/${providerUserId}`);
      avatars.push(profile.avatarUrl);
    }
    // the sandbox gives every other athlete Strava's placeholder path
    expect(avatars.filter((a) => a === null)).toHaveLength(1);
    expect(avatars.find((a) => a !== null)).toMatch(/^https:\/\/.*large\.jpg$/);
  });
});

describe('listing activities', () => {
  it('a full sync pages through the whole history with per_page and before, ids exact', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 120 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    sandbox.resetCounters();
    const pages = await collectPages(provider, ctx, { cursor: null, full: true });
    const all = ids(pages);
    expect(all).toHaveLength(120);
    expect(new Set(all).size).toBe(120);
    expect(all).toEqual(sandbox.activityIds(providerUserId));
    // the newest activity's id is beyond 2^53 and arrives exact
    expect(BigInt(all[0]!) >= UNSAFE_ID_BASE).toBe(true);
    expect(Number.isSafeInteger(Number(all[0]))).toBe(false);
    expect(pages.flatMap((p) => p.rejected)).toEqual([]);
    // 3 pages of up to 50 (each after the first starts by re-reading the previous page's last second: 50 +
    // 49 + 21 new), one that re-reads the oldest second, and the empty page that ends the pass
    expect(pages).toHaveLength(5);
    expect(sandbox.requestCount({ pathPrefix: '/athlete/activities' })).toBe(5);
    const cursor = readStravaCursor(pages.at(-1)!.cursor);
    expect(cursor.pass).toBeUndefined();
    const newest = pages[0]!.activities[0]!.startDate.getTime() / 1000;
    expect(cursor.after).toBe(newest);
  });

  it('an interrupted backfill resumes from the last committed page', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 120 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    const firstRun = await collectPages(provider, ctx, { cursor: null, full: true }, 2);
    const committed = firstRun.at(-1)!.cursor;
    expect(readStravaCursor(committed).pass?.before).toBeTypeOf('number');
    sandbox.resetCounters();
    const secondRun = await collectPages(provider, ctx, { cursor: committed, full: true });
    // only the rest is requested: the page of the last 21, the re-read of the oldest second, the empty page
    expect(sandbox.requestCount({ pathPrefix: '/athlete/activities' })).toBe(3);
    const all = [...ids(firstRun), ...ids(secondRun)];
    expect(all).toEqual(sandbox.activityIds(providerUserId));
  });

  it('an incremental sync asks only for what is after the high-water mark', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 60 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    const full = await collectPages(provider, ctx, { cursor: null, full: true });
    const cursor = full.at(-1)!.cursor;
    const added = await sandbox.addActivities(providerUserId, 3);
    const incremental = await collectPages(provider, ctx, { cursor, full: false });
    expect(ids(incremental).sort()).toEqual([...added].sort());
    const nothing = await collectPages(provider, ctx, { cursor: incremental.at(-1)!.cursor, full: false });
    expect(ids(nothing)).toEqual([]);
    // the re-read of the high-water second (an activity uploaded later with that start would be found):
    // a short page holding only that second ends the pass whatever the order (ADR 0022)
    expect(nothing).toHaveLength(1);
    expect(nothing[0]!.cursor).toMatchObject({ shortStops: 1 });
  });

  it('works the same when Strava answers oldest first for an after-only query', async () => {
    const ascending = await startStravaSandbox({ ascendingWithAfter: true, provider: { pageSize: 2 } });
    try {
      const plugin = strava(ascending.providerOptions());
      const { providerUserId } = await ascending.seedAthlete({ activityCount: 5 });
      const { ctx } = await connectAthlete(ascending, plugin, providerUserId);
      const full = await collectPages(plugin, ctx, { cursor: null, full: true });
      expect(ids(full)).toHaveLength(5);
      const added = await ascending.addActivities(providerUserId, 5);
      const incremental = await collectPages(plugin, ctx, { cursor: full.at(-1)!.cursor, full: false });
      expect(ids(incremental)).toEqual(added); // oldest first, window moved up page by page
      const again = await collectPages(plugin, ctx, { cursor: incremental.at(-1)!.cursor, full: false });
      expect(ids(again)).toEqual([]);
    } finally {
      await ascending.close();
    }
  });

  it('rejects malformed items one by one and stores the rest', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 10 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    sandbox.setFaults({ malformedItems: 3 });
    const pages = await collectPages(provider, ctx, { cursor: null, full: true });
    const rejected = pages.flatMap((p) => p.rejected);
    expect(rejected).toHaveLength(3);
    expect(rejected.every((e) => e.issues.some((i) => i.path === 'start_date'))).toBe(true);
    expect(ids(pages)).toHaveLength(7);
  });

  it('reports the rate-limit headers to the tracker', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 2 });
    const { ctx, tracker } = await connectAthlete(sandbox, provider, providerUserId);
    await collectPages(provider, ctx, { cursor: null, full: true });
    const snapshot = tracker.snapshot('strava');
    expect(snapshot.snapshots.map((s) => s.bucket)).toEqual(['overall', 'read']);
    const window = snapshot.snapshots[0]!.windows[0]!;
    expect(window).toMatchObject({ name: '15min', limit: 1000 });
    expect(window.used).toBeGreaterThan(0);
  });

  it('on a 429 waits until the next quarter-hour instead of hammering', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 3 });
    const clock = new FakeClock('2026-03-04T10:07:30Z');
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId, { clock });
    sandbox.setFaults({ rateLimited: { times: 1 } });
    sandbox.resetCounters();
    const pages = await collectPages(provider, ctx, { cursor: null, full: true });
    expect(ids(pages)).toHaveLength(3);
    // 10:07:30 → 10:15:00, computed from Strava's windows (no Retry-After)
    expect(clock.sleeps).toContain(450_000);
    expect(clock.now().getTime()).toBeGreaterThanOrEqual(Date.parse('2026-03-04T10:15:00Z'));
    // 429, the page, the re-read of the oldest second, the empty page
    expect(sandbox.requestCount({ pathPrefix: '/athlete/activities' })).toBe(4);
  });

  it('when the daily window is used up, stops with a RateLimitError until midnight UTC', async () => {
    const daily = await startStravaSandbox({
      rateLimit: { limit: 100, dailyLimit: 2 },
      provider: { pageSize: 2 },
    });
    try {
      const plugin = strava(daily.providerOptions());
      const { providerUserId } = await daily.seedAthlete({ activityCount: 6 });
      const clock = new FakeClock('2026-03-04T10:07:30Z');
      const { ctx } = await connectAthlete(daily, plugin, providerUserId, { clock });
      const pages: string[] = [];
      const error = await (async () => {
        for await (const page of plugin.listActivities(ctx, { cursor: null, full: true })) {
          pages.push(...page.activities.map((a) => a.providerActivityId));
        }
      })().catch((e: unknown) => e);
      expect(RateLimitError.isInstance(error)).toBe(true);
      expect((error as RateLimitError).retryAt).toEqual(new Date('2026-03-05T00:00:00Z'));
      // what the two requests fetched stays usable: 2, then 1 new (each page re-reads its boundary second)
      expect(pages).toHaveLength(3);
      expect(clock.sleeps.every((ms) => ms < 15 * 60_000)).toBe(true); // never slept until midnight
    } finally {
      await daily.close();
    }
  });

  it('a server error surfaces as ProviderApiError after retries', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 3 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    sandbox.setFaults({ status: { code: 503, times: 10 } });
    const error = await collectPages(provider, ctx, { cursor: null, full: true }).catch((e) => e);
    expect(ProviderApiError.isInstance(error)).toBe(true);
    expect((error as ProviderApiError).status).toBe(503);
  });
});

describe('reliability', () => {
  it('streams a 10,000-activity backfill 200 per page', async () => {
    const big = await startStravaSandbox();
    try {
      const plugin = strava(big.providerOptions());
      const { providerUserId } = await big.seedAthlete({ activityCount: 10_000, seed: 5 });
      const { ctx } = await connectAthlete(big, plugin, providerUserId);
      let pages = 0;
      let largest = 0;
      const seen = new Set<string>();
      for await (const page of plugin.listActivities(ctx, { cursor: null, full: true })) {
        pages++;
        largest = Math.max(largest, page.activities.length);
        for (const a of page.activities) seen.add(a.providerActivityId);
      }
      expect(seen.size).toBe(10_000);
      expect(largest).toBe(200);
      // ⌈9,999/199⌉ = 51 pages (each after the first re-reads one boundary activity), the re-read of the
      // oldest second, the empty one
      expect(pages).toBe(53);
    } finally {
      await big.close();
    }
  });

  it('survives added latency and a connection reset (retried by core)', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 4 });
    const { ctx, clock } = await connectAthlete(sandbox, provider, providerUserId);
    sandbox.setFaults({ latencyMs: 20, connectionResets: 1 });
    const pages = await collectPages(provider, ctx, { cursor: null, full: true });
    expect(ids(pages)).toHaveLength(4);
    expect(clock.sleeps).toContain(500); // core's first backoff step after the reset
  });

  it('retries an invalid JSON body, and times out a request that never gets an answer', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 2 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    sandbox.setFaults({ invalidJson: 1 });
    expect(ids(await collectPages(provider, ctx, { cursor: null, full: true }))).toHaveLength(2);

    sandbox.setFaults({ hangs: 1 });
    const hanging = createHttpClient({
      provider: 'strava',
      clock: new FakeClock(),
      logger: silentLogger,
      timeoutMs: 200,
      maxRetries: 0,
    });
    const error = await hanging.request({ url: `${sandbox.apiUrl}/athlete` }).catch((e: unknown) => e);
    expect(ProviderApiError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/did not answer/);
  });
});

describe('fetchChanged (webhook targets)', () => {
  it('fetches the DetailedActivity: calories and device name', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 4 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    const [newest] = sandbox.activityIds(providerUserId, { limit: 1 });
    const batch = await provider.fetchChanged(ctx, newest!);
    expect(batch.activities).toHaveLength(1);
    expect(batch.activities[0]?.providerActivityId).toBe(newest);
    expect(Number.isSafeInteger(Number(newest))).toBe(false);
    expect(batch.activities[0]?.deviceName).toBeTypeOf('string');
    expect(batch.activities[0]?.calories).toBeTypeOf('number');
  });

  it('keeps int64 ids exact even when map.id does not carry them (bodies parsed with parseStravaJson)', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 2 });
    // Real bodies go through the sandbox; only map.id is blanked, as in the reference's detailed example.
    const blankMapIds: FetchFunction = async (input, init) => {
      const res = await fetch(input, init);
      const text = (await res.text()).replace(/"map":\{"id":"a\d+"/g, '"map":{"id":"a1"');
      return new Response(text, { status: res.status, headers: res.headers });
    };
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId, { fetch: blankMapIds });
    const [bigId] = sandbox.activityIds(providerUserId, { limit: 1 });
    expect(Number.isSafeInteger(Number(bigId))).toBe(false);
    const batch = await provider.fetchChanged(ctx, bigId!);
    expect(batch.activities[0]?.providerActivityId).toBe(bigId);
    // in a listing too: the body is parsed without rounding, so nothing is rejected or stored under a wrong id
    const pages = await collectPages(provider, ctx, { cursor: null, full: true });
    expect(ids(pages)).toHaveLength(2);
    expect(ids(pages)).toContain(bigId);
    expect(pages.flatMap((p) => p.rejected)).toEqual([]);
  });

  it('treats a missing activity as deleted', async () => {
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 2 });
    const { ctx } = await connectAthlete(sandbox, provider, providerUserId);
    const [id] = sandbox.activityIds(providerUserId, { limit: 1 });
    await sandbox.deleteActivity(providerUserId, id!);
    expect(await provider.fetchChanged(ctx, id!)).toEqual({ activities: [], rejected: [], deletedIds: [id] });
  });
});
