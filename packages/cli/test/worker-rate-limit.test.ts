import type { PGlite } from '@electric-sql/pglite';
import { postgresRateLimitTracker } from '@trainlytics/core/postgres';
import { createTestDatabase, createTestPGlite, type TestDatabase } from '@trainlytics/core/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const T0 = Date.parse('2026-03-02T10:00:00.000Z'); // the start of a 15-second window
const at = (ms: number) => new Date(T0 + ms);
const windows = (used: number, limit = 10) => [
  { bucket: 'overall', windows: [{ name: '15min', limit, used, resetsAt: at(15 * 60_000) }] },
];

let database: TestDatabase;
let pglite: PGlite;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_worker_rl' });
  pglite = await createTestPGlite({ migrate: true });
});
afterAll(async () => {
  await database?.drop();
  await pglite?.close();
});
beforeEach(async () => {
  const sql = 'delete from trainlytics_rate_limits; delete from trainlytics_rate_limit_blocks';
  await database.pool.query(sql);
  await pglite.exec(sql);
});

describe('postgresRateLimitTracker (shared state in PostgreSQL)', () => {
  it('lets exactly the remaining requests through when many workers reserve at once', async () => {
    // five trackers = five worker processes sharing one pool of connections to the same database
    const trackers = Array.from({ length: 5 }, () =>
      postgresRateLimitTracker({ db: database.pool, windowPeriodsMs: { '15min': 15_000 }, guardMs: 0 }),
    );
    await trackers[0]!.observe('strava', windows(3), at(1_000));
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => trackers[i % 5]!.reserve('strava', at(2_000))),
    );
    expect(answers.filter((a) => a === null)).toHaveLength(7);
    // the others wait for the end of the 15-second window
    expect(new Set(answers.filter((a) => a !== null).map((a) => a!.toISOString()))).toEqual(
      new Set([at(15_000).toISOString()]),
    );
    await trackers[1]!.refresh('strava');
    expect(trackers[1]!.snapshot('strava').snapshots[0]!.windows[0]).toMatchObject({ used: 10, limit: 10 });
  });

  it('never lowers the count below what was reserved, and starts over in the next window', async () => {
    const tracker = postgresRateLimitTracker({
      db: database.pool,
      windowPeriodsMs: { '15min': 15_000 },
      guardMs: 0,
    });
    await tracker.observe('strava', windows(0), at(0 + 500));
    for (let i = 0; i < 6; i++) expect(await tracker.reserve('strava', at(1_000))).toBeNull();
    // a response sent before the others arrived says 2: the 6 reserved still count
    await tracker.observe('strava', windows(2), at(1_500));
    await tracker.refresh('strava');
    expect(tracker.snapshot('strava').snapshots[0]!.windows[0]!.used).toBe(6);
    // another app of the same account used more: the header wins
    await tracker.observe('strava', windows(10), at(2_000));
    expect(await tracker.reserve('strava', at(2_500))).toEqual(at(15_000));
    // the next window
    expect(await tracker.reserve('strava', at(15_001))).toBeNull();
    await tracker.refresh('strava');
    expect(tracker.snapshot('strava').snapshots[0]!.windows[0]).toMatchObject({
      used: 1,
      resetsAt: at(30_000),
    });
  });

  it('counts requests reserved at the very end of a window in the next one too', async () => {
    const tracker = postgresRateLimitTracker({
      db: database.pool,
      windowPeriodsMs: { '15min': 15_000 },
      guardMs: 1_000,
    });
    await tracker.observe('strava', windows(0, 4), at(2_000));
    expect(await tracker.reserve('strava', at(5_000))).toBeNull();
    expect(await tracker.reserve('strava', at(14_500))).toBeNull();
    expect(await tracker.reserve('strava', at(14_900))).toBeNull();
    // the provider may count the last two in the next window: only 2 of 4 are left there
    expect(await tracker.reserve('strava', at(15_100))).toBeNull();
    expect(await tracker.reserve('strava', at(15_200))).toBeNull();
    expect(await tracker.reserve('strava', at(15_300))).toEqual(at(30_000));
  });

  it('holds every request back until a 429 block ends, for every tracker', async () => {
    const a = postgresRateLimitTracker({ db: pglite });
    const b = postgresRateLimitTracker({ db: pglite });
    await a.block('strava', at(60_000));
    expect(await b.reserve('strava', at(1_000))).toEqual(at(60_000));
    expect(await b.reserve('garmin', at(1_000))).toBeNull();
    expect(await b.reserve('strava', at(60_001))).toBeNull();
    expect(a.snapshot('strava').blockedUntil).toEqual(at(60_000));
  });

  it('uses the reported reset time for a window of unknown length (PGlite)', async () => {
    const tracker = postgresRateLimitTracker({ db: pglite });
    await tracker.observe(
      'polar',
      [{ bucket: 'app', windows: [{ name: 'short', limit: 2, used: 2, resetsAt: at(20_000) }] }],
      at(1_000),
    );
    expect(await tracker.reserve('polar', at(2_000))).toEqual(at(20_000));
    expect(await tracker.reserve('polar', at(20_000))).toBeNull();
  });
});
