import { ConfigurationError, createTrainlytics, type Provider } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestProvider } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';

// createTrainlytics checks its options without a query: the store's pool is never opened here.
const store = postgresStore('postgres://postgres@127.0.0.1:5432/never_opened');
const testfit = createTestProvider({ baseUrl: 'http://127.0.0.1:9' });

const configError = (fn: () => unknown): ConfigurationError => {
  try {
    fn();
  } catch (error) {
    expect(ConfigurationError.isInstance(error)).toBe(true);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
};

describe('createTrainlytics', () => {
  it('registers providers and looks them up by id', () => {
    const t = createTrainlytics({ store, providers: [testfit] });
    expect(t.providerIds).toEqual(['testfit']);
    expect(t.getProvider('testfit')).toBe(testfit);
  });

  it('refuses duplicate ids, naming the id', () => {
    const error = configError(() => createTrainlytics({ store, providers: [testfit, testfit] }));
    expect(error.message).toBe('Provider "testfit" is registered twice');
  });

  it('an unknown id names it and lists the registered ones', () => {
    const t = createTrainlytics({ store, providers: [testfit] });
    const error = configError(() => t.getProvider('wahoo'));
    expect(error.message).toBe('Provider "wahoo" is not registered (registered: testfit)');
    const none = createTrainlytics({ store, providers: [] });
    expect(configError(() => none.getProvider('strava')).message).toMatch(/no providers are registered/);
  });

  it('applies the defineProvider rules to every plugin', () => {
    const noRefresh = { ...testfit, oauth: { ...testfit.oauth, refresh: undefined } } as unknown as Provider;
    expect(configError(() => createTrainlytics({ store, providers: [noRefresh] })).message).toMatch(
      /declares capabilities.refresh but has no oauth.refresh/,
    );
    const badId = { ...testfit, id: 'Bad-Id' } as Provider;
    expect(configError(() => createTrainlytics({ store, providers: [badId] })).message).toMatch(/lower-case/);
    const v2 = { ...testfit, specificationVersion: 'v2' } as unknown as Provider;
    expect(configError(() => createTrainlytics({ store, providers: [v2] })).message).toMatch(
      /specificationVersion/,
    );
    const noWebhooks = {
      ...testfit,
      capabilities: { ...testfit.capabilities, webhooks: false },
      webhooks: undefined,
    };
    expect(() => createTrainlytics({ store, providers: [noWebhooks as Provider] })).not.toThrow();
    const asyncWithoutWebhooks = {
      ...noWebhooks,
      capabilities: { ...noWebhooks.capabilities, backfill: 'async' },
    };
    expect(
      configError(() => createTrainlytics({ store, providers: [asyncWithoutWebhooks as Provider] })).message,
    ).toMatch(/backfill 'async' .* but not capabilities.webhooks/);
    const registers = {
      ...testfit,
      capabilities: { ...testfit.capabilities, registration: true },
    } as Provider;
    expect(configError(() => createTrainlytics({ store, providers: [registers] })).message).toMatch(
      /declares capabilities.registration but has no afterAuthorize/,
    );
    const withHook = { ...registers, afterAuthorize: async () => undefined } as Provider;
    expect(() => createTrainlytics({ store, providers: [withHook] })).not.toThrow();
  });

  it('refuses a missing store and a malformed encryption key at once', () => {
    expect(configError(() => createTrainlytics({ providers: [testfit] } as never)).message).toMatch(/store/);
    expect(
      configError(() => createTrainlytics({ store, providers: [testfit], encryptionKey: 'not-a-key' }))
        .message,
    ).toBe('TRAINLYTICS_ENCRYPTION_KEY must be 32 bytes as 64 hex chars or base64');
  });
});
