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
  /** The mean of the two replays around it: the same pages written again, one `commitPage` after the other, into a fresh database (the store alone). */
  replayMs: number;
  /** The replay before and the replay after the measured backfill. */
  replaysMs: [number, number];
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

/** A fresh database with a Strava connection whose every page write creates its rows again. */
async function openTarget(providerUserId: string) {
  const database = await openBenchDatabase('postgres');
  const store = postgresStore(database.target as never);
  const connection = await freshConnection(store, database, providerUserId);
  return {
    database,
    store,
    connection,
    async close() {
      await store.close();
      await database.close();
    },
  };
}

/** Writes the captured pages again, one `commitPage` after the other, into a fresh database: its wall time. */
async function replay(pages: PageCommit[], providerUserId: string): Promise<number> {
  const target = await openTarget(providerUserId);
  try {
    const sync = await target.store.startSync({
      connectionId: target.connection.id,
      syncType: 'full',
      cursorBefore: null,
      now: new Date(),
    });
    const started = performance.now();
    for (const page of pages) {
      await target.store.commitPage({ ...page, connectionId: target.connection.id, syncId: sync.id });
    }
    const ms = performance.now() - started;
    const { rows } = await target.database.query('select count(*)::int as n from activities');
    if (
      Number(rows[0]!.n) !== new Set(pages.flatMap((p) => p.activities.map((a) => a.providerActivityId))).size
    ) {
      throw new Error(`The replay stored ${rows[0]!.n} activities`);
    }
    return ms;
  } finally {
    await target.close();
  }
}

/** `sync(id, { full: true })` into a fresh database (capturing its page writes when `pages` is given). */
async function backfill(
  sandbox: Awaited<ReturnType<typeof startStravaSandbox>>,
  providerUserId: string,
  pages?: PageCommit[],
): Promise<number> {
  const target = await openTarget(providerUserId);
  const trainlytics = createTrainlytics({
    store: pages ? capturing(target.store, pages) : target.store,
    providers: [sandbox.createProvider()],
    logger: silentLogger,
  });
  try {
    const started = performance.now();
    const result = await trainlytics.sync(target.connection.id, { full: true });
    const ms = performance.now() - started;
    if (result.status !== 'success') throw new Error(`The backfill failed: ${result.errorMessage}`);
    return ms;
  } finally {
    await trainlytics.close();
    await target.close();
  }
}

/**
 * The backfill against the rate its own store writes at, from one run, on a shared machine: a first
 * Strava backfill of `activities` into PostgreSQL keeps the pages it commits; then the same pages are
 * committed again one after the other, with nothing else to do, into a fresh database (the store alone);
 * then a second backfill (nothing kept) into a fresh database; then the replay again. The ratio is the
 * second backfill over the mean of the two replays that bracket it, so a load that changes during the run
 * weighs on both sides.
 */
export async function runWriteRate(activities: number): Promise<WriteRateResult> {
  const sandbox = await startStravaSandbox({ rateLimit: { limit: 1_000_000, dailyLimit: 10_000_000 } });
  try {
    const { providerUserId } = await sandbox.registerAthlete({
      athleteId: 12_345_678,
      activityCount: activities,
      unsafeNewestId: false,
      ...TOKENS,
      expiresAt: new Date(Date.now() + 6 * 3_600_000),
    });
    const pages: PageCommit[] = [];
    await backfill(sandbox, providerUserId, pages);
    const before = await replay(pages, providerUserId);
    const endToEndMs = await backfill(sandbox, providerUserId);
    const after = await replay(pages, providerUserId);
    const replayMs = (before + after) / 2;
    return {
      scenario: 'write-rate',
      database: 'postgres',
      activities,
      endToEndMs: Math.round(endToEndMs),
      replayMs: Math.round(replayMs),
      replaysMs: [Math.round(before), Math.round(after)],
      pages: pages.length,
      ratio: Math.round((endToEndMs / replayMs) * 100) / 100,
      peakRssMiB: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    };
  } finally {
    await sandbox.close();
  }
}
