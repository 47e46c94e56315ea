import { FakeClock } from '@trainlytics/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';

// The sandbox's app-wide counting, as Strava documents it (https://developers.strava.com/docs/rate-limits/):
// a 15-minute window reset at :00/:15/:30/:45 and a daily one reset at midnight UTC, both reported on every
// answer as "15min,daily" in X-RateLimit-Limit / X-RateLimit-Usage, 429 once a limit is exceeded, and
// requests refused for the short window still counted toward the daily one. Over real sockets, on the
// sandbox's injected clock (moved by hand, never by waiting).

const TOKEN = 'rate-limit-test-token';
const sandboxes: StravaSandbox[] = [];
afterEach(async () => {
  while (sandboxes.length > 0) await sandboxes.pop()?.close();
});

interface Limits {
  limit: number;
  dailyLimit: number;
  readLimit?: number;
  readDailyLimit?: number;
}

async function start(rateLimit: Limits, at: string) {
  const clock = new FakeClock(at);
  const sandbox = await startStravaSandbox({ clock, rateLimit });
  sandboxes.push(sandbox);
  await sandbox.registerAthlete({
    athleteId: '12345',
    accessToken: TOKEN,
    refreshToken: 'r',
    expiresAt: new Date(clock.now().getTime() + 6 * 3_600_000),
    activityCount: 1,
  });
  const send = async (method: string, path: string, token = TOKEN) => {
    const res = await fetch(`${sandbox.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as Record<string, unknown>;
    return {
      status: res.status,
      limit: res.headers.get('x-ratelimit-limit'),
      usage: res.headers.get('x-ratelimit-usage'),
      readLimit: res.headers.get('x-readratelimit-limit'),
      readUsage: res.headers.get('x-readratelimit-usage'),
      body,
    };
  };
  const get = (path = '/athlete', token = TOKEN) => send('GET', path, token);
  return { clock, sandbox, get, send };
}

describe('Strava sandbox rate limiting', () => {
  it('counts in a 15-minute window aligned to the clock: 429 once over, 200 again at the next quarter-hour', async () => {
    // the window began at 10:00, so it ends at 10:15 though its first request is at 10:14
    const { clock, get } = await start({ limit: 3, dailyLimit: 10 }, '2026-03-04T10:14:00Z');
    const answers = [await get(), await get(), await get(), await get()];
    expect(answers.map((a) => [a.status, a.limit, a.usage])).toEqual([
      [200, '3,10', '1,1'],
      [200, '3,10', '2,2'],
      [200, '3,10', '3,3'],
      [429, '3,10', '4,4'],
    ]);
    expect(answers[3]!.body).toMatchObject({ message: 'Rate Limit Exceeded' });

    clock.set('2026-03-04T10:14:59.999Z'); // the last millisecond of the window
    expect(await get()).toMatchObject({ status: 429, usage: '5,5' });
    clock.advance(1); // 10:15:00.000: a new short window; the daily count goes on
    expect(await get()).toMatchObject({ status: 200, usage: '1,6' });
    // every answer carries the headers, a refused token's too
    expect(await get('/athlete', 'not-a-token')).toMatchObject({ status: 401, limit: '3,10', usage: '2,7' });

    clock.set('2026-03-04T10:29:59.999Z');
    expect(await get()).toMatchObject({ status: 200, usage: '3,8' });
    expect(await get()).toMatchObject({ status: 429, usage: '4,9' });
    clock.set('2026-03-04T10:30:00Z');
    expect(await get()).toMatchObject({ status: 200, usage: '1,10' });
  });

  it('counts a day from midnight UTC: refused requests count toward it, and only midnight resets it', async () => {
    const { clock, get } = await start({ limit: 2, dailyLimit: 3 }, '2026-03-04T23:44:00Z');
    expect([await get(), await get(), await get()].map((a) => [a.status, a.usage])).toEqual([
      [200, '1,1'],
      [200, '2,2'],
      [429, '3,3'], // over the short window: still counted toward the day
    ]);
    clock.set('2026-03-04T23:45:00Z'); // a new short window, but the day is used up
    expect(await get()).toMatchObject({ status: 429, limit: '2,3', usage: '1,4' });
    clock.set('2026-03-04T23:59:59.999Z');
    expect(await get()).toMatchObject({ status: 429, usage: '2,5' });
    clock.advance(1); // midnight UTC: both windows start again
    expect(await get()).toMatchObject({ status: 200, usage: '1,1' });
  });

  it('reports the non-upload (read) limits apart from the overall ones, and refuses reads over them', async () => {
    // Strava's defaults: overall 200 / 15 min and 2,000 a day, non-upload 100 / 15 min and 1,000 a day
    const { clock, get } = await start(
      { limit: 4, dailyLimit: 100, readLimit: 2, readDailyLimit: 50 },
      '2026-03-04T10:00:00Z',
    );
    const answers = [await get(), await get(), await get()];
    expect(answers.map((a) => [a.status, a.limit, a.usage, a.readLimit, a.readUsage])).toEqual([
      [200, '4,100', '1,1', '2,50', '1,1'],
      [200, '4,100', '2,2', '2,50', '2,2'],
      [429, '4,100', '3,3', '2,50', '3,3'], // over the read window, within the overall one
    ]);
    clock.set('2026-03-04T10:15:00Z');
    expect(await get()).toMatchObject({ status: 200, usage: '1,4', readUsage: '1,4' });
  });

  it('counts every endpoint but uploads as non-upload; an upload counts only against the overall limits', async () => {
    const { get, send } = await start(
      { limit: 5, dailyLimit: 100, readLimit: 1, readDailyLimit: 50 },
      '2026-03-04T10:00:00Z',
    );
    // a push-subscription delete is not an upload: a read (here refused for the app's credentials)
    expect(await send('DELETE', '/push_subscriptions/1')).toMatchObject({
      status: 401,
      usage: '1,1',
      readUsage: '1,1',
    });
    expect(await get()).toMatchObject({ status: 429, usage: '2,2', readUsage: '2,2' });
    // POST /uploads (which the sandbox does not serve) is not held back by the used-up read window
    expect(await send('POST', '/uploads')).toMatchObject({ status: 404, usage: '3,3', readUsage: '2,2' });
    expect(await send('POST', '/activities')).toMatchObject({ status: 404, usage: '4,4', readUsage: '2,2' });
  });

  it('refuses over the overall daily limit even while the read limits leave room', async () => {
    const { get } = await start(
      { limit: 10, dailyLimit: 2, readLimit: 10, readDailyLimit: 50 },
      '2026-03-04T10:00:00Z',
    );
    expect([await get(), await get(), await get()].map((a) => [a.status, a.usage, a.readUsage])).toEqual([
      [200, '1,1', '1,1'],
      [200, '2,2', '2,2'],
      [429, '3,3', '3,3'],
    ]);
  });

  it('reports the read limits equal to the overall ones when none are given', async () => {
    const { get } = await start({ limit: 3, dailyLimit: 10 }, '2026-03-04T10:00:00Z');
    expect(await get()).toMatchObject({ status: 200, limit: '3,10', readLimit: '3,10', readUsage: '1,1' });
  });
});
