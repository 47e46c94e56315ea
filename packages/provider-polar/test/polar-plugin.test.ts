import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConfigurationError,
  type ConnectionContext,
  createHttpClient,
  createMemoryRateLimitTracker,
  type JsonValue,
  type NormalizedActivity,
  NotFoundError,
  OAuthError,
  ProviderApiError,
  type ProviderContext,
  providerAppContext,
  type RateLimitTracker,
  ReauthorizationRequiredError,
  silentLogger,
  ValidationError,
  type WebhookRequest,
  WebhookVerificationError,
} from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  activatePolarWebhook,
  createPolarWebhook,
  deactivatePolarWebhook,
  deletePolarWebhook,
  listPolarWebhooks,
  type PolarProvider,
  polar,
  signPolarWebhook,
} from '../src';
import { type PolarSandbox, type PolarSandboxOptions, startPolarSandbox } from '../src/sandbox';

const redirectUri = 'https://app.example.com/polar/callback';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function setup(options: PolarSandboxOptions = {}) {
  const clock = new FakeClock('2026-03-01T12:00:00Z');
  const sandbox = await startPolarSandbox({ clock, ...options });
  closers.push(() => sandbox.close());
  const provider = sandbox.createProvider();
  const tracker = createMemoryRateLimitTracker();
  return { clock, sandbox, provider, tracker };
}

function providerContext(
  provider: PolarProvider,
  clock: FakeClock,
  tracker?: RateLimitTracker,
): ProviderContext {
  const http = createHttpClient({
    provider: provider.id,
    providerName: provider.name,
    clock,
    logger: silentLogger,
    rateLimit: provider.rateLimit,
    rateLimitTracker: tracker,
    describeError: provider.describeError,
  });
  return { http, clock, logger: silentLogger };
}

function connectionContext(
  provider: PolarProvider,
  clock: FakeClock,
  token: string,
  connection: { userId?: number; providerUserId: string | null },
  tracker?: RateLimitTracker,
): ConnectionContext {
  const http = createHttpClient({
    provider: provider.id,
    providerName: provider.name,
    clock,
    logger: silentLogger,
    rateLimit: provider.rateLimit,
    rateLimitTracker: tracker,
    describeError: provider.describeError,
    accessToken: async () => token,
  });
  return {
    http,
    clock,
    logger: silentLogger,
    connection: {
      id: 1,
      userId: connection.userId ?? 42,
      providerUserId: connection.providerUserId,
      scopes: ['accesslink.read_all'],
      profile: {},
    },
  };
}

async function authorize(sandbox: PolarSandbox, provider: PolarProvider, providerUserId: string) {
  const url = provider.oauth.authorizationUrl({
    state: 's1',
    redirectUri,
    scopes: provider.oauth.defaultScopes,
  });
  const callback = await sandbox.approve(url.toString(), { providerUserId });
  return callback.searchParams.get('code')!;
}

/** Connects as core does: authorize, exchange, register (afterAuthorize). */
async function connect(
  env: Awaited<ReturnType<typeof setup>>,
  activityCount: number,
  provider: PolarProvider = env.provider,
) {
  const { sandbox, clock, tracker } = env;
  const { providerUserId } = await sandbox.seedAccount({ activityCount });
  const code = await authorize(sandbox, provider, providerUserId);
  const ctx = providerContext(provider, clock, tracker);
  const result = await provider.oauth.exchangeCode(
    { code, redirectUri, callbackParams: new URLSearchParams({ code }) },
    ctx,
  );
  const connCtx = connectionContext(provider, clock, result.tokens.accessToken, { providerUserId }, tracker);
  const after = await provider.afterAuthorize!(connCtx, result);
  return { providerUserId, result, after, ctx: connCtx, code };
}

async function collect(
  iterable: AsyncIterable<{ activities: { providerActivityId: string }[]; cursor: JsonValue }>,
) {
  const pages: { ids: string[]; cursor: JsonValue }[] = [];
  for await (const page of iterable)
    pages.push({ ids: page.activities.map((a) => a.providerActivityId), cursor: page.cursor });
  return pages;
}

