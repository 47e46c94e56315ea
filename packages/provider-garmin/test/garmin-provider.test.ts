import {
  FakeClock,
  InsufficientScopeError,
  OAuthError,
  pkceChallenge,
  RateLimitError,
  ValidationError,
} from '@trainlytics/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { garmin } from '../src/garmin-provider';
import type { GarminCursor } from '../src/garmin-sync';
import { type GarminSandbox, startGarminSandbox } from '../src/sandbox';
import { createHarness, toWebhookRequest } from './harness';

const START = '2026-03-01T12:00:00Z';
const HOUR_MS = 3_600_000;
const DAY_S = 86_400;

let clock: FakeClock;
let sandbox: GarminSandbox;

beforeEach(async () => {
  clock = new FakeClock(START);
  sandbox = await startGarminSandbox({ clock, seed: 7 });
});
afterEach(async () => {
  await sandbox.close();
});

function setup(options: Parameters<typeof garmin>[0] = {}) {
  const provider = garmin({ ...sandbox.env(), ...options, env: sandbox.env() });
  return { provider, harness: createHarness(provider, clock) };
}

async function connected(activityCount: number, options: Parameters<typeof garmin>[0] = {}) {
  const { provider, harness } = setup(options);
  const { providerUserId } = await sandbox.seedAccount({ activityCount });
  const conn = await harness.connect((url) => sandbox.approve(url, { providerUserId }));
  return { provider, harness, providerUserId, ...conn };
}

describe('OAuth 2.0 PKCE', () => {
  it('builds the authorization URL with the S256 challenge and no scope', () => {
    const { provider } = setup();
    const url = provider.oauth.authorizationUrl({
      state: 's1',
      redirectUri: 'http://127.0.0.1/cb',
      scopes: [],
      codeChallenge: pkceChallenge('verifier'),
    });
    expect(url.origin + url.pathname).toBe(sandbox.authorizeUrl);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: sandbox.clientId,
      code_challenge: pkceChallenge('verifier'),
      code_challenge_method: 'S256',
      redirect_uri: 'http://127.0.0.1/cb',
      state: 's1',
    });
  });

  it('connects: 24 h token, 90-day rotating refresh token, Garmin userId and permissions', async () => {
    const { tokens, after, providerUserId, callback, state } = await connected(3);
    expect(callback.searchParams.get('state')).toBe(state);
    expect(after?.providerUserId).toBe(providerUserId);
    expect(after?.scopes).toEqual(sandbox.permissionsOf(providerUserId));
    expect(after?.scopes).toContain('ACTIVITY_EXPORT');
    expect(after?.profile?.providerUserId).toBe(providerUserId);
    expect(tokens.current.expiresAt?.getTime()).toBe(clock.now().getTime() + 86_399_000);
    expect(tokens.current.refreshTokenExpiresAt?.getTime()).toBe(clock.now().getTime() + 7_775_998_000);
    expect(tokens.current.scopes).toBeUndefined();
  });

  it('asks core to refresh 10 minutes before expiry', () => {
    expect(setup().provider.oauth.refreshMarginSeconds).toBe(600);
  });

  it('rejects a wrong code verifier with an OAuthError', async () => {
    const { provider, harness } = setup();
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const url = provider.oauth.authorizationUrl({
      state: 'st',
      redirectUri: 'http://127.0.0.1/cb',
      scopes: [],
      codeChallenge: pkceChallenge('the-right-verifier'),
    });
    const callback = await sandbox.approve(url.toString(), { providerUserId });
    const exchange = provider.oauth.exchangeCode(
      {
        code: callback.searchParams.get('code')!,
        redirectUri: 'http://127.0.0.1/cb',
        codeVerifier: 'a-wrong-verifier',
        callbackParams: callback.searchParams,
      },
      harness.appContext,
    );
    await expect(exchange).rejects.toSatisfy(
      (e: unknown) =>
        OAuthError.isInstance(e) && e.code === 'invalid_grant' && /code_verifier/.test(e.message),
    );
  });

  it('refuses a user who does not share ACTIVITY_EXPORT, naming the permission', async () => {
    const { harness } = setup();
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const attempt = harness.connect((url) =>
      sandbox.approve(url, { providerUserId, scopes: ['HEALTH_EXPORT'] }),
    );
    await expect(attempt).rejects.toSatisfy(
      (e: unknown) =>
        InsufficientScopeError.isInstance(e) &&
        e.required.includes('ACTIVITY_EXPORT') &&
        e.granted.join() === 'HEALTH_EXPORT' &&
        /ACTIVITY_EXPORT/.test(e.message),
    );
  });

  it('refreshes on a 401 with rotation: the old refresh token stops working', async () => {
    const { provider, harness, ctx, tokens, providerUserId } = await connected(2);
    const first = tokens.current;
    await sandbox.expireAccessTokens(providerUserId);
    const profile = await provider.fetchProfile(ctx);
    expect(profile.providerUserId).toBe(providerUserId);
    expect(tokens.current.refreshToken).not.toBe(first.refreshToken);
    expect(tokens.current.accessToken).not.toBe(first.accessToken);
    await expect(
      provider.oauth.refresh!({ refreshToken: first.refreshToken! }, harness.appContext),
    ).rejects.toSatisfy((e: unknown) => OAuthError.isInstance(e) && e.code === 'invalid_grant');
  });

  it('disconnect deregisters the user, and Garmin then sends a deregistration', async () => {
    const { provider, ctx, providerUserId } = await connected(1);
    await provider.oauth.revoke!(ctx);
    expect(sandbox.isRegistered(providerUserId)).toBe(false);
    const [notification] = sandbox.takeNotifications();
    const events = await provider.webhooks.parse(await toWebhookRequest(notification!), ctx);
    expect(events).toEqual([expect.objectContaining({ type: 'connection.deauthorized', providerUserId })]);
  });
});

