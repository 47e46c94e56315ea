import {
  ConfigurationError,
  ConflictError,
  ConnectionConflictError,
  ConnectionLimitError,
  createHttpClient,
  createTokenCipher,
  EncryptionError,
  MatchDecisionError,
  needsReauthorization,
  ReauthorizationRequiredError,
  silentLogger,
  TokenExpiredError,
} from '@trainlytics/core';
import { STORE_ERROR_CODES, toStoreError } from '@trainlytics/core/postgres';
import { FakeClock } from '@trainlytics/core/testing';
import { describe, expect, it } from 'vitest';

// ADR 0043: each merged class is caught by its old name, through `isInstance` and `instanceof`, where core
// now throws the class it was merged into — and only there.

async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('TokenExpiredError, merged into ReauthorizationRequiredError', () => {
  it('still catches the access token a provider refuses again after a refresh', async () => {
    const statuses: number[] = [];
    const http = createHttpClient({
      provider: 'testfit',
      providerName: 'Testfit',
      clock: new FakeClock(),
      logger: silentLogger,
      fetch: async () => {
        statuses.push(401);
        return new Response('{}', { status: 401, headers: { 'content-type': 'application/json' } });
      },
      accessToken: async () => 'old',
      onUnauthorized: async () => 'new',
      connectionId: 7,
    });
    const error = await caught(() => http.request({ url: 'https://api.example/me', auth: 'user' }));
    expect(statuses).toEqual([401, 401]);
    expect(ReauthorizationRequiredError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'ReauthorizationRequiredError',
      reason: 'token-refused',
      status: 401,
      connectionId: 7,
    });
    expect((error as Error).message).toBe('Testfit refused the access token for GET /me (HTTP 401)');
    expect(TokenExpiredError.isInstance(error)).toBe(true);
    expect(error instanceof TokenExpiredError).toBe(true);
    expect(needsReauthorization(error)).toBe(true);
  });

  it('does not catch the other reasons to reconnect, as it never did', () => {
    const refused = new ReauthorizationRequiredError('refused', { reason: 'refresh-refused' });
    expect(TokenExpiredError.isInstance(refused)).toBe(false);
    expect(refused instanceof TokenExpiredError).toBe(false);
    const built = new TokenExpiredError('expired', { provider: 'strava', url: 'https://api.example/x' });
    expect(built).toMatchObject({
      name: 'ReauthorizationRequiredError',
      reason: 'token-refused',
      status: 401,
    });
    expect(needsReauthorization(built)).toBe(true);
  });
});

describe('ConnectionConflictError and MatchDecisionError, merged into ConflictError', () => {
  const fromStore = (code: string) =>
    toStoreError('trainlytics_upsert_connection', { code, message: 'refused' }, 'PostgreSQL');

  it("still catch the store's refusals, each only its own", () => {
    const linked = fromStore(STORE_ERROR_CODES.connectionConflict);
    const match = fromStore(STORE_ERROR_CODES.matchDecision);
    expect(linked).toMatchObject({ name: 'ConflictError', reason: 'account-linked' });
    expect(match).toMatchObject({ name: 'ConflictError', reason: 'match-refused' });
    expect(ConnectionConflictError.isInstance(linked)).toBe(true);
    expect(linked instanceof ConnectionConflictError).toBe(true);
    expect(MatchDecisionError.isInstance(linked)).toBe(false);
    expect(MatchDecisionError.isInstance(match)).toBe(true);
    expect(match instanceof MatchDecisionError).toBe(true);
    expect(ConnectionConflictError.isInstance(match)).toBe(false);
  });

  it('ConnectionLimitError keeps its name and is a ConflictError, caught by neither old name', () => {
    const full = new ConnectionLimitError('full', { limit: 10, status: 403 });
    expect(full).toMatchObject({ name: 'ConnectionLimitError', reason: 'connection-limit', limit: 10 });
    expect(ConflictError.isInstance(full)).toBe(true);
    expect(full).toBeInstanceOf(ConflictError);
    expect(ConnectionConflictError.isInstance(full) || MatchDecisionError.isInstance(full)).toBe(false);
  });
});

describe('EncryptionError, merged into ConfigurationError', () => {
  it('still catches a stored token that the configured key cannot read', () => {
    const stored = createTokenCipher(`k1:${'a'.repeat(64)}`).encrypt('token');
    const error = (() => {
      try {
        return createTokenCipher(`k1:${'b'.repeat(64)}`).decrypt(stored);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ name: 'ConfigurationError', setting: 'TRAINLYTICS_ENCRYPTION_KEY' });
    expect(EncryptionError.isInstance(error)).toBe(true);
    expect(error instanceof EncryptionError).toBe(true);
    expect(EncryptionError.isInstance(new ConfigurationError('no client id'))).toBe(false);
  });
});