function webhookRequest(body: string, headers: Record<string, string>): WebhookRequest {
  const bytes = new TextEncoder().encode(body);
  return {
    method: 'POST',
    url: new URL('https://app.example.com/webhooks/polar'),
    headers: new Headers(headers),
    body: bytes,
    text: () => body,
    json: () => JSON.parse(body),
  };
}

describe('polar(): settings', () => {
  it('reads nothing at construction and names the missing variable when a call needs it', () => {
    const provider = polar({ env: {} });
    expect(provider.capabilities).toEqual({
      refresh: false,
      pkce: false,
      webhooks: true,
      backfill: 'pull',
      registration: true,
    });
    const call = () => provider.oauth.authorizationUrl({ state: 's', redirectUri, scopes: [] });
    expect(call).toThrow(ConfigurationError);
    expect(call).toThrow(/Polar AccessLink client id is missing/);
    try {
      call();
    } catch (error) {
      expect((error as ConfigurationError).hint).toMatch(/POLAR_CLIENT_ID/);
    }
  });

  it('takes credentials and base URLs from env, defaulting to the real endpoints', () => {
    const fromEnv = polar({
      env: { POLAR_CLIENT_ID: 'cid', POLAR_AUTHORIZE_URL: 'http://127.0.0.1:9/oauth2/authorization' },
    });
    const url = fromEnv.oauth.authorizationUrl({ state: 's', redirectUri, scopes: ['accesslink.read_all'] });
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:9/oauth2/authorization');
    const real = polar({ clientId: 'cid', env: {} }).oauth.authorizationUrl({
      state: 's',
      redirectUri,
      scopes: [],
    });
    expect(real.origin + real.pathname).toBe('https://flow.polar.com/oauth2/authorization');
  });
});

