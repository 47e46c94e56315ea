import { ConfigurationError, type FetchFunction, ReauthorizationRequiredError } from '@trainlytics/core';
import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/registry/create-trainlytics';
import { createConnectionSession } from '../../src/tokens/connection-session';
import { EngineHarness, KEY_A, KEY_B, yieldingClock } from './harness';

const h = new EngineHarness();
beforeAll(() => h.setup());
afterAll(() => h.teardown());
beforeEach(() => h.reset());

const tokenRow = async (id: number) =>
  (
    await h.query(
      'select access_token, refresh_token, token_expires_at, reauth_required, last_error from provider_connections where id = $1',
      [id],
    )
  )[0]!;

describe('token lifecycle', () => {
  it('refreshes ahead of expiry (within the margin), rotates the refresh token, keeps it encrypted', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 2);
    const before = await tokenRow(connection.id);
    h.clock.advance(3600_000 - 200_000); // 200 s left: inside the default 300 s margin
    h.server.resetCounters();
    const result = await t.sync(connection.id);
    expect(result.status).toBe('success');
    expect(h.server.refreshRequests()).toBe(1);
    const after = await tokenRow(connection.id);
    // compare plaintexts: two encryptions of the same token never give the same ciphertext
    const { cipher } = createRuntime(h.options());
    expect(cipher.decrypt(after.access_token)).not.toBe(cipher.decrypt(before.access_token));
    expect(cipher.decrypt(after.refresh_token)).not.toBe(cipher.decrypt(before.refresh_token));
    expect(after.access_token).toMatch(/^tl1:/);
    expect(after.refresh_token).toMatch(/^tl1:/);
    expect(new Date(after.token_expires_at).getTime()).toBe(h.clock.now().getTime() + 3600_000);
    // the request count of the sync includes the refresh
    expect(result.requests).toBe(2);
  });

  it('stores the rotated refresh token (compared decrypted) and sends it, not the old one, at the next refresh', async () => {
    // What crossed the wire at the token endpoint: the refresh token each grant sent and the one it got back.
    const grants: { sent: string | null; issued: string | null; accessToken: string | null }[] = [];
    const recording: FetchFunction = async (input, init) => {
      const request = new Request(input, init);
      const response = await fetch(request.clone());
      if (new URL(request.url).pathname === '/oauth/token') {
        const form = new URLSearchParams(await request.text());
        const body = (await response.clone().json()) as { refresh_token?: string; access_token?: string };
        grants.push({
          sent: form.get('grant_type') === 'refresh_token' ? form.get('refresh_token') : null,
          issued: body.refresh_token ?? null,
          accessToken: body.access_token ?? null,
        });
      }
      return response;
    };
    const t = h.trainlytics({ fetch: recording });
    const { cipher } = createRuntime(h.options());
    const { connection } = await h.connect(t, 2);
    expect(grants).toHaveLength(1); // the code exchange
    for (const round of [1, 2, 3]) {
      h.clock.advance(3600_000); // expired
      const result = await t.sync(connection.id);
      expect(result, `refresh ${round}`).toMatchObject({ status: 'success', errorMessage: null });
      expect(grants).toHaveLength(round + 1);
      const [previous, current] = grants.slice(-2);
      expect(current!.sent).toBe(previous!.issued); // the NEW refresh token went out
      const stored = await tokenRow(connection.id);
      expect(cipher.decrypt(stored.refresh_token)).toBe(current!.issued);
      expect(cipher.decrypt(stored.access_token)).toBe(current!.accessToken);
    }
    expect(new Set(grants.map((g) => g.issued)).size).toBe(grants.length);
  });

  it('does not refresh a token far from expiry', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 2);
    h.server.resetCounters();
    await t.sync(connection.id);
    expect(h.server.refreshRequests()).toBe(0);
  });

  it('a 401 forces one refresh and retries the call', async () => {
    const t = h.trainlytics();
    const { connection, providerUserId } = await h.connect(t, 3);
    await h.server.expireAccessTokens(providerUserId);
    h.server.resetCounters();
    const result = await t.sync(connection.id);
    expect(result).toMatchObject({ status: 'success', activitiesCreated: 3 });
    expect(h.server.refreshRequests()).toBe(1);
  });

  it('a 401 to a token someone has since replaced uses the stored token without refreshing again', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 1);
    const rt = createRuntime(h.options());
    const provider = rt.getProvider(TEST_PROVIDER_ID);
    const session = createConnectionSession(rt, provider, (await h.store.getConnection(connection.id))!);
    const first = await session.accessToken();
    h.clock.advance(3600_000); // expired
    h.server.resetCounters();
    const second = await session.accessToken(); // this session refreshes
    expect(h.server.refreshRequests()).toBe(1);
    // the 401 to a request sent with the first token arrives after that refresh
    expect(await session.onUnauthorized(first)).toBe(second);
    expect(h.server.refreshRequests()).toBe(1);
    // another process refreshed after the second token was sent: its token, no refresh here
    const other = createConnectionSession(rt, provider, (await h.store.getConnection(connection.id))!);
    const third = await other.onUnauthorized(second);
    expect(h.server.refreshRequests()).toBe(2);
    expect(await session.onUnauthorized(second)).toBe(third);
    expect(h.server.refreshRequests()).toBe(2);
    // a 401 to the token the store holds forces a refresh
    const fourth = await session.onUnauthorized(third);
    expect(fourth).not.toBe(third);
    expect(h.server.refreshRequests()).toBe(3);
    expect(rt.cipher.decrypt((await tokenRow(connection.id)).access_token)).toBe(fourth);
  });

  it('two processes refreshing at once send exactly ONE refresh request', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 1);
    h.clock.advance(3600_000); // expired
    const rt1 = createRuntime(h.options());
    const rt2 = createRuntime(h.options({ clock: yieldingClock(h) }));
    const record = (await h.store.getConnection(connection.id))!;
    const provider = rt1.getProvider(TEST_PROVIDER_ID);
    h.server.resetCounters();
    const tokens = await Promise.all([
      createConnectionSession(rt1, provider, record).accessToken(),
      createConnectionSession(rt2, provider, record).accessToken(),
      createConnectionSession(rt1, provider, record).accessToken(),
    ]);
    expect(h.server.refreshRequests()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    const stored = await tokenRow(connection.id);
    expect(rt1.cipher.decrypt(stored.access_token)).toBe(tokens[0]);
  });

  it('a store error while writing a rotated refresh token is retried: the user stays connected', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 2);
    const before = await tokenRow(connection.id);
    // the database drops the first write after the provider rotated the refresh token (a restart)
    let failures = 1;
    const store = new Proxy(h.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'updateTokens' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (failures-- > 0)
            return Promise.reject(new Error('terminating connection due to administrator command'));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    h.clock.advance(3600_000); // expired
    const first = await h.trainlytics({ store }).sync(connection.id);
    expect(first.status).toBe('success');
    expect(failures).toBe(-1); // the write was retried once
    const after = await tokenRow(connection.id);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    // the refresh token the provider issued was kept: the next refresh works
    h.clock.advance(3600_000);
    h.server.resetCounters();
    const second = await t.sync(connection.id);
    expect(second.status).toBe('success');
    expect(h.server.refreshRequests()).toBe(1);
    expect((await tokenRow(connection.id)).reauth_required).toBe(false);
  });

  it('a refused refresh marks the connection reauth_required with a message a person can act on', async () => {
    const t = h.trainlytics();
    const { connection } = await h.connect(t, 1);
    h.clock.advance(3600_000);
    h.server.setFaults({ rejectRefresh: true });
    const result = await t.sync(connection.id);
    expect(result.status).toBe('failed');
    expect(result.errorName).toBe('ReauthorizationRequiredError');
    expect(result.errorMessage).toContain(
      'Testfit refused the refresh token (invalid_grant): the user must reconnect Testfit',
    );
    const row = await tokenRow(connection.id);
    expect(row.reauth_required).toBe(true);
    expect(row.last_error).toContain('refused the refresh token');
    expect((await t.connections.get(connection.id))?.status).toBe('reauth_required');
    // the next sync fails at once, without a request
    h.server.resetCounters();
    const next = await t.sync(connection.id);
    expect(next.status).toBe('failed');
    expect(h.server.requestCount()).toBe(0);
  });

  it('a reconnect clears reauth_required', async () => {
    const t = h.trainlytics();
    const { connection, providerUserId } = await h.connect(t, 1);
    await h.store.updateConnection(connection.id, { reauthRequired: true, lastError: 'x' }, h.clock.now());
    const { url } = await t.connect.start(TEST_PROVIDER_ID, {
      userId: h.userId,
      redirectUri: 'https://app.example.com/cb',
    });
    const callback = await h.server.approve(url, { providerUserId });
    const again = await t.connect.finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams });
    expect(again.id).toBe(connection.id);
    expect(again.status).toBe('active');
  });

  it('reads legacy plaintext rows and encrypts them when rewritten; reencryptAll after a key rotation', async () => {
    const plain = h.trainlytics({ encryptionKey: undefined });
    const { connection } = await h.connect(plain, 2);
    const legacy = await tokenRow(connection.id);
    expect(legacy.access_token).toMatch(/^at_/); // stored as given without a key
    const encrypted = h.trainlytics({ encryptionKey: KEY_A });
    expect((await encrypted.sync(connection.id)).errorMessage).toBeNull(); // plaintext still reads
    expect(await encrypted.tokens.reencryptAll()).toBe(1);
    const row = await tokenRow(connection.id);
    expect(row.access_token).toMatch(/^tl1:/);
    expect(await encrypted.tokens.reencryptAll()).toBe(0);

    // rotation: the new key first, the old one still listed for reading
    const rotated = h.trainlytics({ encryptionKey: `new:${KEY_B},old:${KEY_A}` });
    expect((await rotated.sync(connection.id)).errorMessage).toBeNull();
    expect(await rotated.tokens.reencryptAll()).toBe(1);
    expect((await tokenRow(connection.id)).access_token).toMatch(/^tl1:new:/);
    expect((await tokenRow(connection.id)).refresh_token).toMatch(/^tl1:new:/);
  });

  it('a missing or wrong key fails the sync with a ConfigurationError naming the key, and says which key id', async () => {
    const t = h.trainlytics({ encryptionKey: `k1:${KEY_A}` });
    const { connection } = await h.connect(t, 1);
    h.clock.advance(3600_000); // the refresh token must be decrypted
    const wrong = h.trainlytics({ encryptionKey: `k2:${KEY_B}` });
    const result = await wrong.sync(connection.id);
    expect(result.status).toBe('failed');
    expect(result.errorName).toBe('ConfigurationError');
    expect(result.errorMessage).toContain('key id "k1"');
    const none = h.trainlytics({ encryptionKey: undefined });
    const failed = await none.sync(connection.id);
    expect(failed.errorMessage).toMatch(/TRAINLYTICS_ENCRYPTION_KEY is not set/);
    const session = createConnectionSession(
      createRuntime(h.options({ encryptionKey: `k1:${KEY_B}` })),
      t.getProvider(TEST_PROVIDER_ID),
      (await h.store.getConnection(connection.id))!,
    );
    await expect(session.accessToken()).rejects.toSatisfy(
      (e: unknown) => ConfigurationError.isInstance(e) && e.setting === 'TRAINLYTICS_ENCRYPTION_KEY',
    );
  });

  it('no token is ever logged', async () => {
    const t = h.trainlytics({ encryptionKey: undefined });
    const { connection } = await h.connect(t, 2);
    h.clock.advance(3600_000);
    await t.sync(connection.id);
    const row = await tokenRow(connection.id);
    const logged = JSON.stringify(h.logger.entries);
    expect(h.logger.entries.length).toBeGreaterThan(0);
    expect(logged).not.toContain(row.access_token);
    expect(logged).not.toContain(row.refresh_token);
  });
});

describe('tokens of a provider without refresh', () => {
  const noRefresh = new EngineHarness({ refresh: false });
  beforeAll(() => noRefresh.setup());
  afterAll(() => noRefresh.teardown());
  beforeEach(() => noRefresh.reset());

  it('a 401 marks reauth_required and throws ReauthorizationRequiredError', async () => {
    const t = noRefresh.trainlytics();
    const { connection, providerUserId } = await noRefresh.connect(t, 1);
    expect((await t.connections.get(connection.id))?.tokenExpiresAt).toBeNull();
    await noRefresh.server.expireAccessTokens(providerUserId);
    const result = await t.sync(connection.id);
    expect(result.errorName).toBe('ReauthorizationRequiredError');
    expect(result.errorMessage).toMatch(/cannot be refreshed: the user must reconnect Testfit/);
    const session = createConnectionSession(
      createRuntime(noRefresh.options()),
      t.getProvider(TEST_PROVIDER_ID),
      (await noRefresh.store.getConnection(connection.id))!,
    );
    await expect(session.onUnauthorized('x')).rejects.toSatisfy((e: unknown) =>
      ReauthorizationRequiredError.isInstance(e),
    );
  });
});