describe('incremental sync (upload-time pull)', () => {
  it('pulls the first 7 days window by window, each at most 24 h, cursor advancing per window', async () => {
    const { harness, ctx, providerUserId } = await connected(24);
    sandbox.resetCounters();
    const result = await harness.sync(ctx, null);
    expect(result.activities).toHaveLength(await sandbox.activityCount(providerUserId));
    expect(new Set(result.activities.map((a) => a.providerActivityId)).size).toBe(24);
    expect(result.rejected).toEqual([]);
    // 7 full days plus the current second.
    expect(result.pages).toHaveLength(8);
    expect(sandbox.requestCount({ pathPrefix: '/wellness-api/rest/activities' })).toBe(8);
    const marks = result.pages.map((p) => (p.cursor as GarminCursor).uploadedThrough!);
    const nowS = clock.now().getTime() / 1000;
    expect(marks[0]).toBe(nowS - 6 * DAY_S);
    for (let i = 1; i < marks.length; i++) expect(marks[i]! - marks[i - 1]!).toBeLessThanOrEqual(DAY_S);
    expect(marks[marks.length - 1]).toBe(nowS);
    // Multisport: three legs stored, their parent not.
    const legs = result.activities.filter((a) => (a.raw as { parentSummaryId?: string }).parentSummaryId);
    expect(legs.map((a) => a.sportType)).toEqual(['open_water_swim', 'ride', 'run']);
    expect(result.activities.some((a) => a.providerSportType === 'MULTI_SPORT')).toBe(false);
    // Indoor activities have no distance.
    const indoorTypes = ['INDOOR_CYCLING', 'TREADMILL_RUNNING', 'INDOOR_ROWING', 'STRENGTH_TRAINING', 'YOGA'];
    const indoor = result.activities.filter((a) => indoorTypes.includes(a.providerSportType ?? ''));
    expect(indoor.length).toBeGreaterThan(0);
    for (const a of indoor) expect(a.distanceM).toBeNull();
  });

  it('picks up new uploads from the cursor, including ones uploaded in the current second', async () => {
    const { harness, ctx, providerUserId } = await connected(5);
    const first = await harness.sync(ctx, null);
    const added = await sandbox.addActivities(providerUserId, 3);
    const second = await harness.sync(ctx, first.cursor);
    expect(second.pages).toHaveLength(1);
    expect(second.activities.map((a) => a.providerActivityId).sort()).toEqual([...added].sort());
    // The cursor stops at now: what was uploaded in this second is read again once (core skips unchanged rows).
    clock.advance(2 * HOUR_MS);
    const third = await harness.sync(ctx, second.cursor);
    expect(third.activities.map((a) => a.providerActivityId).sort()).toEqual([...added].sort());
    expect((third.cursor as GarminCursor).uploadedThrough).toBe(clock.now().getTime() / 1000);
    clock.advance(HOUR_MS);
    const fourth = await harness.sync(ctx, third.cursor);
    expect(fourth.activities).toEqual([]);
    expect(fourth.pages).toHaveLength(1);
  });

  it('catches up a cursor 3 days behind in 24-hour windows', async () => {
    const { harness, ctx } = await connected(3);
    const nowS = clock.now().getTime() / 1000;
    sandbox.resetCounters();
    const result = await harness.sync(ctx, { uploadedThrough: nowS - 3 * DAY_S });
    expect(result.pages).toHaveLength(4);
    expect(sandbox.requestCount({ pathPrefix: '/wellness-api/rest/activities' })).toBe(4);
  });

  it('stores the good items of a page and rejects the malformed ones', async () => {
    const { harness, ctx } = await connected(24);
    sandbox.setFaults({ malformedItems: 2 });
    const result = await harness.sync(ctx, null);
    expect(result.rejected).toHaveLength(2);
    expect(result.activities).toHaveLength(22);
    for (const r of result.rejected) {
      expect(r.provider).toBe('garmin');
      expect(r.itemId).toMatch(/^\d+$/);
      expect(r.issues[0]!.path).toBe('startTimeInSeconds');
    }
  });

  it('refuses to sync when the user stopped sharing activities', async () => {
    const { provider, harness, ctx } = await connected(1);
    const noActivities = harness.connectionContext(
      { ...ctx.connection, scopes: ['HEALTH_EXPORT'] },
      { current: { accessToken: 'x', refreshToken: null, expiresAt: null } },
    );
    const pages = provider.listActivities(noActivities, { cursor: null, full: false });
    await expect(pages[Symbol.asyncIterator]().next()).rejects.toSatisfy((e: unknown) =>
      InsufficientScopeError.isInstance(e),
    );
  });
});