describe('polar(): OAuth and registration', () => {
  it('builds the authorization URL with accesslink.read_all, state and redirect_uri', async () => {
    const { provider, sandbox } = await setup();
    const url = provider.oauth.authorizationUrl({
      state: 'xyz',
      redirectUri,
      scopes: provider.oauth.defaultScopes,
    });
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: sandbox.clientId,
      redirect_uri: redirectUri,
      scope: 'accesslink.read_all',
      state: 'xyz',
    });
  });

  it('exchanges the code with Basic auth: x_user_id is the account, no refresh token', async () => {
    const env = await setup();
    const { providerUserId, result } = await connect(env, 1);
    expect(result.providerUserId).toBe(providerUserId);
    expect(result.tokens.refreshToken).toBeNull();
    expect(result.tokens.expiresAt?.getTime()).toBe(env.clock.now().getTime() + 31_535_999_000);
    expect(env.sandbox.requestCount({ pathPrefix: '/v2/oauth2/token', method: 'POST' })).toBe(1);
  });

  it('reports a refused exchange as an OAuthError, without retrying the single-use code', async () => {
    const env = await setup();
    const { providerUserId } = await env.sandbox.seedAccount({ activityCount: 1 });
    const code = await authorize(env.sandbox, env.provider, providerUserId);
    const wrong = env.sandbox.createProvider({ clientSecret: 'not-the-secret' });
    const error = await wrong.oauth
      .exchangeCode(
        { code, redirectUri, callbackParams: new URLSearchParams() },
        providerContext(wrong, env.clock),
      )
      .catch((e: unknown) => e);
    expect(OAuthError.isInstance(error)).toBe(true);
    expect((error as OAuthError).code).toBe('invalid_client');
    expect(env.sandbox.requestCount({ pathPrefix: '/v2/oauth2/token' })).toBe(1);
  });

  it('refuses a reused code, which revokes the tokens already issued for it', async () => {
    const env = await setup();
    const { code, ctx } = await connect(env, 1);
    const error = await env.provider.oauth
      .exchangeCode(
        { code, redirectUri, callbackParams: new URLSearchParams() },
        providerContext(env.provider, env.clock),
      )
      .catch((e: unknown) => e);
    expect(OAuthError.isInstance(error)).toBe(true);
    expect((error as OAuthError).code).toBe('invalid_grant');
    const listing = await collect(env.provider.listActivities(ctx, { cursor: null, full: false })).catch(
      (e) => e,
    );
    expect(ReauthorizationRequiredError.isInstance(listing)).toBe(true);
    expect((listing as ReauthorizationRequiredError).reason).toBe('token-refused');
  });

  it('leaves redirect_uri out of both calls when sendRedirectUri is false', async () => {
    const env = await setup({ redirectUris: [redirectUri] });
    const provider = env.sandbox.createProvider({ sendRedirectUri: false });
    const url = provider.oauth.authorizationUrl({ state: 's', redirectUri, scopes: ['accesslink.read_all'] });
    expect(url.searchParams.has('redirect_uri')).toBe(false);
    const { result, after } = await connect(env, 1, provider);
    expect(result.tokens.accessToken).toEqual(expect.any(String));
    expect(after).toMatchObject({ providerUserId: result.providerUserId });
  });

  it('registers the user with the host user id as member-id, and returns the profile', async () => {
    const env = await setup();
    const { providerUserId, after, ctx } = await connect(env, 1);
    expect(env.sandbox.isRegistered(providerUserId)).toBe(true);
    expect(after).toMatchObject({ providerUserId, profile: { providerUserId, avatarUrl: null } });
    expect((after as { profile: { firstName: string } }).profile.firstName).toEqual(expect.any(String));
    const profile = await env.provider.fetchProfile(ctx);
    expect(profile.providerUserId).toBe(providerUserId);
    const user = (
      await ctx.http.request({ url: `${env.sandbox.apiUrl}/users/${providerUserId}`, auth: 'user' })
    ).data as Record<string, unknown>;
    expect(user['member-id']).toBe('42');
  });

  it('treats 409 (already registered) as success and reads the profile', async () => {
    const env = await setup();
    const first = await connect(env, 1);
    const code = await authorize(env.sandbox, env.provider, first.providerUserId);
    const result = await env.provider.oauth.exchangeCode(
      { code, redirectUri, callbackParams: new URLSearchParams() },
      providerContext(env.provider, env.clock),
    );
    const ctx = connectionContext(env.provider, env.clock, result.tokens.accessToken, {
      providerUserId: first.providerUserId,
    });
    const after = await env.provider.afterAuthorize!(ctx, result);
    expect(after).toMatchObject({
      providerUserId: first.providerUserId,
      profile: { providerUserId: first.providerUserId },
    });
    expect(env.sandbox.requestCount({ pathPrefix: '/v3/users', method: 'POST' })).toBe(2);
  });

  it('reports a user without Polar consents as needing to accept them (403)', async () => {
    const env = await setup();
    const { providerUserId } = await env.sandbox.seedAccount({ activityCount: 1, consentsAccepted: false });
    const code = await authorize(env.sandbox, env.provider, providerUserId);
    const result = await env.provider.oauth.exchangeCode(
      { code, redirectUri, callbackParams: new URLSearchParams() },
      providerContext(env.provider, env.clock),
    );
    const ctx = connectionContext(env.provider, env.clock, result.tokens.accessToken, { providerUserId });
    const error = await env.provider.afterAuthorize!(ctx, result).catch((e: unknown) => e);
    expect(ReauthorizationRequiredError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/they have not accepted Polar's mandatory consents/);
    expect((error as ReauthorizationRequiredError).hint).toMatch(/flow\.polar\.com/);
  });

  it('reports consents withdrawn later (403 on a data call) as needing the user to act', async () => {
    const env = await setup();
    const { providerUserId, ctx } = await connect(env, 2);
    env.sandbox.setConsents(providerUserId, false);
    const error = await collect(env.provider.listActivities(ctx, { cursor: null, full: false })).catch(
      (e) => e,
    );
    expect(ReauthorizationRequiredError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/not accepted Polar's mandatory consents/);
    const fetchError = await env.provider.fetchChanged!(ctx, 'AAAxQ1').catch((e: unknown) => e);
    expect(ReauthorizationRequiredError.isInstance(fetchError)).toBe(true);
    const profileError = await env.provider.fetchProfile(ctx).catch((e: unknown) => e);
    expect(ReauthorizationRequiredError.isInstance(profileError)).toBe(true);
  });

  it('deregisters on revoke (disconnect), which also revokes the token', async () => {
    const env = await setup();
    const { providerUserId, ctx } = await connect(env, 1);
    await env.provider.oauth.revoke!(ctx);
    expect(env.sandbox.isRegistered(providerUserId)).toBe(false);
    await expect(env.provider.oauth.revoke!(ctx)).resolves.toBeUndefined(); // already gone is fine
  });

  it('turns a revoked token into ReauthorizationRequiredError (token-refused) telling the user to reconnect', async () => {
    const env = await setup();
    const { providerUserId, ctx } = await connect(env, 2);
    await env.sandbox.expireAccessTokens(providerUserId);
    const error = await collect(env.provider.listActivities(ctx, { cursor: null, full: false })).catch(
      (e) => e,
    );
    expect(ReauthorizationRequiredError.isInstance(error)).toBe(true);
    expect((error as ReauthorizationRequiredError).reason).toBe('token-refused');
    expect((error as Error).message).toMatch(/reconnect/);
  });
});

