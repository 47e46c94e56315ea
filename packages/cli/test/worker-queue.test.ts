import { createTrainlytics, silentLogger, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { strava } from '@trainlytics/provider-strava';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncQueue, enqueueDueConnections, SYNC_QUEUE, type SyncQueue } from '../src/worker';

let database: TestDatabase;
let queue: SyncQueue;
let trainlytics: Trainlytics;
const ids: Record<'never' | 'old' | 'recent' | 'inactive', number> = {
  never: 0,
  old: 0,
  recent: 0,
  inactive: 0,
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
      'update provider_connections set last_sync_at = $2, is_active = $3 where id = $1',
      [connection.id, lastSync[key], key !== 'inactive'],
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
  });
});