describe('rate limits and faults', () => {
  it('parses the rate-limit headers and waits for the window instead of collecting 429s', async () => {
    await sandbox.close();
    sandbox = await startGarminSandbox({ clock, seed: 7, rateLimit: { windowMs: 60_000, limit: 4 } });
    const { harness, ctx, providerUserId } = await connected(24);
    const result = await harness.sync(ctx, null);
    expect(result.activities).toHaveLength(await sandbox.activityCount(providerUserId));
    expect(harness.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(clock.sleeps.every((ms) => ms > 0 && ms <= 60_000)).toBe(true);
    const snapshot = harness.tracker.snapshot('garmin').snapshots[0]!;
    expect(snapshot.bucket).toBe('app');
    expect(snapshot.windows[0]!.limit).toBe(4);
  });

  it('waits out a 429 with Retry-After on the injected clock', async () => {
    const { harness, ctx } = await connected(2);
    sandbox.setFaults({ rateLimited: { times: 1, retryAfterSeconds: 30 } });
    const result = await harness.sync(ctx, null);
    expect(result.activities).toHaveLength(2);
    expect(clock.sleeps).toContain(30_000);
  });

  it('gives up with a RateLimitError when the provider keeps answering 429', async () => {
    const { harness, ctx } = await connected(2);
    sandbox.setFaults({ rateLimited: { times: 100, retryAfterSeconds: 3600 } });
    await expect(harness.sync(ctx, null)).rejects.toSatisfy((e: unknown) => RateLimitError.isInstance(e));
  });

  it('retries a 503 and a reset connection', async () => {
    const { harness, ctx } = await connected(2);
    sandbox.setFaults({ status: { code: 503, times: 1 }, connectionResets: 1 });
    const result = await harness.sync(ctx, null);
    expect(result.activities).toHaveLength(2);
    expect(harness.requests.some((r) => r.status === 503)).toBe(true);
    expect(harness.requests.some((r) => r.status === undefined)).toBe(true);
  });

  it('times out a request the API never answers, and retries it', async () => {
    const provider = garmin({ ...sandbox.env(), env: sandbox.env() });
    const harness = createHarness(provider, clock, { timeoutMs: 200 });
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 2 });
    const { ctx } = await harness.connect((url) => sandbox.approve(url, { providerUserId }));
    sandbox.setFaults({ hangs: 1 });
    const result = await harness.sync(ctx, null);
    expect(result.activities).toHaveLength(2);
    expect(harness.requests.filter((r) => r.status === undefined)).toHaveLength(1);
  });

  it('describes a 400 with Garmin’s error message', () => {
    const described = setup().provider.describeError({
      status: 400,
      body: '{"errorMessage":"Invalid time range"}',
      operation: 'list activities',
    });
    expect(described?.message).toContain('Invalid time range');
    expect(described?.hint).toContain('24 hours');
  });
});

