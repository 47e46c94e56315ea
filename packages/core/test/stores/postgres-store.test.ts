import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, resetDatabase, runStoreConformanceSuite } from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

runStoreConformanceSuite({
  name: 'postgres (pg.Pool, real PostgreSQL)',
  createStore: async () => {
    const database = await createTestDatabase({ migrate: true, prefix: 'tl_store_pg' });
    const store = postgresStore({ pool: database.pool });
    return {
      store,
      db: database.pool,
      reset: () => resetDatabase(database.pool),
      close: async () => {
        await store.close();
        await database.drop();
      },
    };
  },
});

describe('postgresStore with a connection string', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: true, prefix: 'tl_store_url' });
  });
  afterAll(() => database.drop());

  it('opens its own pool, and close() ends only that pool', async () => {
    const store = postgresStore(database.connectionString);
    expect(store.kind).toBe('postgres');
    const { rows } = await database.pool.query(
      "insert into users (email) values ('url@example.com') returning id",
    );
    const userId = rows[0]!.id as number;
    await store.acquireLease(
      'own-pool',
      'worker',
      new Date('2026-01-01T00:10:00Z'),
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(await store.countActivities({ userId })).toBe(0);
    await store.close();

    // the pool passed to another store is the caller's: closing that store leaves it usable
    const shared = postgresStore({ pool: database.pool });
    await shared.close();
    const lease = await database.pool.query('select owner from trainlytics_leases');
    expect(lease.rows).toEqual([{ owner: 'worker' }]);
  });
});