describe('polar(): exercises', () => {
  it('pages the 30-day listing oldest upload first, with a cursor that skips what was stored', async () => {
    const env = await setup();
    const provider = env.sandbox.createProvider({ pageSize: 10 });
    const { providerUserId, ctx } = await connect(env, 25, provider);
    const pages = await collect(provider.listActivities(ctx, { cursor: null, full: false }));
    expect(pages.map((p) => p.ids.length)).toEqual([10, 10, 5]);
    expect(new Set(pages.flatMap((p) => p.ids)).size).toBe(25);
    const last = pages.at(-1)!.cursor as { newestUploadTime: string; idsAtNewest: string[] };
    expect(last).toMatchObject({ flow: 'exercises', idsAtNewest: [pages.at(-1)!.ids.at(-1)] });

    const nothing = await collect(provider.listActivities(ctx, { cursor: last, full: false }));
    expect(nothing).toEqual([{ ids: [], cursor: last }]);

    // two exercises uploaded at the same instant: both are new, then both are known
    const added = await env.sandbox.addActivities(providerUserId, 2);
    const fresh = await collect(provider.listActivities(ctx, { cursor: last, full: false }));
    expect(fresh.flatMap((p) => p.ids).sort()).toEqual([...added].sort());
    const after = fresh.at(-1)!.cursor as { idsAtNewest: string[] };
    expect(after.idsAtNewest.sort()).toEqual([...added].sort());
    expect(await collect(provider.listActivities(ctx, { cursor: after, full: false }))).toEqual([
      { ids: [], cursor: after },
    ]);

    // a full sync ignores the cursor
    const full = await collect(provider.listActivities(ctx, { cursor: after, full: true }));
    expect(full.flatMap((p) => p.ids)).toHaveLength(27);
    expect(env.sandbox.requestCount({ pathPrefix: '/v3/exercises' })).toBe(5); // one request per listing
  });

  it('finds an exercise uploaded in the instant of the newest one stored, and one Polar lists late with an older upload_time, once each', async () => {
    const env = await setup();
    const provider = env.sandbox.createProvider({ pageSize: 4 });
    const { providerUserId, ctx } = await connect(env, 9, provider);
    const first = await collect(provider.listActivities(ctx, { cursor: null, full: false }));
    const cursor = first.at(-1)!.cursor as { newestUploadTime: string };
    const newest = new Date(cursor.newestUploadTime);
    env.clock.advance(60_000);
    // uploaded exactly when the newest stored one was (the boundary instant), and one listed only now but
    // uploaded a minute before it (Polar processed it late), starting in the same second as another
    const onBoundary = await env.sandbox.addActivity(providerUserId, { uploadTime: newest });
    const late = await env.sandbox.addActivity(providerUserId, {
      uploadTime: new Date(newest.getTime() - 60_000),
      startTime: new Date(newest.getTime() - 3_600_000),
    });
    const second = await collect(provider.listActivities(ctx, { cursor, full: false }));
    expect(second.flatMap((p) => p.ids).sort()).toEqual([onBoundary, late].sort());
    const third = await collect(provider.listActivities(ctx, { cursor: second.at(-1)!.cursor, full: false }));
    expect(third.flatMap((p) => p.ids)).toEqual([]);
    // everything listed was yielded exactly once over the three syncs
    const all = [...first, ...second, ...third].flatMap((p) => p.ids);
    expect(all.sort()).toEqual(env.sandbox.listedExerciseIds(providerUserId).sort());
  });

  it('lists a history whose exercises share start seconds whole', async () => {
    const env = await setup();
    const provider = env.sandbox.createProvider({ pageSize: 3 });
    const { providerUserId } = await env.sandbox.seedAccount({ activityCount: 12, tieSize: 4 });
    const code = await authorize(env.sandbox, provider, providerUserId);
    const result = await provider.oauth.exchangeCode(
      { code, redirectUri, callbackParams: new URLSearchParams({ code }) },
      providerContext(provider, env.clock),
    );
    const ctx = connectionContext(provider, env.clock, result.tokens.accessToken, { providerUserId });
    await provider.afterAuthorize!(ctx, result);
    const activities = [];
    for await (const page of provider.listActivities(ctx, { cursor: null, full: false }))
      activities.push(...page.activities);
    expect(new Set(activities.map((a) => a.startDate.getTime())).size).toBe(3);
    expect(activities.map((a) => a.providerActivityId).sort()).toEqual(
      env.sandbox.listedExerciseIds(providerUserId).sort(),
    );
  });

  it('runs the transactional flow: one page per transaction, committed only through commit()', async () => {
    const env = await setup();
    const provider = env.sandbox.createProvider({ exerciseFlow: 'transactional' });
    const { ctx } = await connect(env, 60, provider);

    // the engine did not commit: the generator stops and Polar hands the same data out again
    const uncommitted: string[][] = [];
    for await (const page of provider.listActivities(ctx, { cursor: null, full: false })) {
      uncommitted.push(page.activities.map((a) => a.providerActivityId));
    }
    expect(uncommitted.map((p) => p.length)).toEqual([50]);
    expect(env.sandbox.requestCount({ method: 'PUT' })).toBe(0);

    const committed: string[][] = [];
    for await (const page of provider.listActivities(ctx, { cursor: null, full: false })) {
      committed.push(page.activities.map((a) => a.providerActivityId));
      expect(page.cursor).toMatchObject({ flow: 'transactional' });
      await page.commit?.();
    }
    expect(committed.map((p) => p.length)).toEqual([50, 10]);
    expect(committed[0]).toEqual(uncommitted[0]);
    expect(env.sandbox.requestCount({ method: 'PUT' })).toBe(2);
    // the ids are the transactional integer ids, as strings
    expect(committed[0]![0]).toMatch(/^\d+$/);
    // nothing new: 204, no page
    expect(await collect(provider.listActivities(ctx, { cursor: null, full: false }))).toEqual([]);
  });

  it('keeps transactional exercise ids beyond 2^53 exact, in the id and in raw', async () => {
    const env = await setup({ largeTransactionalIds: true });
    const provider = env.sandbox.createProvider({ exerciseFlow: 'transactional' });
    const { ctx } = await connect(env, 3, provider);
    const activities: NormalizedActivity[] = [];
    for await (const page of provider.listActivities(ctx, { cursor: null, full: false })) {
      activities.push(...page.activities);
    }
    const expected = [0n, 1n, 2n].map((i) => String(2n ** 53n + 1n + i));
    expect(activities.map((a) => a.providerActivityId).sort()).toEqual(expected);
    for (const activity of activities) {
      expect((activity.raw as { id: unknown }).id).toBe(activity.providerActivityId);
      expect(activity.detail).toBe('detail');
    }
  });

  it('fetches an exercise a webhook points at, only on the configured API', async () => {
    const env = await setup();
    const { providerUserId, ctx } = await connect(env, 1);
    const [id] = await env.sandbox.addActivities(providerUserId, 1);
    const byUrl = await env.provider.fetchChanged!(ctx, `${env.sandbox.apiUrl}/exercises/${id}`);
    expect(byUrl.activities.map((a) => a.providerActivityId)).toEqual([id]);
    // the exercise a webhook fetches is the record the listing holds: both complete
    expect(byUrl.activities[0]?.detail).toBe('detail');
    const byId = await env.provider.fetchChanged!(ctx, id!);
    expect(byId.activities).toHaveLength(1);
    const gone = await env.provider.fetchChanged!(ctx, 'AAAunknownQ1');
    expect(gone).toEqual({ activities: [], rejected: [] });

    env.sandbox.resetCounters();
    for (const ref of [
      `http://evil.example/v3/exercises/${id}`,
      `${env.sandbox.baseUrl}/elsewhere/exercises/${id}`,
      `${env.sandbox.apiUrl}/webhooks`,
    ]) {
      const error = await env.provider.fetchChanged!(ctx, ref).catch((e: unknown) => e);
      expect(ValidationError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/not on the configured Polar API/);
    }
    expect(env.sandbox.requestCount()).toBe(0);
  });
});