describe('full sync (async backfill)', () => {
  it('requests 30-day windows (202), records them in the cursor, and treats 409 as already requested', async () => {
    const { provider, harness, ctx, providerUserId } = await connected(24, { backfillDays: 65 });
    sandbox.resetCounters();
    const result = await harness.sync(ctx, null, true);
    expect(sandbox.requestCount({ pathPrefix: '/wellness-api/rest/backfill/activities' })).toBe(3);
    expect(result.activities).toEqual([]);
    const nowS = clock.now().getTime() / 1000;
    const cursors = result.pages.map((p) => p.cursor as GarminCursor);
    // each window's end is one second into the next newer one (the boundary second is shared)
    expect(cursors[0]!.backfill).toEqual({
      from: nowS - 65 * DAY_S,
      to: nowS,
      nextEnd: nowS - 30 * DAY_S + 1,
    });
    expect(cursors[1]!.backfill?.nextEnd).toBe(nowS - 60 * DAY_S + 2);
    const last = cursors[cursors.length - 1]!;
    expect(last.backfill ?? null).toBeNull();
    expect(last.lastBackfill).toEqual({ from: nowS - 65 * DAY_S, to: nowS });
    expect(last.uploadedThrough).toBe(nowS);
    expect(sandbox.pendingNotifications()).toBe(3);

    // The same windows again: Garmin answers 409, which is as good as 202.
    const again = await harness.sync(ctx, { uploadedThrough: nowS }, true);
    expect(again.pages.length).toBeGreaterThan(0);
    expect(harness.requests.filter((r) => r.status === 409)).toHaveLength(3);

    // Delivered by push: every activity of the range, in batches the webhook parser maps.
    const deliveries = sandbox.takeNotifications();
    let delivered = 0;
    for (const request of deliveries) {
      const events = await provider.webhooks.parse(await toWebhookRequest(request), harness.appContext);
      for (const e of events) if (e.type === 'activity.changed') delivered += e.batch?.activities.length ?? 0;
    }
    expect(delivered).toBe(await sandbox.activityCount(providerUserId));
  });

  it('paces the backfill to an evaluation key’s 100 days per minute by waiting on the clock', async () => {
    await sandbox.close();
    sandbox = await startGarminSandbox({ clock, seed: 7, backfillDaysPerMinute: 100 });
    const { harness, ctx } = await connected(4, { backfillDays: 180 });
    const result = await harness.sync(ctx, null, true);
    expect((result.cursor as GarminCursor).lastBackfill).toBeTruthy();
    expect(sandbox.pendingNotifications()).toBe(6);
    // three 30-day windows fit in a minute: the fourth gets a 429, waits for the reset, and the rest follow
    expect(harness.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(clock.sleeps).toEqual([60_000]);
  });

  it('resumes an interrupted backfill from the cursor without re-requesting windows', async () => {
    const { provider, harness, ctx } = await connected(4, { backfillDays: 90 });
    const iterator = provider.listActivities(ctx, { cursor: null, full: true })[Symbol.asyncIterator]();
    const first = await iterator.next();
    await iterator.return?.(undefined);
    const cursor = first.value!.cursor as GarminCursor;
    expect(cursor.backfill?.nextEnd).toBe(clock.now().getTime() / 1000 - 30 * DAY_S + 1);
    sandbox.resetCounters();
    clock.advance(HOUR_MS);
    await harness.sync(ctx, cursor, true);
    expect(sandbox.requestCount({ pathPrefix: '/wellness-api/rest/backfill' })).toBe(2);
    expect(harness.requests.filter((r) => r.status === 409)).toEqual([]);
  });

  it('refuses a full sync without HISTORICAL_DATA_EXPORT', async () => {
    const { harness } = setup();
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    const { ctx } = await harness.connect((url) =>
      sandbox.approve(url, { providerUserId, scopes: ['ACTIVITY_EXPORT'] }),
    );
    await expect(harness.sync(ctx, null, true)).rejects.toSatisfy(
      (e: unknown) => InsufficientScopeError.isInstance(e) && /HISTORICAL_DATA_EXPORT/.test(e.message),
    );
  });
});

describe('notifications', () => {
  it('push: the full summary arrives in the event batch, no request needed', async () => {
    const { provider, harness, providerUserId } = await connected(3);
    const [id] = await sandbox.addActivities(providerUserId, 1);
    const request = await sandbox.webhookRequest(
      { type: 'activity.created', providerUserId, providerActivityId: id! },
      { mode: 'push' },
    );
    const webhook = await toWebhookRequest(request!);
    sandbox.resetCounters();
    await provider.webhooks.verify(webhook, harness.appContext);
    const events = await provider.webhooks.parse(webhook, harness.appContext);
    expect(sandbox.requestCount()).toBe(0);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event.type).toBe('activity.changed');
    if (event.type !== 'activity.changed') return;
    expect(event.providerUserId).toBe(providerUserId);
    expect(event.batch?.activities.map((a) => a.providerActivityId)).toEqual([id]);
    expect(JSON.stringify(event.batch)).not.toContain('userAccessToken');
  });

  it('ping: fetches the callbackURL with the connection token', async () => {
    const { provider, harness, ctx, providerUserId } = await connected(3);
    const [id] = await sandbox.addActivities(providerUserId, 1);
    const request = await sandbox.webhookRequest(
      { type: 'activity.created', providerUserId, providerActivityId: id! },
      { mode: 'ping' },
    );
    const events = await provider.webhooks.parse(await toWebhookRequest(request!), harness.appContext);
    const event = events[0]!;
    if (event.type !== 'activity.changed') throw new Error('expected activity.changed');
    expect(event.batch).toBeUndefined();
    const batch = await provider.fetchChanged(ctx, event.ref!);
    expect(batch.activities.map((a) => a.providerActivityId)).toEqual([id]);
  });

  it('never sends the token to a callbackURL outside the Garmin API', async () => {
    const { provider, ctx } = await connected(1);
    sandbox.resetCounters();
    await expect(
      provider.fetchChanged(ctx, { callbackURL: 'https://attacker.example/wellness-api/rest/activities' }),
    ).rejects.toSatisfy(
      (e: unknown) => ValidationError.isInstance(e) && /not on the Garmin API/.test(e.message),
    );
    expect(sandbox.requestCount()).toBe(0);
  });

  // Accepted before core's allow-list (issue 13, ADR 0040): the old check compared origins and a bare path
  // prefix only, so a sibling path, userinfo or an encoded slash passed, and an unparsable URL threw a TypeError.
  it.each([
    ['a sibling path that only shares a prefix', (api: string) => `${api}-evil/activities`],
    ['userinfo', (api: string) => api.replace('://', '://user:pass@') + '/activities'],
    ['an encoded slash', (api: string) => `${api}/..%2F..%2Fadmin`],
    ['the API base itself', (api: string) => api],
    ['an unparsable URL', () => 'https://'],
  ])('refuses a callbackURL with %s, sending nothing', async (_what, build) => {
    const { provider, ctx } = await connected(1);
    sandbox.resetCounters();
    await expect(provider.fetchChanged(ctx, { callbackURL: build(sandbox.apiUrl) })).rejects.toSatisfy(
      (e: unknown) => ValidationError.isInstance(e) && /not on the Garmin API/.test(e.message),
    );
    expect(sandbox.requestCount()).toBe(0);
  });

  it('permission changes and deregistrations become connection events', async () => {
    const { provider, harness, providerUserId } = await connected(1);
    const change = await sandbox.webhookRequest({
      type: 'permissions.changed',
      providerUserId,
      permissions: ['HEALTH_EXPORT'],
    });
    const dereg = await sandbox.webhookRequest({ type: 'deauthorized', providerUserId });
    const [perm] = await provider.webhooks.parse(await toWebhookRequest(change!), harness.appContext);
    const [deauth] = await provider.webhooks.parse(await toWebhookRequest(dereg!), harness.appContext);
    expect(perm).toMatchObject({
      type: 'connection.permissions_changed',
      providerUserId,
      scopes: ['HEALTH_EXPORT'],
    });
    expect(deauth).toMatchObject({ type: 'connection.deauthorized', providerUserId });
    expect(sandbox.permissionsOf(providerUserId)).toEqual(['HEALTH_EXPORT']);
  });

  it('has no deletion notification', async () => {
    const { providerUserId } = await sandbox.seedAccount({ activityCount: 1 });
    expect(
      await sandbox.webhookRequest({ type: 'activity.deleted', providerUserId, providerActivityId: '1' }),
    ).toBeNull();
  });
});
