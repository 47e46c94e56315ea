import { createTrainlytics, silentLogger } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { openBenchDatabase } from './databases';
import { countStatements, peakRssMiB, sampleRss } from './measure';
import type { BackfillResult, BenchDatabaseKind } from './scenario-result';

const TOKENS = { accessToken: 'bench-access-token', refreshToken: 'bench-refresh-token' };

/** One athlete with `activities` in their history, and a connection to it (tokens the sandbox accepts). */
async function setUp(activities: number, kind: BenchDatabaseKind, options: BenchOptions) {
  // the benchmark measures the backfill, not a rate-limit wait: generous limits here
  const sandbox = await startStravaSandbox({ rateLimit: { limit: 1_000_000, dailyLimit: 10_000_000 } });
  const { providerUserId } = await sandbox.registerAthlete({
    athleteId: 12_345_678,
    activityCount: activities,
    unsafeNewestId: false,
    ...TOKENS,
    expiresAt: new Date(Date.now() + 6 * 3_600_000),
  });
  const database = await openBenchDatabase(kind, options);
  const { rows } = await database.query(
    `insert into users (email) values ('bench@example.test') returning id`,
  );
  return { sandbox, providerUserId, database, userId: Number(rows[0]!.id) };
}

/** `rttMs`: PostgreSQL behind a proxy that adds this round-trip time to every query (`latency-proxy.ts`). */
export interface BenchOptions {
  rttMs?: number;
}

/** Trainlytics: `sync(id, { full: true })` — streamed pages, one commit per page. */
export async function runBackfill(
  activities: number,
  kind: BenchDatabaseKind,
  options: BenchOptions = {},
): Promise<BackfillResult> {
  const { sandbox, providerUserId, database, userId } = await setUp(activities, kind, options);
  const counter = { count: 0 };
  const store = postgresStore(countStatements(database.target, counter) as never);
  const trainlytics = createTrainlytics({
    store,
    providers: [sandbox.createProvider()],
    logger: silentLogger,
  });
  try {
    const connection = await store.upsertConnection(
      {
        userId,
        provider: 'strava',
        providerUserId,
        ...TOKENS,
        tokenExpiresAt: new Date(Date.now() + 6 * 3_600_000),
        refreshTokenExpiresAt: null,
        scopes: ['read', 'activity:read_all'],
        providerProfile: {},
      },
      new Date(),
    );
    sandbox.resetCounters();
    counter.count = 0;
    // garbage from setup (PGlite's initdb runs in a second WASM instance) is not the backfill's memory
    (globalThis as { gc?: () => void }).gc?.();
    const rss = sampleRss();
    const started = performance.now();
    const result = await trainlytics.sync(connection.id, { full: true });
    const wallMs = performance.now() - started;
    const syncRssMiB = rss.stop();
    if (result.status !== 'success') throw new Error(`The backfill failed: ${result.errorMessage}`);
    const statements = counter.count;
    const { rows } = await database.query('select count(*)::int as n from activities');
    return {
      scenario: 'backfill',
      database: kind,
      activities,
      stored: Number(rows[0]!.n),
      wallMs: Math.round(wallMs),
      activitiesPerSecond: Math.round(activities / (wallMs / 1000)),
      providerRequests: sandbox.requestCount({ pathPrefix: '/api/v3' }),
      statements,
      peakRssMiB: peakRssMiB(),
      syncRssMiB,
    };
  } finally {
    await trainlytics.close();
    await sandbox.close();
    await database.close();
  }
}

interface StravaSummary {
  id: number;
  name: string;
  sport_type?: string;
  type?: string;
  start_date: string;
  distance?: number;
  moving_time?: number;
  elapsed_time?: number;
  total_elevation_gain?: number;
  average_heartrate?: number;
  manual?: boolean;
}

/**
 * The legacy way, as the code before Trainlytics did it: page through `/athlete/activities` and upsert
 * each activity on its own (`supabase.from('activities').upsert(row)` into the legacy `activities` table:
 * one statement, one round trip). It pages the way Trainlytics does, by `before=` windows of 200 (the
 * next window ends at the oldest start of the page; `page=N` offsets cost the sandbox O(n) per page and
 * would bill the baseline for the sandbox's time), one request per page. Still naive: the exclusive
 * `before` skips an activity that shares the oldest start second of a page (the bench's histories have
 * distinct starts; Trainlytics' walk re-reads that second).
 */
export async function runNaive(
  activities: number,
  kind: BenchDatabaseKind,
  options: BenchOptions = {},
): Promise<BackfillResult> {
  const { sandbox, database, userId } = await setUp(activities, kind, options);
  let statements = 0;
  try {
    sandbox.resetCounters();
    const rss = sampleRss();
    const started = performance.now();
    for (let before: number | null = null; ; ) {
      const window = before === null ? '' : `&before=${before}`;
      const response = await fetch(`${sandbox.apiUrl}/athlete/activities?per_page=200${window}`, {
        headers: { authorization: `Bearer ${TOKENS.accessToken}` },
      });
      if (!response.ok) throw new Error(`The sandbox answered ${response.status}`);
      const items = (await response.json()) as StravaSummary[];
      if (items.length === 0) break;
      before = Math.floor(Date.parse(items[items.length - 1]!.start_date) / 1000);
      for (const a of items) {
        statements++;
        await database.query(
          `insert into activities (user_id, strava_activity_id, name, sport_type, start_date, distance_m,
             moving_time_s, elapsed_time_s, total_elevation_gain_m, average_heartrate, is_manual, raw)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           on conflict (strava_activity_id) do update set name = excluded.name, sport_type = excluded.sport_type,
             start_date = excluded.start_date, distance_m = excluded.distance_m, moving_time_s = excluded.moving_time_s,
             elapsed_time_s = excluded.elapsed_time_s, total_elevation_gain_m = excluded.total_elevation_gain_m,
             average_heartrate = excluded.average_heartrate, is_manual = excluded.is_manual, raw = excluded.raw`,
          [
            userId,
            a.id,
            a.name,
            a.sport_type ?? a.type ?? null,
            a.start_date,
            a.distance ?? null,
            a.moving_time ?? null,
            a.elapsed_time ?? null,
            a.total_elevation_gain ?? null,
            a.average_heartrate ?? null,
            a.manual ?? false,
            JSON.stringify(a),
          ],
        );
      }
    }
    const wallMs = performance.now() - started;
    const syncRssMiB = rss.stop();
    const { rows } = await database.query('select count(*)::int as n from activities');
    return {
      scenario: 'naive',
      database: kind,
      activities,
      stored: Number(rows[0]!.n),
      wallMs: Math.round(wallMs),
      activitiesPerSecond: Math.round(activities / (wallMs / 1000)),
      providerRequests: sandbox.requestCount({ pathPrefix: '/api/v3' }),
      statements,
      peakRssMiB: peakRssMiB(),
      syncRssMiB,
    };
  } finally {
    await sandbox.close();
    await database.close();
  }
}
