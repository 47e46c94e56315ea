import { createScheduler } from '@trainlytics/cli';
import { createTrainlytics, type FetchFunction, silentLogger } from '@trainlytics/core';
import { postgresRateLimitTracker, postgresStore } from '@trainlytics/core/postgres';
import { startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { openBenchDatabase } from './databases';
import { countStatements, peakRssMiB } from './measure';
import type { IncrementalResult } from './scenario-result';

export interface IncrementalOptions {
  connections: number;
  newActivities: number;
  /** The sandbox's app-wide limit per window. */
  limit: number;
  windowMs: number;
  concurrency: number;
}

const DAY_MS = 86_400_000;

/**
 * `connections` athletes, each synced before (a cursor at yesterday) with `newActivities` uploaded since,
 * synced by the embedded scheduler under the sandbox's app-wide rate limit. The rate-limit state is the
 * shared one in PostgreSQL (`postgresRateLimitTracker`), fed by the sandbox's `X-RateLimit-*` headers.
 */
export async function runIncremental(options: IncrementalOptions): Promise<IncrementalResult> {
  const { connections, newActivities, limit, windowMs } = options;
  const sandbox = await startStravaSandbox({ rateLimit: { limit, windowMs, dailyLimit: 10_000_000 } });
  const database = await openBenchDatabase('postgres');
  const seen = { requests: 0, tooMany: 0, maxUsage: 0 };
  const recordingFetch: FetchFunction = async (input, init) => {
    const response = await fetch(input, init);
    if (String(input instanceof Request ? input.url : input).includes('/api/v3/')) {
      seen.requests++;
      if (response.status === 429) seen.tooMany++;
      const usage = Number((response.headers.get('x-ratelimit-usage') ?? '').split(',')[0]);
      if (Number.isFinite(usage)) seen.maxUsage = Math.max(seen.maxUsage, usage);
    }
    return response;
  };
  const counter = { count: 0 };
  const store = postgresStore(countStatements(database.target, counter) as never);
  const rateLimitTracker = postgresRateLimitTracker({
    db: database.target as never,
    windowPeriodsMs: { '15min': windowMs },
    guardMs: 500,
  });
  const trainlytics = createTrainlytics({
    store,
    providers: [sandbox.createProvider({ fetch: recordingFetch })],
    logger: silentLogger,
    rateLimitTracker,
  });
  try {
    const now = Date.now();
    const yesterday = new Date(now - DAY_MS);
    const { rows: users } = await database.query(
      `insert into users (email) select 'athlete' || i || '@bench.test' from generate_series(1, $1) i returning id`,
      [connections],
    );
    for (const [i, user] of users.entries()) {
      const tokens = { accessToken: `access-${i}`, refreshToken: `refresh-${i}` };
      const { providerUserId } = await sandbox.registerAthlete({
        athleteId: 50_000_000 + i,
        activityCount: 20,
        historyEnd: yesterday,
        unsafeNewestId: false,
        ...tokens,
        expiresAt: new Date(now + 6 * 3_600_000),
      });
      await sandbox.addActivities(providerUserId, newActivities);
      const connection = await store.upsertConnection(
        {
          userId: Number(user.id),
          provider: 'strava',
          providerUserId,
          ...tokens,
          tokenExpiresAt: new Date(now + 6 * 3_600_000),
          refreshTokenExpiresAt: null,
          scopes: ['read', 'activity:read_all'],
          providerProfile: {},
        },
        new Date(now),
      );
      // synced yesterday: the cursor's high-water mark is the newest activity then (see StravaSyncCursor)
      await database.query(
        `update provider_connections set sync_cursor = $2::jsonb, last_sync_at = $3 where id = $1`,
        [connection.id, JSON.stringify({ v: 1, after: Math.floor(yesterday.getTime() / 1000) }), yesterday],
      );
    }

    const scheduler = createScheduler({
      trainlytics,
      intervalMs: 15 * 60_000,
      concurrency: options.concurrency,
      rateLimitTracker,
      logger: silentLogger,
    });
    sandbox.resetCounters();
    counter.count = 0;
    const started = Date.now();
    let succeeded = 0;
    for (;;) {
      const report = await scheduler.tick();
      succeeded += report.results.filter((r) => r.status === 'success').length;
      if (report.due === 0) break;
      // everything due was left for the next window: look again shortly
      if (report.results.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    const wallMs = Date.now() - started;
    const requests = sandbox.requestCount({ pathPrefix: '/api/v3' });
    // requests can only be sent in windows of `limit`: the last window needed starts this long after `started`
    const windowsNeeded = Math.ceil(requests / limit);
    const firstWindowStart = Math.floor(started / windowMs) * windowMs;
    const rateLimitFloorMs = Math.max(0, firstWindowStart + (windowsNeeded - 1) * windowMs - started);
    const { rows } = await database.query('select count(*)::int as n from activities where start_date > $1', [
      yesterday,
    ]);
    return {
      scenario: 'incremental',
      connections,
      newActivitiesPerConnection: newActivities,
      stored: Number(rows[0]!.n),
      limit,
      windowMs,
      providerRequests: requests,
      maxRequestsInAWindow: seen.maxUsage,
      tooManyRequests: seen.tooMany,
      wallMs,
      rateLimitFloorMs,
      syncsSucceeded: succeeded,
      statements: counter.count,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await trainlytics.close();
    await sandbox.close();
    await database.close();
  }
}
