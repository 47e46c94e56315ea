import { ConfigurationError } from '@trainlytics/core';
import { TEST_PROVIDER_ID } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EngineHarness, KEY_A, redirectUri } from './harness';

// Without TRAINLYTICS_ENCRYPTION_KEY, core never writes a plaintext token into a store that already holds
// encrypted ones (a process started without the key beside processes with it), and says so at startup.

const h = new EngineHarness();
beforeAll(() => h.setup());
afterAll(() => h.teardown());
beforeEach(() => h.reset());

const tokens = async () =>
  h.query('select id, access_token, refresh_token from provider_connections order by id') as Promise<
    { id: number; access_token: string; refresh_token: string | null }[]
  >;

describe('checkEncryption', () => {
  it('reports the key and the stored forms; warns (storesPlaintext) without a key', async () => {
    const plain = h.trainlytics({ encryptionKey: undefined });
    expect(await plain.checkEncryption()).toEqual({
      keySet: false,
      storesPlaintext: true,
      encryptedTokens: 0,
      plaintextTokens: 0,
    });
    await h.connect(plain, 1);
    expect(await plain.checkEncryption()).toMatchObject({ storesPlaintext: true, plaintextTokens: 2 });
    const keyed = h.trainlytics({ encryptionKey: KEY_A });
    expect(await keyed.checkEncryption()).toEqual({
      keySet: true,
      storesPlaintext: false,
      encryptedTokens: 0,
      plaintextTokens: 2,
    });
  });

  it('throws a ConfigurationError naming the key without a key when the store holds encrypted tokens', async () => {
    await h.connect(h.trainlytics({ encryptionKey: KEY_A }), 1);
    const error = await h
      .trainlytics({ encryptionKey: undefined })
      .checkEncryption()
      .catch((e: unknown) => e);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as ConfigurationError).setting).toBe('TRAINLYTICS_ENCRYPTION_KEY');
    expect((error as ConfigurationError).message).toMatch(
      /holds 2 encrypted tokens but TRAINLYTICS_ENCRYPTION_KEY is not set/,
    );
    expect((error as ConfigurationError).hint).toMatch(/set TRAINLYTICS_ENCRYPTION_KEY/);
  });
});

describe('no plaintext token is written beside encrypted ones', () => {
  it('connect.finish without a key refuses before exchanging the code, and stores nothing', async () => {
    await h.connect(h.trainlytics({ encryptionKey: KEY_A }), 1);
    const before = await tokens();
    const plain = h.trainlytics({ encryptionKey: undefined });
    const { providerUserId } = await h.server.seedAccount({ activityCount: 1 });
    const other = await h.createUser('second@example.com');
    const { url } = await plain.connect.start(TEST_PROVIDER_ID, { userId: other, redirectUri });
    const callback = await h.server.approve(url, { providerUserId });
    await expect(
      plain.connect.finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams }),
    ).rejects.toSatisfy((e: unknown) => ConfigurationError.isInstance(e));
    expect(await tokens()).toEqual(before);
  });

  it('a refresh without a key refuses before asking the provider (the refresh token is not rotated and lost)', async () => {
    const plain = h.trainlytics({ encryptionKey: undefined });
    const { connection, providerUserId } = await h.connect(plain, 1);
    // later, another process with the key connects someone else: the store now holds encrypted tokens
    const second = await h.createUser('keyed@example.com');
    await h.connect(h.trainlytics({ encryptionKey: KEY_A }), 1, second);
    const before = await tokens();
    // the plaintext process's clean answer is reused for at most a minute
    h.clock.advance(61_000);
    await h.server.expireAccessTokens(providerUserId);
    h.server.resetCounters();
    const result = await plain.sync(connection.id);
    expect(result.status).toBe('failed');
    expect(result.errorMessage).toMatch(/encrypted tokens? but TRAINLYTICS_ENCRYPTION_KEY is not set/);
    expect(h.server.refreshRequests()).toBe(0);
    expect(await tokens()).toEqual(before);
  });

  it('with a key, or with only plaintext stored, connecting and refreshing work as before', async () => {
    const plain = h.trainlytics({ encryptionKey: undefined });
    const { connection, providerUserId } = await h.connect(plain, 2);
    await h.server.expireAccessTokens(providerUserId);
    expect((await plain.sync(connection.id)).status).toBe('success');
    const [row] = await tokens();
    expect(row!.access_token).not.toMatch(/^tl1:/);
  });
});
