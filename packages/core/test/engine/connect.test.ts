import {
  ConflictError,
  InsufficientScopeError,
  OAuthError,
  OAuthStateError,
  type Provider,
} from '@trainlytics/core';
import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness, redirectUri } from './harness';

const h = new EngineHarness();
beforeAll(() => h.setup());
afterAll(() => h.teardown());
beforeEach(() => h.reset());

const stateError = async (promise: Promise<unknown>) => {
  const error = await promise.catch((e: unknown) => e);
  expect(OAuthStateError.isInstance(error)).toBe(true);
  return error as OAuthStateError;
};

describe('connect flow', () => {
  it('start: a single-use state bound to user and provider, a PKCE challenge, the verifier encrypted at rest', async () => {
    const t = h.trainlytics();
    const started = await t.connect.start(TEST_PROVIDER_ID, {
      userId: h.userId,
      redirectUri,
      returnTo: '/settings',
    });
    const url = new URL(started.url);
    expect(url.origin).toBe(h.server.baseUrl);
    expect(url.searchParams.get('state')).toBe(started.state);
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toBe('activity:read');
    expect(started.expiresAt.getTime()).toBe(h.clock.now().getTime() + 10 * 60_000);
    const [row] = await h.query('select * from trainlytics_oauth_states where state = $1', [started.state]);
    expect(row?.user_id).toBe(h.userId);
    expect(row?.code_verifier).toMatch(/^tl1:/);
  });

  it('finish: exchanges the code (PKCE), reads the profile, stores the connection, returns no tokens', async () => {
    const t = h.trainlytics();
    const { providerUserId } = await h.server.seedAccount({ activityCount: 0 });
    const { url } = await t.connect.start(TEST_PROVIDER_ID, {
      userId: h.userId,
      redirectUri,
      returnTo: '/settings',
    });
    const callback = await h.server.approve(url, { providerUserId });
    const connection = await t.connect.finish(TEST_PROVIDER_ID, {
      callbackParams: callback.searchParams,
      userId: h.userId,
    });
    expect(connection).toMatchObject({
      provider: TEST_PROVIDER_ID,
      providerUserId,
      userId: h.userId,
      status: 'active',
      scopes: ['activity:read'],
      returnTo: '/settings',
      profile: { firstName: 'Tess', city: 'Gent', providerUserId },
    });
    expect(h.server.requestCount({ pathPrefix: '/api/me' })).toBe(1);
    const [row] = await h.query('select * from provider_connections where id = $1', [connection.id]);
    expect(row?.provider_profile).toMatchObject({
      firstname: 'Tess',
      city: 'Gent',
      raw: { id: providerUserId },
    });
    expect(JSON.stringify(connection)).not.toContain(row?.access_token);
    expect(Object.keys(connection)).not.toContain('accessToken');
  });

  it('refuses a missing, unknown, reused, expired, other-user or other-provider state', async () => {
    const t = h.trainlytics();
    const { providerUserId } = await h.server.seedAccount({ activityCount: 0 });
    expect((await stateError(t.connect.finish(TEST_PROVIDER_ID, { code: 'x' }))).reason).toBe('missing');
    expect((await stateError(t.connect.finish(TEST_PROVIDER_ID, { code: 'x', state: 'nope' }))).reason).toBe(
      'unknown',
    );

    const first = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    const callback = await h.server.approve(first.url, { providerUserId });
    await t.connect.finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams });
    const reused = await stateError(
      t.connect.finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams }),
    );
    expect(reused.reason).toBe('reused');
    expect(reused.message).toMatch(/already/);

    const late = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    const lateCallback = await h.server.approve(late.url, { providerUserId });
    h.clock.advance(10 * 60_000 + 1);
    const expired = await stateError(
      t.connect.finish(TEST_PROVIDER_ID, { callbackParams: lateCallback.searchParams }),
    );
    expect(expired.reason).toBe('expired');

    const other = await h.createUser('other@example.com');
    const bound = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    const boundCallback = await h.server.approve(bound.url, { providerUserId });
    const wrongUser = await stateError(
      t.connect.finish(TEST_PROVIDER_ID, { callbackParams: boundCallback.searchParams, userId: other }),
    );
    expect(wrongUser.reason).toBe('mismatch');

    const base = h.server.createProvider();
    const second: Provider = { ...base, id: 'testfit_b', name: 'Testfit B' };
    const both = h.trainlytics({ providers: [base, second] });
    const forA = await both.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    const forACallback = await h.server.approve(forA.url, { providerUserId });
    const mismatch = await stateError(
      both.connect.finish('testfit_b', { callbackParams: forACallback.searchParams }),
    );
    expect(mismatch.reason).toBe('mismatch');
    expect(await t.connections.list({ userId: other })).toEqual([]);
  });

  it('a declined consent is an InsufficientScopeError saying so; other callback errors are OAuthErrors', async () => {
    const t = h.trainlytics();
    const { providerUserId } = await h.server.seedAccount({ activityCount: 0 });
    const { url } = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    const callback = await h.server.approve(url, { providerUserId, deny: true });
    const declined = await t.connect
      .finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams })
      .catch((e) => e);
    expect(InsufficientScopeError.isInstance(declined)).toBe(true);
    expect(declined.message).toBe('The user declined to connect Testfit (access_denied)');

    const again = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    const failure = await t.connect
      .finish(TEST_PROVIDER_ID, {
        callbackParams: { state: again.state, error: 'server_error', error_description: 'try later' },
      })
      .catch((e) => e);
    expect(OAuthError.isInstance(failure)).toBe(true);
    expect(failure.code).toBe('server_error');
    expect(failure.message).toContain('try later');
    expect(await t.connections.list()).toEqual([]);
  });

  it('a refused code exchange is an OAuthError; the account linked to another user a ConflictError', async () => {
    const t = h.trainlytics();
    const { providerUserId } = await h.server.seedAccount({ activityCount: 0 });
    const { state } = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    const refused = await t.connect.finish(TEST_PROVIDER_ID, { code: 'forged', state }).catch((e) => e);
    expect(OAuthError.isInstance(refused)).toBe(true);
    expect(refused.code).toBe('invalid_grant');

    const mine = await t.connect.start(TEST_PROVIDER_ID, { userId: h.userId, redirectUri });
    await t.connect.finish(TEST_PROVIDER_ID, {
      callbackParams: (await h.server.approve(mine.url, { providerUserId })).searchParams,
    });
    const other = await h.createUser('thief@example.com');
    const theirs = await t.connect.start(TEST_PROVIDER_ID, { userId: other, redirectUri });
    const conflict = await t.connect
      .finish(TEST_PROVIDER_ID, {
        callbackParams: (await h.server.approve(theirs.url, { providerUserId })).searchParams,
      })
      .catch((e) => e);
    expect(ConflictError.isInstance(conflict)).toBe(true);
    expect((conflict as ConflictError).reason).toBe('account-linked');
  });

  it('disconnect revokes at the provider then deactivates; a failing revoke is logged, not fatal', async () => {
    const t = h.trainlytics();
    const { connection, providerUserId } = await h.connect(t, 0);
    const done = await t.disconnect(connection.id);
    expect(done.status).toBe('inactive');
    expect(h.server.isRevoked(providerUserId)).toBe(true);

    // a provider that cannot be reached for the revoke
    const unreachable = h.trainlytics({
      fetch: (input, init) =>
        String(input).includes('/oauth/revoke')
          ? Promise.reject(new TypeError('fetch failed: ECONNREFUSED'))
          : fetch(input, init),
    });
    const second = await h.connect(unreachable, 0);
    const forced = await unreachable.disconnect(second.connection.id);
    expect(forced.status).toBe('inactive');
    expect(h.server.isRevoked(second.providerUserId)).toBe(false);
    expect(h.logger.entries.some((e) => e.level === 'warn' && /could not revoke/.test(e.message))).toBe(true);
  });
});
