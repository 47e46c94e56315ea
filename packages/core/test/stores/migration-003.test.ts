import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigurationError } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { createTestDatabase, type TestDatabase } from '@trainlytics/core/testing';
import { migrate } from '@trainlytics/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const sqlDir = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@trainlytics/migrations/package.json')),
  'sql',
);
const TABLES = ['trainlytics_oauth_states', 'trainlytics_leases', 'trainlytics_webhook_events'];

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_store_003' });
});
afterAll(() => database.drop());

const storeFunctions = async () =>
  (
    await database.pool.query(
      `select p.proname, p.proacl::text[] as acl from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.proname like 'trainlytics\\_%' and p.proname <> 'trainlytics_current_user_id'
       order by 1`,
    )
  ).rows as Array<{ proname: string; acl: string[] | null }>;

describe('migration 003_trainlytics_core', () => {
  it('creates the SDK tables with row level security on', async () => {
    const { rows } = await database.pool.query(
      'select relname, relrowsecurity from pg_class where relname = any($1) order by relname',
      [TABLES],
    );
    expect(rows).toEqual(
      TABLES.map((relname) => ({ relname, relrowsecurity: true })).sort((a, b) =>
        a.relname.localeCompare(b.relname),
      ),
    );
  });

  it('does not let PUBLIC execute the store functions', async () => {
    const functions = await storeFunctions();
    expect(functions.length).toBeGreaterThanOrEqual(17);
    for (const fn of functions) {
      // a null ACL means the default (EXECUTE for PUBLIC); an entry "=X/owner" is PUBLIC's grant
      expect(fn.acl, fn.proname).not.toBeNull();
      expect(
        fn.acl!.some((entry) => entry.startsWith('=')),
        fn.proname,
      ).toBe(false);
    }
  });

  it('refuses a role without EXECUTE, which the store reports with what to do', async () => {
    const role = `tl_test_role_${randomBytes(4).toString('hex')}`;
    await database.pool.query(`create role ${role} nologin`);
    const client = await database.pool.connect();
    try {
      await client.query(`set role ${role}`);
      const error = await postgresStore({ client })
        .listConnections()
        .catch((e: unknown) => e);
      expect(ConfigurationError.isInstance(error)).toBe(true);
      expect((error as ConfigurationError).hint).toMatch(/service-role key/);
    } finally {
      await client.query('reset role');
      client.release();
      await database.pool.query(`drop role ${role}`);
    }
  });

  it('is idempotent, and its down file removes exactly what it created', async () => {
    const up = await readFile(path.join(sqlDir, '003_trainlytics_core.sql'), 'utf8');
    const before = (await storeFunctions()).map((f) => f.proname);
    await database.pool.query(up); // a second run changes nothing and raises nothing
    expect((await storeFunctions()).map((f) => f.proname)).toEqual(before);

    await migrate(database.pool, { direction: 'down', to: '002' }); // reverts 003 and what came after it
    expect(await storeFunctions()).toEqual([]);
    const { rows } = await database.pool.query(
      'select count(*)::int as n from pg_class where relname = any($1)',
      [TABLES],
    );
    expect(rows[0].n).toBe(0);
    const legacy = await database.pool.query(
      "select to_regclass('provider_connections') is not null as kept",
    );
    expect(legacy.rows[0].kept).toBe(true);

    await migrate(database.pool, { direction: 'up' });
    const store = postgresStore({ pool: database.pool });
    expect(await store.recordWebhookEvent('strava', 'after-reapply', new Date())).toBe(true);
  });
});
