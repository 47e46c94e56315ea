import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { seedLegacy, tempMigrationsDir, useTestDatabase } from './helpers.js';
import { ensureSupabaseRoles } from './supabase.js';

describe('002 with the Supabase anon/authenticated roles (PostgreSQL)', () => {
  const t = useTestDatabase('postgres');
  beforeAll(ensureSupabaseRoles);

  /** Runs `fn` on a dedicated connection as `role`, with the JWT claims set. */
  async function as<T>(role: string, claims: object | null, fn: (client: pg.PoolClient) => Promise<T>) {
    const client = await (t.input as pg.Pool).connect();
    try {
      await client.query(`select set_config('request.jwt.claims', $1, false)`, [
        claims ? JSON.stringify(claims) : '',
      ]);
      await client.query(`set role ${role}`);
      return await fn(client);
    } finally {
      await client.query('reset role');
      await client.query(`select set_config('request.jwt.claims', '', false)`);
      client.release();
    }
  }

  async function migrated() {
    const dir = await tempMigrationsDir();
    await migrate(t.input, { dir, to: '001' });
    await seedLegacy(t.db);
    await migrate(t.input, { dir });
    await t.db.exec(`
      insert into sync_history (connection_id, sync_status)
      select id, 'success' from provider_connections order by id;
      insert into workouts (user_id, name) values (1, 'Ana''s intervals'), (2, 'Bob''s long run');
      -- As on Supabase, where default privileges grant new tables to the API roles.
      grant all on trainlytics_migrations to anon, authenticated;
    `);
  }

  it('never lets authenticated read a token column', async () => {
    await migrated();
    for (const sql of [
      'select access_token from provider_connections',
      'select refresh_token from provider_connections',
      'select * from provider_connections',
      `select id from provider_connections where access_token like 'a%'`,
    ]) {
      await expect(as('authenticated', { app_user_id: 1 }, (c) => c.query(sql))).rejects.toThrow(
        /permission denied for table provider_connections/,
      );
    }
    await expect(
      as('authenticated', { app_user_id: 1 }, (c) => c.query('select is_token_expired(1)')),
    ).rejects.toThrow(/permission denied for function is_token_expired/);
  });

  it('lets authenticated see only its own connections and sync history, with the app_user_id claim', async () => {
    await migrated();
    const own = (userId: number | null) =>
      as('authenticated', userId === null ? null : { app_user_id: userId }, async (c) => ({
        connections: (
          await c.query('select user_id, provider_user_id, token_expires_at from provider_connections')
        ).rows.map((r) => [r.user_id, r.provider_user_id]),
        history: (await c.query('select connection_id from sync_history')).rowCount,
      }));
    expect(
      await as(
        'authenticated',
        { app_user_id: 2 },
        async (c) => (await c.query('select name from workouts')).rows,
      ),
    ).toEqual([{ name: "Bob's long run" }]);
    expect(
      await as(
        'authenticated',
        { app_user_id: 2 },
        async (c) => (await c.query('select * from trainlytics_migrations')).rows,
      ),
    ).toEqual([]);
    expect(await own(1)).toEqual({ connections: [[1, '1001']], history: 1 });
    expect(await own(2)).toEqual({ connections: [[2, '1002']], history: 1 });
    expect(await own(3)).toEqual({ connections: [], history: 0 });
    expect(await own(null)).toEqual({ connections: [], history: 0 });
    // A string claim is read too; garbage is no one.
    expect(
      await as(
        'authenticated',
        { app_user_id: '4' },
        async (c) => (await c.query('select user_id from provider_connections')).rows,
      ),
    ).toEqual([{ user_id: 4 }]);
    expect(
      await as(
        'authenticated',
        { app_user_id: '1 or true' },
        async (c) => (await c.query('select trainlytics_current_user_id() as id')).rows[0].id,
      ),
    ).toBeNull();
  });

  it('gives anon nothing', async () => {
    await migrated();
    for (const sql of [
      'select id from provider_connections',
      'select id from sync_history',
      'select id from workouts',
    ]) {
      await expect(as('anon', { app_user_id: 1 }, (c) => c.query(sql))).rejects.toThrow(/permission denied/);
    }
    // Granted (as Supabase's default privileges do), yet RLS without a policy shows no bookkeeping row.
    expect(
      await as('anon', null, async (c) => (await c.query('select * from trainlytics_migrations')).rows),
    ).toEqual([]);
  });

  it('re-running 002 with the roles present changes no grant or policy', async () => {
    await migrated();
    const acl = async () =>
      t.rows(
        `select c.relname, c.relacl::text as acl,
                (select array_agg(a.attname || '=' || a.attacl::text order by a.attname)
                   from pg_attribute a where a.attrelid = c.oid and a.attacl is not null)::text as columns,
                (select array_agg(p.polname || ':' || pg_get_expr(p.polqual, p.polrelid) order by p.polname)
                   from pg_policy p where p.polrelid = c.oid)::text as policies
         from pg_class c where c.relname in ('provider_connections', 'sync_history', 'workouts') order by 1`,
      );
    const before = await acl();
    expect(before).toHaveLength(3);
    expect(before[0]!.columns).not.toMatch(/access_token|refresh_token=/);
    expect(before[0]!.columns).toMatch(/provider_user_id=\{authenticated=r/);
    expect(before[0]!.policies).toMatch(/provider_connections_select_own/);
    const { readFile } = await import('node:fs/promises');
    const { migrationsDir } = await import('../src/index.js');
    await t.db.exec(await readFile(`${migrationsDir}/002_multi_provider.sql`, 'utf8'));
    expect(await acl()).toEqual(before);
  });

  it('reverts cleanly with the roles, policies and grants in place', async () => {
    await migrated();
    const { migrationsDir } = await import('../src/index.js');
    const { readFile } = await import('node:fs/promises');
    // sync_history and workouts rows would be lost: forced (the refusal is down-policy.test.ts's subject).
    await migrate(t.input, { dir: await tempMigrationsDir(), direction: 'down', to: '001', force: true });
    const left = await t.rows(
      `select proname from pg_proc where pronamespace = 'public'::regnamespace
       union all select typname from pg_type where typnamespace = 'public'::regnamespace and typtype = 'e'`,
    );
    expect(left).toEqual([]);
    await t.db.exec(await readFile(`${migrationsDir}/002_multi_provider.down.sql`, 'utf8'));
    expect((await t.rows('select count(*)::int as n from strava_connections'))[0]!.n).toBe(3);
  });
});
