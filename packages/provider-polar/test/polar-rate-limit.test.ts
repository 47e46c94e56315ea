import { describe, expect, it } from 'vitest';
import forbidden from '../src/__fixtures__/error-forbidden.json';
import { describePolarError } from '../src/polar-error';
import { parsePolarRateLimit, polarRetryAt } from '../src/polar-rate-limit';

const now = new Date('2026-03-01T12:00:00Z');

describe('Polar rate-limit headers', () => {
  it('reads RateLimit-Usage/-Limit/-Reset (no X- prefix) as a short and a long window', () => {
    const headers = new Headers({
      'RateLimit-Usage': '12,340',
      'RateLimit-Limit': '520,5100',
      'RateLimit-Reset': '600,43200',
    });
    expect(parsePolarRateLimit(headers, now)).toEqual([
      {
        bucket: 'app',
        windows: [
          { name: 'short', limit: 520, used: 12, resetsAt: new Date('2026-03-01T12:10:00Z') },
          { name: 'long', limit: 5100, used: 340, resetsAt: new Date('2026-03-02T00:00:00Z') },
        ],
      },
    ]);
  });

  it('ignores the X- prefixed (Strava-style) headers and unreadable values', () => {
    expect(
      parsePolarRateLimit(new Headers({ 'X-RateLimit-Usage': '1,2', 'X-RateLimit-Limit': '3,4' }), now),
    ).toEqual([]);
    expect(
      parsePolarRateLimit(new Headers({ 'RateLimit-Usage': 'a,b', 'RateLimit-Limit': '3,4' }), now),
    ).toEqual([]);
  });

  it('retries a 429 when the exhausted window resets', () => {
    const shortExhausted = new Headers({
      'RateLimit-Usage': '520,900',
      'RateLimit-Limit': '520,5100',
      'RateLimit-Reset': '90,40000',
    });
    expect(polarRetryAt(shortExhausted, now)).toEqual(new Date(now.getTime() + 90_000));
    const longExhausted = new Headers({
      'RateLimit-Usage': '10,5100',
      'RateLimit-Limit': '520,5100',
      'RateLimit-Reset': '90,40000',
    });
    expect(polarRetryAt(longExhausted, now)).toEqual(new Date(now.getTime() + 40_000_000));
    expect(polarRetryAt(new Headers(), now)).toBeNull();
  });
});

describe('describePolarError', () => {
  it('explains a 403 on registration as missing consents, with what to do', () => {
    const described = describePolarError({
      status: 403,
      body: JSON.stringify(forbidden),
      operation: 'register user',
    });
    expect(described?.message).toMatch(/not accepted Polar's mandatory consents/);
    expect(described?.message).toContain('User has not accepted all mandatory consents');
    expect(described?.hint).toMatch(/flow\.polar\.com/);
  });

  it('tells that a refused token needs the user to reconnect', () => {
    expect(describePolarError({ status: 401, body: '' })?.message).toMatch(
      /cannot be refreshed: the user must reconnect/,
    );
    expect(describePolarError({ status: 401, body: '' })?.hint).toMatch(/connect Polar again/);
  });

  it('explains a 409 on webhook creation (one webhook per client)', () => {
    const described = describePolarError({
      status: 409,
      body: '{"message":"exists"}',
      operation: 'create webhook',
    });
    expect(described?.message).toMatch(/already has a webhook/);
    expect(describePolarError({ status: 409, body: '', operation: 'register user' })).toBeUndefined();
  });
});
