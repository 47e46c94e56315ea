import type { PageCommit, Store } from '@trainlytics/core';
import { createTrainlytics, silentLogger } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { startStravaSandbox } from '@trainlytics/provider-strava/sandbox';
import { openBenchDatabase } from './databases';

const TOKENS = { accessToken: 'bench-access-token', refreshToken: 'bench-refresh-token' };

export interface WriteRateResult {
  scenario: 'write-rate';
  database: 'postgres';
  activities: number;
  /** The end-to-end `sync(id, { full: true })` wall time. */
  endToEndMs: number;
  /** The same pages written again, one `commitPage` after the other, into a fresh database: the store alone. */
  replayMs: number;
  pages: number;
  /** endToEndMs / replayMs: how far the backfill is from the rate its own store writes at (goal ≤ 1.5). */
  ratio: number;
  peakRssMiB: number;
}

/** Keeps every page the sync commits (the replay writes them again). */
function capturing(store: Store, pages: PageCommit[]): Store {
  return {
    ...store,
    commitPage(page) {
      pages.push(page);
      return store.commitPage(page);
    },
  };
}

async function freshConnection(
  store: Store,
  database: Awaited<ReturnType<typeof openBenchDatabase>>,
  providerUserId: string,
) {
  const { rows } = await database.query(
    `insert into users (email) values ('bench@example.test') returning id`,
  );
  return store.upsertConnection(
    {
      userId: Number(rows[0]!.id),
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
}

/**
 * The backfill against the rate its own store writes at, from one run: a Strava backfill of `activities`
 * into PostgreSQL (the pages it commits are kept), then the same pages committed again one after the
 * other, with nothing else to do, into a second fresh database (a new connection and sync row, so every
 * row is created again, as in the backfill). Keeping the pages costs the backfill some garbage-collection
 * time, so the ratio errs against the backfill.
 */
export async function runWriteRate(activities: number): Promise<WriteRateResult> {
  const sandbox = await startStravaSandbox({ rateLimit: { limit: 1_000_000, dailyLimit: 10_000_000 } });
  const { providerUserId } = await sandbox.registerAthlete({
    athleteId: 12_345_678,
    activityCount: activities,
    unsafeNewestId: false,
    ...TOKENS,
    expiresAt: new Date(Date.now() + 6 * 3_600_000),
  });
  const first = await openBenchDatabase('postgres');
  const second = await openBenchDatabase('postgres');
  const pages: PageCommit[] = [];
  const store = postgresStore(first.target as never);
  const trainlytics = createTrainlytics({
    store: capturing(store, pages),
    providers: [sandbox.createProvider()],
    logger: silentLogger,
  });
  const replayStore = postgresStore(second.target as never);
  try {
    const connection = await freshConnection(store, first, providerUserId);
    let started = performance.now();
    const result = await trainlytics.sync(connection.id, { full: true });
    const endToEndMs = performance.now() - started;
    if (result.status !== 'success') throw new Error(`The backfill failed: ${result.errorMessage}`);

    const target = await freshConnection(replayStore, second, providerUserId);
    const sync = await replayStore.startSync({
      connectionId: target.id,
      syncType: 'full',
      cursorBefore: null,
      now: new Date(),
    });
    started = performance.now();
    for (const page of pages) {
      await replayStore.commitPage({ ...page, connectionId: target.id, syncId: sync.id });
    }
    const replayMs = performance.now() - started;
    const { rows } = await second.query('select count(*)::int as n from activities');
    if (Number(rows[0]!.n) !== activities) throw new Error(`The replay stored ${rows[0]!.n} activities`);
    return {
      scenario: 'write-rate',
      database: 'postgres',
      activities,
      endToEndMs: Math.round(endToEndMs),
      replayMs: Math.round(replayMs),
      pages: pages.length,
      ratio: Math.round((endToEndMs / replayMs) * 100) / 100,
      peakRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    };
  } finally {
    await trainlytics.close();
    await replayStore.close();
    await sandbox.close();
    await first.close();
    await second.close();
  }
}
