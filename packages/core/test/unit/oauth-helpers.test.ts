import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createHttpClient,
  requestToken,
  silentLogger,
  tokenSetFromResponse,
  ValidationError,
} from '@trainlytics/core';
import { FakeClock } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let body = '{}';
let base = '';
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
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
