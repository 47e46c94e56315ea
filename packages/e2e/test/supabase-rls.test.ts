import {
  applyMigrations,
  createTestDatabase,
  type TestDatabase,
  testAdminUrl,
} from '@trainlytics/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Supabase's roles on the real PostgreSQL: `anon` (the public key) and `authenticated` (a signed-in
// user's JWT, whose claims PostgREST puts in `request.jwt.claims`). The database gets Supabase's
// default privileges first (every new table in `public` granted to both roles), so the migrations
// themselves must lock the tables down. Then, as each role, with `set role`: a user reads only their
// own connections and sync history, never a token column; anon reads nothing.

let database: TestDatabase;
let userA: number;
let userB: number;
let connectionA: number;
let connectionB: number;

/** Creates the cluster-wide roles when missing (never dropped: other suites may use them too). */
async function ensureRoles(): Promise<void> {
  const admin = new pg.Client({ connectionString: testAdminUrl() });
  await admin.connect();
  try {
    for (const role of ['anon', 'authenticated']) {
      try {
        await admin.query(`do $$ begin
          if not exists (select 1 from pg_roles where rolname = '${role}') then create role ${role} nologin; end if;
        end $$`);
      } catch (error) {
        // another suite created it at the same moment
        const code = (error as { code?: string }).code;
        if (code !== '42710' && code !== '23505') throw error;
      }
    }
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  await ensureRoles();
  database = await createTestDatabase({ prefix: 'tl_e2e_rls' });
  // Supabase's defaults: new tables, sequences and functions in public are granted to anon and authenticated
  await database.pool.query(`
    grant usage on schema public to anon, authenticated;
    alter default privileges in schema public grant all on tables to anon, authenticated;
    alter default privileges in schema public grant all on sequences to anon, authenticated;
    alter default privileges in schema public grant all on functions to anon, authenticated;
  `);
  await applyMigrations(database.pool);
  const users = await database.pool.query(
    `insert into users (email, first_name) values ('a@example.com', 'A'), ('b@example.com', 'B') returning id`,
  );
  [userA, userB] = users.rows.map((r) => Number(r.id)) as [number, number];
  const connections = await database.pool.query(
    `insert into provider_connections (user_id, provider, provider_user_id, access_token, refresh_token, scopes)
     values ($1, 'strava', 'athlete-a', 'secret-access-a', 'secret-refresh-a', '{activity:read_all}'),
            ($2, 'strava', 'athlete-b', 'secret-access-b', 'secret-refresh-b', '{activity:read_all}')
     returning id`,
    [userA, userB],
  );
  [connectionA, connectionB] = connections.rows.map((r) => Number(r.id)) as [number, number];
  await database.pool.query(
    `insert into sync_history (connection_id, sync_status) values ($1, 'success'), ($2, 'success'), ($2, 'failed')`,
    [connectionA, connectionB],
  );
  await database.pool.query(
    `insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type, start_date)
     values ($1, $2, 'strava', '1', 'Run A', 'run', now()), ($3, $4, 'strava', '2', 'Run B', 'run', now())`,
    [userA, connectionA, userB, connectionB],
  );
});
afterAll(async () => {
  await database?.drop();
});

/** Runs `fn` in a transaction as `role` with the JWT claims of `appUserId` (as PostgREST does), then rolls back. */
async function as<T>(
  role: 'anon' | 'authenticated',
  appUserId: number | null,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await database.pool.connect();
  try {
    await client.query('begin');
    const claims = appUserId === null ? { role } : { role, sub: 'uuid', app_user_id: appUserId };
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
    await client.query(`set local role ${role}`);
    return await fn(client);
  } finally {
    await client.query('rollback').catch(() => {});
    client.release();
  }
}

async function sqlError(client: pg.PoolClient, sql: string, params: unknown[] = []): Promise<string | null> {
  await client.query('savepoint probe');
  try {
    await client.query(sql, params);
    await client.query('release savepoint probe');
    return null;
  } catch (error) {
    await client.query('rollback to savepoint probe');
    return (error as { code?: string }).code ?? 'error';
  }
}

const PUBLIC_COLUMNS =
  'id, user_id, provider, provider_user_id, scopes, provider_profile, is_active, reauth_required, last_error, last_sync_at';

describe('Supabase roles and RLS', () => {
  it("authenticated with user A's claims sees A's connections only", async () => {
    const rows = await as(
      'authenticated',
      userA,
      async (c) => (await c.query(`select ${PUBLIC_COLUMNS} from provider_connections`)).rows,
    );
    expect(rows.map((r) => Number(r.id))).toEqual([connectionA]);
    expect(rows[0]?.user_id).toBe(userA);
  });

  it('authenticated sees only the sync history of its own connections', async () => {
    const a = await as(
      'authenticated',
      userA,
      async (c) => (await c.query('select connection_id from sync_history')).rows,
    );
    expect(a.map((r) => Number(r.connection_id))).toEqual([connectionA]);
    const b = await as(
      'authenticated',
      userB,
      async (c) => (await c.query('select connection_id from sync_history')).rows,
    );
    expect(b.map((r) => Number(r.connection_id))).toEqual([connectionB, connectionB]);
  });

  it('authenticated can never read a token column, not even its own', async () => {
    await as('authenticated', userA, async (c) => {
      expect(await sqlError(c, 'select access_token from provider_connections')).toBe('42501');
      expect(await sqlError(c, 'select refresh_token from provider_connections')).toBe('42501');
      expect(await sqlError(c, 'select * from provider_connections')).toBe('42501');
    });
  });

  it('authenticated cannot write connections or history', async () => {
    await as('authenticated', userA, async (c) => {
      expect(
        await sqlError(c, `update provider_connections set is_active = false where id = $1`, [connectionA]),
      ).toBe('42501');
      expect(await sqlError(c, `delete from sync_history`)).toBe('42501');
      expect(
        await sqlError(
          c,
          `insert into provider_connections (user_id, provider, provider_user_id, access_token) values ($1, 'polar', 'x', 'y')`,
          [userA],
        ),
      ).toBe('42501');
    });
  });

  it('authenticated without an app_user_id claim sees nothing', async () => {
    const rows = await as('authenticated', null, async (c) => ({
      connections: (await c.query(`select ${PUBLIC_COLUMNS} from provider_connections`)).rows,
      history: (await c.query('select id from sync_history')).rows,
    }));
    expect(rows).toEqual({ connections: [], history: [] });
  });

  it('a forged claim that is not a user id matches nobody', async () => {
    const client = await database.pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('request.jwt.claims', $1, true)`, [
        JSON.stringify({ app_user_id: `${userA} or true` }),
      ]);
      await client.query('set local role authenticated');
      const { rows } = await client.query(`select ${PUBLIC_COLUMNS} from provider_connections`);
      expect(rows).toEqual([]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });

  it('anon reads no connection, history or token, and cannot call is_token_expired', async () => {
    await as('anon', null, async (c) => {
      for (const sql of [
        'select id from provider_connections',
        'select access_token from provider_connections',
        'select id from sync_history',
        'select * from trainlytics_oauth_states',
        'select * from trainlytics_webhook_events',
        'select * from trainlytics_leases',
      ]) {
        const code = await sqlError(c, sql);
        if (code === null) {
          // allowed to run: then RLS must leave it empty
          const { rows } = await c.query(sql);
          expect(rows, sql).toEqual([]);
        } else expect(code, sql).toBe('42501');
      }
      expect(await sqlError(c, 'select is_token_expired($1)', [connectionA])).toBe('42501');
    });
  });

  it('anon cannot read the activity and summary views', async () => {
    await as('anon', null, async (c) => {
      for (const sql of [
        'select user_id from recent_activities where user_id = $1',
        'select email from user_connections_summary where user_id = $1',
      ]) {
        expect(await sqlError(c, sql, [userB]), sql).toBe('42501');
      }
    });
  });

  // Migration 005 puts RLS on the legacy `activities` and `users` tables (Supabase's default privileges
  // would otherwise open them to the anon key).
  it('anon reads no activity and no user', async () => {
    await as('anon', null, async (c) => {
      expect(await sqlError(c, 'select id from activities')).toBe('42501');
      expect(await sqlError(c, 'select email from users')).toBe('42501');
    });
  });

  it('authenticated reads only its own activities and user row, also through the views', async () => {
    const seen = await as('authenticated', userA, async (c) => ({
      activities: (await c.query('select distinct user_id from activities')).rows.map((r) => r.user_id),
      users: (await c.query('select id from users')).rows.map((r) => r.id),
      recent: (await c.query('select distinct user_id from recent_activities')).rows.map((r) => r.user_id),
      summary: (await c.query('select user_id from user_connections_summary')).rows.map((r) => r.user_id),
    }));
    expect(seen.activities).toEqual([userA]);
    expect(seen.users).toEqual([userA]);
    expect(seen.recent).toEqual([userA]);
    expect(seen.summary).toEqual([userA]);
  });
});