describe('polar(): rate limits', () => {
  it('reports RateLimit-* headers to core and waits out a 429 on the fake clock', async () => {
    const env = await setup();
    const { ctx } = await connect(env, 3);
    const snapshot = env.tracker.snapshot('polar').snapshots[0];
    expect(snapshot?.bucket).toBe('app');
    expect(snapshot?.windows.map((w) => w.name)).toEqual(['short', 'long']);
    expect(snapshot?.windows[0]?.limit).toBe(520); // 500 + 20 per registered user

    env.sandbox.setFaults({ rateLimited: { times: 1 } });
    const pages = await collect(env.provider.listActivities(ctx, { cursor: null, full: false }));
    expect(pages.flatMap((p) => p.ids)).toHaveLength(3);
    // no Retry-After: the wait comes from RateLimit-Reset (the short window, 15 minutes from its first request)
    expect(env.clock.sleeps).toEqual([15 * 60_000]);
  });

  it('gives up with RateLimitError when the wait is longer than allowed', async () => {
    const env = await setup({ rateLimit: { windowMs: 60 * 60_000, limit: 2 } });
    const { ctx } = await connect(env, 1); // registration: 1 request
    await collect(env.provider.listActivities(ctx, { cursor: null, full: false })); // 2
    const error = await collect(env.provider.listActivities(ctx, { cursor: null, full: false })).catch(
      (e) => e,
    );
    expect(ProviderApiError.isInstance(error)).toBe(true);
    expect((error as Error).name).toBe('RateLimitError');
  });
});

