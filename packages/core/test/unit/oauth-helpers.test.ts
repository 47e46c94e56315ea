import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createHttpClient,
  OAuthError,
  readOAuthErrorBody,
  requestToken,
  silentLogger,
  tokenSetFromResponse,
  ValidationError,
} from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let body = '{}';
let status = 200;
let base = '';
const server = createServer((_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
});
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const clock = new FakeClock('2026-01-01T00:00:00Z');
const ctx = {
  http: createHttpClient({ provider: 'testfit', providerName: 'Testfit', clock, logger: silentLogger }),
  clock,
  logger: silentLogger,
};
const exchange = () =>
  requestToken(ctx, {
    provider: 'testfit',
    providerName: 'Testfit',
    url: `${base}/token`,
    form: { code: 'c' },
    operation: 'token exchange',
  });

describe('requestToken', () => {
  afterEach(() => {
    status = 200;
  });

  it('refuses an empty access_token with a ValidationError naming the field', async () => {
    body = JSON.stringify({ access_token: '  ', expires_in: 3600 });
    const error = await exchange().catch((e: unknown) => e);
    expect(ValidationError.isInstance(error)).toBe(true);
    expect((error as ValidationError).issues[0]?.path).toBe('access_token');
  });

  it('reads a well-formed token response', async () => {
    body = JSON.stringify({ access_token: 'a1', refresh_token: 'r1', expires_in: 3600, scope: 'read write' });
    const response = await exchange();
    const set = tokenSetFromResponse(response, clock.now());
    expect(set).toMatchObject({ accessToken: 'a1', refreshToken: 'r1', scopes: ['read', 'write'] });
    expect(set.expiresAt?.toISOString()).toBe('2026-01-01T01:00:00.000Z');
  });
});

describe("requestToken: the token endpoint's error body", () => {
  afterEach(() => {
    status = 200;
  });
  const refusal = (describeTokenError?: Parameters<typeof requestToken>[1]['describeTokenError']) =>
    requestToken(ctx, {
      provider: 'testfit',
      providerName: 'Testfit',
      url: `${base}/token`,
      form: { code: 'c' },
      operation: 'token refresh',
      ...(describeTokenError ? { describeTokenError } : {}),
    }).catch((e: unknown) => e);

  it("reads RFC 6749's error and error_description into an OAuthError", async () => {
    status = 400;
    body = JSON.stringify({ error: 'invalid_grant', error_description: 'expired' });
    const error = await refusal();
    expect(OAuthError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'invalid_grant', description: 'expired', status: 400 });
    expect((error as Error).message).toMatch(/^Testfit refused the token refresh: invalid_grant \(expired\)/);
  });

  it('knows no provider dialect: a body without `error` stays the HTTP error', async () => {
    status = 400;
    body = JSON.stringify({ message: 'Bad Request', errors: [{ field: 'refresh_token', code: 'invalid' }] });
    const error = await refusal();
    expect(OAuthError.isInstance(error)).toBe(false);
    expect((error as Error).name).toBe('ProviderApiError');
  });

  it("reads the plugin's dialect through describeTokenError, which sees the status and the body", async () => {
    status = 401;
    body = JSON.stringify({ message: 'Bad Request', errors: [{ field: 'refresh_token', code: 'invalid' }] });
    const seen: Array<{ status: number; body: string }> = [];
    const error = await refusal((info) => {
      seen.push(info);
      return { error: 'refresh_token:invalid', description: 'Bad Request' };
    });
    expect(seen).toEqual([{ status: 401, body }]);
    expect(error).toMatchObject({ code: 'refresh_token:invalid', description: 'Bad Request', status: 401 });
  });

  it('falls back to RFC 6749 when describeTokenError does not recognise the body', async () => {
    status = 400;
    body = JSON.stringify({ error: 'invalid_client' });
    const error = await refusal(() => undefined);
    expect(error).toMatchObject({ code: 'invalid_client' });
    expect((error as Error).message).toMatch(/TESTFIT_CLIENT_ID and TESTFIT_CLIENT_SECRET/);
  });
});

describe('readOAuthErrorBody', () => {
  it('reads error and error_description, and nothing from a body that is not an RFC 6749 error', () => {
    expect(readOAuthErrorBody('{"error":"invalid_grant","error_description":"gone"}')).toEqual({
      error: 'invalid_grant',
      description: 'gone',
    });
    expect(readOAuthErrorBody('{"error":"access_denied","error_description":7}')).toEqual({
      error: 'access_denied',
    });
    expect(readOAuthErrorBody('{"message":"Bad Request","errors":[]}')).toBeNull();
    expect(readOAuthErrorBody('null')).toBeNull();
    expect(readOAuthErrorBody('<html>')).toBeNull();
  });
});

describe('tokenSetFromResponse', () => {
  it('refuses an expiry outside the range of dates with a typed error, not a RangeError', () => {
    const error = (() => {
      try {
        tokenSetFromResponse({ access_token: 'a', expires_in: -8.6e12, raw: {} }, clock.now());
      } catch (e) {
        return e;
      }
    })();
    expect(ValidationError.isInstance(error)).toBe(true);
    expect((error as ValidationError).issues[0]?.path).toBe('expires_in');
  });

  it('drops an unreadable refresh-token expiry and keeps the tokens', () => {
    const set = tokenSetFromResponse(
      { access_token: 'a', refresh_token: 'r', refresh_token_expires_in: 9e15, raw: {} },
      clock.now(),
    );
    expect(set.refreshToken).toBe('r');
    expect(set.refreshTokenExpiresAt).toBeUndefined();
    expect(set.expiresAt).toBeNull();
  });
});
