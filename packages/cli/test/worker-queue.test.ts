import { createTrainlytics, silentLogger, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { strava } from '@trainlytics/provider-strava';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSyncQueue,
  enqueueDueConnections,
  SYNC_QUEUE,
  type SyncQueue,
  selectDueConnectionIds,
} from '../src/worker';

let database: TestDatabase;
let queue: SyncQueue;
let trainlytics: Trainlytics;
const ids: Record<'never' | 'old' | 'recent' | 'inactive' | 'reauth', number> = {
  never: 0,
  old: 0,
  recent: 0,
  inactive: 0,
  reauth: 0,
};
const NOW = new Date();

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_worker_queue' });
  const store = postgresStore({ pool: database.pool });
  trainlytics = createTrainlytics({
    store,
    providers: [strava({ clientId: 'id', clientSecret: 'secret', env: {} })],
    logger: silentLogger,
  });
  const lastSync: Record<keyof typeof ids, Date | null> = {
    never: null,
    old: new Date(NOW.getTime() - 60 * 60_000),
    recent: new Date(NOW.getTime() - 60_000),
    inactive: null,
    reauth: null,
  };
  for (const [i, key] of (Object.keys(ids) as Array<keyof typeof ids>).entries()) {
    const { rows } = await database.pool.query<{ id: number }>(
      'insert into users (email) values ($1) returning id',
      [`${key}@example.test`],
    );
    const connection = await store.upsertConnection(
      {
        userId: rows[0]!.id,
        provider: 'strava',
        providerUserId: String(70_000 + i),
        accessToken: 'a',
        refreshToken: 'r',
        tokenExpiresAt: null,
        refreshTokenExpiresAt: null,
        scopes: ['read'],
        providerProfile: {},
      },
      NOW,
    );
    await database.pool.query(
      'update provider_connections set last_sync_at = $2, is_active = $3, reauth_required = $4 where id = $1',
      [connection.id, lastSync[key], key !== 'inactive', key === 'reauth'],
    );
    ids[key] = connection.id;
  }
  queue = createSyncQueue({ connectionString: database.connectionString });
  await queue.start();
});

afterAll(async () => {
  await queue?.stop();
  await trainlytics?.close();
  await database?.drop();
});

describe('enqueueDueConnections (the scheduler in queue mode)', () => {
  it('enqueues one job per due connection, and none again while they wait', async () => {
    const first = await enqueueDueConnections(trainlytics, queue, { intervalMs: 15 * 60_000, now: NOW });
    expect(first).toEqual({ due: 2, enqueued: 2, alreadyQueued: 0 });
    const { rows } = await database.pool.query<{
      key: string;
      data: { connectionId: number; full: boolean };
    }>(`select singleton_key as key, data from pgboss.job where name = $1 order by singleton_key`, [
      SYNC_QUEUE,
    ]);
    expect(rows.map((r) => r.data.connectionId).sort()).toEqual([ids.never, ids.old].sort());
    expect(rows.every((r) => r.key === String(r.data.connectionId) && r.data.full === false)).toBe(true);

    const second = await enqueueDueConnections(trainlytics, queue, { intervalMs: 15 * 60_000, now: NOW });
    expect(second).toEqual({ due: 2, enqueued: 0, alreadyQueued: 2 });
  });

  it('refuses an id that is not a connection id', async () => {
    await expect(queue.enqueueSync(0)).rejects.toThrow(/positive integer/);
    await expect(queue.enqueueSyncs([ids.old, -1])).rejects.toThrow(/positive integer/);
  });

  it('selects the most overdue first, at most `limit`, never an inactive or re-authorization one', async () => {
    const cutoff = new Date(NOW.getTime() - 15 * 60_000);
    const all = await selectDueConnectionIds(database.pool, { providers: ['strava'], cutoff, limit: 10 });
    expect(all).toEqual([ids.never, ids.old]);
    expect(await selectDueConnectionIds(database.pool, { providers: ['strava'], cutoff, limit: 1 })).toEqual([
      ids.never,
    ]);
    // a provider the app does not have is never due
    expect(await selectDueConnectionIds(database.pool, { providers: ['garmin'], cutoff, limit: 10 })).toEqual(
      [],
    );
    // synced a minute ago: due once the cutoff passes it
    const later = new Date(NOW.getTime() + 15 * 60_000);
    expect(
      await selectDueConnectionIds(database.pool, { providers: ['strava'], cutoff: later, limit: 10 }),
    ).toEqual([ids.never, ids.old, ids.recent]);
  });

  it('enqueues a batch in one go: one job per connection, duplicates collapsed, waiting ones counted', async () => {
    // ids.never and ids.old wait since the first test; ids.recent does not
    const report = await queue.enqueueSyncs([ids.recent, ids.never, ids.recent, ids.old]);
    expect(report).toEqual({ enqueued: 1, alreadyQueued: 2 });
    const { rows } = await database.pool.query<{ n: number }>(
      `select count(*)::int as n from pgboss.job where name = $1 and state = 'created' and singleton_key = $2`,
      [SYNC_QUEUE, String(ids.recent)],
    );
    expect(rows[0]!.n).toBe(1);
    expect(await queue.enqueueSyncs([ids.recent])).toEqual({ enqueued: 0, alreadyQueued: 1 });
    expect(await queue.enqueueSyncs([])).toEqual({ enqueued: 0, alreadyQueued: 0 });
  });

  it('never lets a tick enqueue more than its limit (the rest waits for the next tick)', async () => {
    await database.pool.query(`delete from pgboss.job where name = $1`, [SYNC_QUEUE]);
    const first = await enqueueDueConnections(trainlytics, queue, { now: NOW, limit: 1 });
    expect(first).toEqual({ due: 1, enqueued: 1, alreadyQueued: 0 });
    await expect(enqueueDueConnections(trainlytics, queue, { now: NOW, limit: 0 })).rejects.toThrow(/limit/);
  });
});