describe('polar(): webhooks', () => {
  it('answers the PING handshake and ignores other requests', async () => {
    const { provider } = await setup();
    const ping = webhookRequest('{"timestamp":"2026-03-01T12:00:00Z","event":"PING"}', {
      'polar-webhook-event': 'PING',
    });
    expect(await provider.webhooks.handshake!(ping, {} as ProviderContext)).toMatchObject({ status: 200 });
    const exercise = webhookRequest('{"event":"EXERCISE"}', { 'polar-webhook-event': 'EXERCISE' });
    expect(await provider.webhooks.handshake!(exercise, {} as ProviderContext)).toBeNull();
  });

  it('refuses an unsigned delivery on its headers, before the body is read; lets the PING through', async () => {
    const { provider } = await setup();
    const verifyHeaders = provider.webhooks.verifyHeaders!;
    const head = (headers: Record<string, string>) => ({
      method: 'POST',
      url: new URL('https://app.example.com/webhooks/polar'),
      headers: new Headers(headers),
    });
    const ctx = {} as ProviderContext;
    expect(() => verifyHeaders(head({ 'polar-webhook-event': 'PING' }), ctx)).not.toThrow();
    expect(() =>
      verifyHeaders(head({ 'polar-webhook-event': 'EXERCISE', 'polar-webhook-signature': 'ab' }), ctx),
    ).not.toThrow();
    expect(() => verifyHeaders(head({ 'polar-webhook-event': 'EXERCISE' }), ctx)).toThrow(
      /no Polar-Webhook-Signature header/,
    );
    expect(() => verifyHeaders(head({}), ctx)).toThrow(WebhookVerificationError);
  });

  it('verifies the HMAC-SHA256 signature over the raw bytes before parsing', async () => {
    const { provider, sandbox } = await setup();
    const body =
      '{"event":"EXERCISE","user_id":475,"entity_id":"aQlC83","timestamp":"2018-05-15T14:22:24Z","url":"https://www.polaraccesslink.com/v3/exercises/aQlC83"}';
    const signature = signPolarWebhook(body, sandbox.webhookSecret);
    const ctx = {} as ProviderContext;
    expect(() =>
      provider.webhooks.verify(webhookRequest(body, { 'polar-webhook-signature': signature }), ctx),
    ).not.toThrow();
    // same JSON, different bytes
    const reformatted = JSON.stringify(JSON.parse(body), null, 1);
    expect(() =>
      provider.webhooks.verify(webhookRequest(reformatted, { 'polar-webhook-signature': signature }), ctx),
    ).toThrow(WebhookVerificationError);
    expect(() =>
      provider.webhooks.verify(
        webhookRequest(body, { 'polar-webhook-signature': signature.slice(0, 10) }),
        ctx,
      ),
    ).toThrow(/does not match/);
    expect(() => provider.webhooks.verify(webhookRequest(body, {}), ctx)).toThrow(
      /no Polar-Webhook-Signature/,
    );
    const unconfigured = polar({ env: {} });
    expect(() =>
      unconfigured.webhooks.verify(webhookRequest(body, { 'polar-webhook-signature': signature }), ctx),
    ).toThrow(ConfigurationError);

    const events = await provider.webhooks.parse(webhookRequest(body, {}), ctx);
    expect(events).toEqual([
      {
        type: 'activity.changed',
        providerUserId: '475',
        eventKey: 'EXERCISE:475:aQlC83',
        ref: 'https://www.polaraccesslink.com/v3/exercises/aQlC83',
      },
    ]);
    // an empty `url` (seen from the webhook property, which answered 503): fetched by the entity id
    const noUrl = '{"event":"EXERCISE","user_id":475,"entity_id":"aQlC83","url":""}';
    expect(await provider.webhooks.parse(webhookRequest(noUrl, {}), ctx)).toMatchObject([{ ref: 'aQlC83' }]);
    expect(await provider.webhooks.parse(webhookRequest('{"event":"SLEEP","user_id":1}', {}), ctx)).toEqual(
      [],
    );
    await expect(provider.webhooks.parse(webhookRequest('{"event":"EXERCISE"}', {}), ctx)).rejects.toThrow(
      ValidationError,
    );
  });

  it("sends the webhook management calls through the runtime's context when given one", async () => {
    const { provider, sandbox, tracker } = await setup();
    let calls = 0;
    const context = providerAppContext(provider, {
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
      rateLimitTracker: tracker,
    });
    const admin = {
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      apiUrl: sandbox.apiUrl,
      env: {},
    };
    expect(await listPolarWebhooks({ ...admin, context })).toEqual([]);
    expect(await provider.webhookSubscriptions.list(context)).toEqual([]);
    expect(calls).toBe(2);
    // without one, the plugin builds the same client itself (the global fetch here)
    expect(await listPolarWebhooks(admin)).toEqual([]);
    expect(calls).toBe(2);
  });

  it('creates, lists and deletes the webhook; the creation ping is answered by the plugin', async () => {
    const { provider, sandbox } = await setup();
    // a host endpoint answering with the plugin's handshake, as trainlytics.webhooks.handle does
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = new Headers(req.headers as Record<string, string>);
        const answer = await provider.webhooks.handshake!(
          webhookRequest(body, Object.fromEntries(headers)),
          {} as ProviderContext,
        );
        res.writeHead(answer?.status ?? 401).end(answer?.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/polar`;

    const created = await provider.webhookSubscriptions.create({ url });
    expect(created).toMatchObject({ events: ['EXERCISE'], url, signatureSecretKey: sandbox.webhookSecret });
    const admin = {
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      apiUrl: sandbox.apiUrl,
      env: {},
    };
    expect(await listPolarWebhooks(admin)).toEqual([
      { id: created.id, events: ['EXERCISE'], url, active: true },
    ]);
    const duplicate = await createPolarWebhook({ url }, admin).catch((e: unknown) => e);
    expect(ProviderApiError.isInstance(duplicate)).toBe(true);
    expect((duplicate as Error).message).toMatch(/already has a webhook/);
    await deletePolarWebhook(created.id, admin);
    expect(await provider.webhookSubscriptions.list()).toEqual([]);
  });

  /** A webhook endpoint answering Polar's PING with `answer.status`, and the client credentials of `sandbox`. */
  async function pingEndpoint(sandbox: PolarSandbox) {
    const answer = { status: 200 };
    const server = createServer((_req, res) => res.writeHead(answer.status).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/polar`;
    const admin = {
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      apiUrl: sandbox.apiUrl,
      env: {},
    };
    return { url, admin, answer };
  }

  it('deleting a webhook that is already deleted throws a ProviderApiError 404 naming the call', async () => {
    const { provider, sandbox } = await setup();
    const { url, admin } = await pingEndpoint(sandbox);

    const created = await createPolarWebhook({ url }, admin);
    await deletePolarWebhook(created.id, admin);
    for (const again of [
      () => deletePolarWebhook(created.id, admin),
      () => provider.webhookSubscriptions.delete(created.id),
    ]) {
      const error = await again().then(
        () => null,
        (e: unknown) => e,
      );
      expect(ProviderApiError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ status: 404, provider: 'polar', isRetryable: false });
      expect((error as Error).message).toContain('(delete webhook)');
      expect((error as Error).message).toContain(`Webhook ${created.id} not found`);
    }
    expect(sandbox.requestCount({ method: 'DELETE' })).toBe(3); // not retried
  });

  it('deactivates and re-activates the webhook; with none, Polar answers 204 and that is a NotFoundError', async () => {
    const { sandbox } = await setup();
    const { url, admin, answer } = await pingEndpoint(sandbox);

    const none = await activatePolarWebhook(admin).then(
      () => null,
      (e: unknown) => e,
    );
    expect(NotFoundError.isInstance(none)).toBe(true);
    expect(none).toMatchObject({ provider: 'polar' });
    expect((none as NotFoundError).hint).toMatch(/createPolarWebhook/);

    const noneToPause = await deactivatePolarWebhook(admin).then(
      () => null,
      (e: unknown) => e,
    );
    expect(NotFoundError.isInstance(noneToPause)).toBe(true);
    expect((noneToPause as Error).message).toMatch(/no webhook for this client to deactivate/);

    await createPolarWebhook({ url }, admin);
    expect((await listPolarWebhooks(admin))[0]?.active).toBe(true);
    await deactivatePolarWebhook(admin);
    expect((await listPolarWebhooks(admin))[0]?.active).toBe(false);
    expect(sandbox.requestCount({ method: 'POST', pathPrefix: '/v3/webhooks/deactivate' })).toBe(2);
    // Polar activates only when the URL answers its ping 200
    answer.status = 503;
    const refused = await activatePolarWebhook(admin).then(
      () => null,
      (e: unknown) => e,
    );
    expect(ProviderApiError.isInstance(refused)).toBe(true);
    expect(refused).toMatchObject({ status: 400, provider: 'polar' });
    expect((await listPolarWebhooks(admin))[0]?.active).toBe(false);
    answer.status = 200;
    await activatePolarWebhook(admin);
    expect((await listPolarWebhooks(admin))[0]?.active).toBe(true);
  });
});
