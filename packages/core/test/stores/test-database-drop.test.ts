import { createTestDatabase, testAdminUrl } from '@trainlytics/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `pg.Pool#end()` resolves before its sessions have closed. A drop that terminated them sent "terminating
// connection due to administrator command" to a closing pool's client, an `error` event that crashed the
// test process when the pool had no listener (a CI run's "1 unhandled error" in cli/dedupe-command).
// `drop()` must wait for another session to leave instead of killing it.

let admin: pg.Client;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: testAdminUrl() });
  await admin.connect();
});
afterAll(() => admin?.end());

/** Resolves once a session on the admin database is waiting in `drop database <name>`. */
async function dropStarted(name: string): Promise<void> {
  for (;;) {
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where state = 'active' and query like $1`,
      [`drop database if exists ${name}%`],
    );
    if (rows[0]!.n > 0) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function exists(name: string): Promise<boolean> {
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
  return rowCount === 1;
}

describe('createTestDatabase().drop()', () => {
  it('waits for a session of another pool to close instead of terminating it', async () => {
    const database = await createTestDatabase({ prefix: 'tl_drop_wait' });
    const other = new pg.Pool({ connectionString: database.connectionString, max: 1 });
    const errors: Error[] = [];
    other.on('error', (error) => errors.push(error));
    const client = await other.connect();
    client.on('error', (error) => errors.push(error));

    const dropping = database.drop();
    await dropStarted(database.name);
    // the drop is under way and the session is still usable: nothing terminated it
    expect((await client.query<{ n: number }>('select 41 + 1 as n')).rows).toEqual([{ n: 42 }]);
    client.release();
    await other.end();
    await dropping;

    expect(errors).toEqual([]);
    expect(await exists(database.name)).toBe(false);
  });

  it('still drops the database when a session stays open past PostgreSQL’s wait', async () => {
    const database = await createTestDatabase({ prefix: 'tl_drop_force' });
    const stays = new pg.Client({ connectionString: database.connectionString });
    const errors: Error[] = [];
    stays.on('error', (error) => errors.push(error));
    await stays.connect();
    try {
      await database.drop();
      expect(await exists(database.name)).toBe(false);
      await expect(stays.query('select 1')).rejects.toThrow();
    } finally {
      await stays.end().catch(() => {});
    }
  });
});
