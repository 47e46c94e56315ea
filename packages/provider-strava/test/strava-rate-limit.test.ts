import { describe, expect, it } from 'vitest';
import { describeStravaError } from '../src/strava-error';
import { nextMidnightUtc, nextQuarterHour, stravaRateLimit } from '../src/strava-rate-limit';
import { fixtureText } from './fixtures';

const now = new Date('2026-03-04T10:07:30Z');

describe('stravaRateLimit', () => {
  it('reads overall and read buckets, "15min,daily", whatever the header case', () => {
    const headers = new Headers({
      'X-Ratelimit-Limit': '600,30000',
      'x-ratelimit-usage': '314,27536',
      'X-ReadRateLimit-Limit': '300, 15000',
      'X-READRATELIMIT-USAGE': '12,400',
    });
    const snapshots = stravaRateLimit.parse(headers, now);
    expect(snapshots).toEqual([
      {
        bucket: 'overall',
        windows: [
          { name: '15min', limit: 600, used: 314, resetsAt: new Date('2026-03-04T10:15:00Z') },
          { name: 'daily', limit: 30000, used: 27536, resetsAt: new Date('2026-03-05T00:00:00Z') },
        ],
      },
      {
        bucket: 'read',
        windows: [
          { name: '15min', limit: 300, used: 12, resetsAt: new Date('2026-03-04T10:15:00Z') },
          { name: 'daily', limit: 15000, used: 400, resetsAt: new Date('2026-03-05T00:00:00Z') },
        ],
      },
    ]);
  });

  it('ignores absent or unreadable headers', () => {
    expect(stravaRateLimit.parse(new Headers(), now)).toEqual([]);
    expect(
      stravaRateLimit.parse(new Headers({ 'X-RateLimit-Limit': 'lots', 'X-RateLimit-Usage': '1,2' }), now),
    ).toEqual([]);
  });

  it('retries a 429 at the next quarter-hour, or at midnight UTC when a daily window is used up', () => {
    const shortOnly = new Headers({ 'X-RateLimit-Limit': '200,2000', 'X-RateLimit-Usage': '201,900' });
    expect(stravaRateLimit.retryAt?.(shortOnly, now)).toEqual(new Date('2026-03-04T10:15:00Z'));
    const daily = new Headers({ 'X-ReadRateLimit-Limit': '100,1000', 'X-ReadRateLimit-Usage': '40,1000' });
    expect(stravaRateLimit.retryAt?.(daily, now)).toEqual(new Date('2026-03-05T00:00:00Z'));
    expect(stravaRateLimit.retryAt?.(new Headers(), now)).toEqual(new Date('2026-03-04T10:15:00Z'));
  });

  it('computes window boundaries at :00/:15/:30/:45 and midnight UTC', () => {
    expect(nextQuarterHour(new Date('2026-03-04T10:45:00Z'))).toEqual(new Date('2026-03-04T11:00:00Z'));
    expect(nextQuarterHour(new Date('2026-03-04T23:59:59Z'))).toEqual(new Date('2026-03-05T00:00:00Z'));
    expect(nextMidnightUtc(new Date('2026-12-31T23:00:00Z'))).toEqual(new Date('2027-01-01T00:00:00Z'));
  });
});

describe('describeStravaError', () => {
  it('names the failing field and says what to do', () => {
    const auth = describeStravaError({ status: 401, body: fixtureText('error-authorization.json') });
    expect(auth?.message).toBe(
      'Strava refused the request with HTTP 401: Authorization Error (Athlete access_token invalid)',
    );
    expect(auth?.hint).toMatch(/reconnect/);
    const refresh = describeStravaError({
      status: 400,
      body: fixtureText('error-refresh-token.json'),
      operation: 'token refresh',
    });
    expect(refresh?.message).toMatch(/'token refresh'.*RefreshToken refresh_token invalid/);
    expect(refresh?.hint).toBe('Strava refused the refresh token: the athlete must reconnect');
    const limited = describeStravaError({ status: 429, body: fixtureText('error-rate-limit.json') });
    expect(limited?.hint).toMatch(/quarter-hour/);
  });

  it('leaves bodies it does not understand to core', () => {
    expect(describeStravaError({ status: 502, body: '<html>Bad gateway</html>' })).toBeUndefined();
    expect(describeStravaError({ status: 500, body: '{"unexpected":true}' })).toBeUndefined();
  });
});
