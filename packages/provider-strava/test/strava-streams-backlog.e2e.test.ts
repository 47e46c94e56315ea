import type { PGlite } from '@electric-sql/pglite';
import { createTrainlytics, FakeClock, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestPGlite } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StravaSandbox, startStravaSandbox } from '../src/sandbox-entry';
import { redirectUri } from './harness';

const QUARTER_HOUR = 15 * 60_000;

/**
 * The streams backlog under Strava's budget: it leaves 30 % of each window to summary syncs, stops with the
 * time the window resets, resumes where it stopped on the next run, and ends with every activity handled
 * exactly once (stored, or "none" for manual entries), in exactly the documented requests.
 */
describe('Strava streams backlog within the rate budget', () => {
  let sandbox: StravaSandbox;
  let pglite: PGlite;
  let trainlytics: Trainlytics;
  let connectionId: number;
  const clock = new FakeClock(Date.parse('2026-06-01T10:00:00Z'));
  const statuses: number[] = [];
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetch(input, init);
    statuses.push(response.status);
    return response;
  };

  beforeAll(async () => {
    // 20 requests per quarter-hour: the backlog may use 14 of them
    sandbox = await startStravaSandbox({ clock, rateLimit: { limit: 20, dailyLimit: 100_000 } });
    pglite = await createTestPGlite({ migrate: true });
    trainlytics = createTrainlytics({
      store: postgresStore(pglite),
      providers: [sandbox.createProvider({ fetch: recordingFetch })],
      clock,
    });
    const user = await pglite.query<{ id: number }>(
      `insert into users (email) values ('b@example.com') returning id`,
    );
    const { providerUserId } = await sandbox.seedAthlete({ activityCount: 18 });
    const { url } = await trainlytics.connect.start('strava', { userId: user.rows[0]!.id, redirectUri });
    const callback = await sandbox.approve(url, { providerUserId });
    ({ id: connectionId } = await trainlytics.connect.finish('strava', {
      callbackParams: callback.searchParams,
    }));
    clock.advance(QUARTER_HOUR); // a fresh window for the sync
    await trainlytics.sync(connectionId, { full: true });
  }, 180_000);

  afterAll(async () => {
    await trainlytics.close();
    await sandbox.close();
    await pglite.close();
  });

  it('plans from the reported limits, stops at the reserve, resumes, and handles every activity once', async () => {
    const plan = await trainlytics.streams.plan(connectionId);
    expect(plan).toMatchObject({ remaining: 18, requestsPerActivity: 2, requests: 36 });
    // the tightest reported window: 20 per 15 min, 70 % of it, 96 windows a day
    expect(plan?.requestsPerDay).toBe(Math.floor(20 * 0.7 * 96));
    expect(plan?.estimatedMs).toBe(Math.round((36 / plan!.requestsPerDay!) * 86_400_000));

    const limited = await trainlytics.streams.backlog(connectionId, { limit: 2 });
    expect(limited).toMatchObject({ stoppedBy: 'limit', failed: 0 });
    expect(limited.stored + limited.none).toBe(2);

    const runs = [limited];
    for (let i = 0; i < 20; i++) {
      const run = await trainlytics.streams.backlog(connectionId);
      runs.push(run);
      expect(run.failed).toBe(0);
      if (run.stoppedBy === 'done') break;
      expect(run.stoppedBy).toBe('budget');
      expect(run.resumeAt!.getTime() % QUARTER_HOUR).toBe(0);
      expect(run.resumeAt!.getTime()).toBeGreaterThan(clock.now().getTime());
      clock.set(run.resumeAt!);
    }
    expect(runs.at(-1)?.stoppedBy).toBe('done');
    expect(runs.length).toBeGreaterThan(2); // the budget did stop it
    const stored = runs.reduce((n, r) => n + r.stored, 0);
    const none = runs.reduce((n, r) => n + r.none, 0);
    expect(stored + none).toBe(18);
    expect(runs.reduce((n, r) => n + r.requests, 0)).toBe(2 * stored + none);
    expect((await trainlytics.streams.plan(connectionId))?.remaining).toBe(0);
    // never a 429: the backlog stayed inside the budget
    expect(statuses.filter((status) => status === 429)).toEqual([]);
    const rows = await pglite.query<{ n: number }>('select count(*)::int as n from activity_streams');
    expect(rows.rows[0]!.n).toBe(18);
  });
});
