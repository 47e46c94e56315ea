import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { seedLegacy, useTestDatabase } from './helpers.js';
import { ensureSupabaseRoles, SUPABASE_DEFAULT_PRIVILEGES } from './supabase.js';

/**
 * The design's grant table (README "Security"): everything `anon` and `authenticated` may do. `anon`: nothing.
 * Rows are further limited by RLS policies to the caller's own (`app_user_id` claim).
 */
const GRANTS: Record<
  'anon' | 'authenticated',
  { select: Record<string, string[] | 'all'>; execute: string[] }
> = {
  anon: { select: {}, execute: [] },
  authenticated: {
    select: {
      users: 'all',
      activities: 'all',
      activity_streams: 'all',
      sync_history: 'all',
      workouts: 'all',
      user_connections_summary: 'all',
      recent_activities: 'all',
      canonical_activities: 'all',
      activity_matches: 'all',
      activity_match_decisions: 'all',
      activity_group_members: 'all',
      provider_connections: [
        'id',
        'user_id',
        'provider',
        'provider_user_id',
        'token_expires_at',
        'refresh_token_expires_at',
        'scopes',
        'provider_profile',
        'is_active',
        'reauth_required',
        'last_error',
        'last_sync_at',
        'sync_cursor',
        'created_at',
        'updated_at',
      ],
    },
    execute: ['get_user_full_name(integer)', 'trainlytics_current_user_id()'],
  },
};
const ROLES = ['anon', 'authenticated'] as const;

/** A column holding a secret: a token (not its expiry), a PKCE verifier, a password or a secret. */
const SECRET_COLUMN = /(^|_)(access_token|refresh_token|token|code_verifier|password|secret)$/;

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];
const COLUMN_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'REFERENCES'];
const SEQUENCE_PRIVILEGES = ['USAGE', 'SELECT', 'UPDATE'];

interface Relation {
  oid: number;
  name: string;
  kind: string;
  rls: boolean;
  invoker: boolean;
  columns: string[];
}

describe('Supabase client roles after `migrate up` (PostgreSQL, roles and default privileges first)', () => {
  const t = useTestDatabase('postgres');
  beforeAll(ensureSupabaseRoles);

  it('every object of the schema, from the catalog: no secret column readable, nothing beyond the grant table', async () => {
    await t.db.exec(SUPABASE_DEFAULT_PRIVILEGES);
    await migrate(t.input, { to: '001' });
    await seedLegacy(t.db);
    await migrate(t.input);

    // Everything in the schema, whatever migration created it.
    const relations = await t.rows<Relation>(
      `select c.oid::int as oid, c.relname as name, c.relkind::text as kind, c.relrowsecurity as rls,
              coalesce('security_invoker=true' = any (c.reloptions) or 'security_invoker=on' = any (c.reloptions), false) as invoker,
              coalesce(array(select a.attname::text from pg_attribute a
                             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum),
                       '{}') as columns
       from pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
       order by c.relname`,
    );
    const tables = relations.filter((r) => ['r', 'p', 'f'].includes(r.kind));
    const views = relations.filter((r) => ['v', 'm'].includes(r.kind));
    const sequences = relations.filter((r) => r.kind === 'S');
    expect(tables.map((r) => r.name)).toEqual(
      expect.arrayContaining(['strava_connections', 'provider_connections', 'trainlytics_migrations']),
    );
    expect(views.map((r) => r.name)).toEqual([
      'canonical_activities',
      'recent_activities',
      'user_connections_summary',
    ]);
    expect(sequences.length).toBeGreaterThan(0);

    // What the catalog says each role may do ...
    const granted = await t.rows<{ role: string; what: string }>(
      `select r.role, c.relname || ':' || p.priv as what
       from unnest($1::text[]) r(role)
       cross join pg_class c cross join unnest($2::text[]) p(priv)
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
         and has_table_privilege(r.role, c.oid, p.priv)
       union all
       select r.role, c.relname || '.' || a.attname || ':' || p.priv
       from unnest($1::text[]) r(role)
       cross join pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       cross join unnest($3::text[]) p(priv)
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
         and has_column_privilege(r.role, c.oid, a.attnum, p.priv)
       union all
       select r.role, c.relname || ':' || p.priv
       from unnest($1::text[]) r(role)
       cross join pg_class c cross join unnest($4::text[]) p(priv)
       where c.relnamespace = 'public'::regnamespace and c.relkind = 'S'
         and has_sequence_privilege(r.role, c.oid, p.priv)
       union all
       select r.role, f.oid::regprocedure::text || ':EXECUTE'
       from unnest($1::text[]) r(role)
       cross join pg_proc f
       where f.pronamespace = 'public'::regnamespace and has_function_privilege(r.role, f.oid, 'EXECUTE')
       order by 1, 2`,
      [ROLES, TABLE_PRIVILEGES, COLUMN_PRIVILEGES, SEQUENCE_PRIVILEGES],
    );
    // ... equals the grant table, exactly.
    for (const role of ROLES) {
      const expected: string[] = [];
      for (const [name, columns] of Object.entries(GRANTS[role].select)) {
        const relation = relations.find((r) => r.name === name)!;
        if (columns === 'all') expected.push(`${name}:SELECT`);
        for (const column of columns === 'all' ? relation.columns : columns) {
          expected.push(`${name}.${column}:SELECT`);
        }
      }
      for (const fn of GRANTS[role].execute) expected.push(`${fn}:EXECUTE`);
      expect(
        granted
          .filter((g) => g.role === role)
          .map((g) => g.what)
          .sort(),
        `privileges of ${role}`,
      ).toEqual(expected.sort());
    }

    // Every table has RLS (the grants above only open the caller's own rows); every view a client role may read
    // runs with the caller's rights (security_invoker), or its owner's would bypass RLS.
    expect(tables.filter((r) => !r.rls).map((r) => r.name)).toEqual([]);
    const readable = (name: string) => ROLES.some((role) => GRANTS[role].select[name] !== undefined);
    expect(views.filter((v) => readable(v.name) && !v.invoker).map((v) => v.name)).toEqual([]);

    // And what each role can really do, statement by statement: read no secret column, write nothing.
    const secrets = relations.flatMap((r) =>
      r.columns.filter((column) => SECRET_COLUMN.test(column)).map((column) => [r.name, column] as const),
    );
    expect(secrets).toEqual(
      expect.arrayContaining([
        ['strava_connections', 'access_token'],
        ['strava_connections', 'refresh_token'],
        ['provider_connections', 'access_token'],
        ['provider_connections', 'refresh_token'],
      ]),
    );
    // Refused for lack of privilege (42501); a view that is not updatable may refuse for that reason first.
    const attempts: { sql: string; refusals: string[] }[] = [];
    const privilege = ['42501'];
    for (const [relation, column] of secrets) {
      attempts.push({ sql: `select "${column}" from "${relation}"`, refusals: privilege });
    }
    for (const r of [...tables, ...views]) {
      const first = r.columns[0]!;
      const refusals = r.kind === 'v' ? ['42501', '55000', '42809'] : privilege;
      for (const sql of [
        `insert into "${r.name}" default values`,
        `update "${r.name}" set "${first}" = "${first}"`,
        `delete from "${r.name}"`,
        `truncate "${r.name}"`,
      ]) {
        attempts.push({ sql, refusals });
      }
    }
    for (const s of sequences) {
      for (const sql of [`select nextval('"${s.name}"')`, `select setval('"${s.name}"', 1)`]) {
        attempts.push({ sql, refusals: privilege });
      }
    }

    const client = await (t.input as pg.Pool).connect();
    try {
      for (const role of ROLES) {
        const allowed: string[] = [];
        await client.query('begin');
        await client.query(`select set_config('request.jwt.claims', '{"app_user_id": 1}', true)`);
        await client.query(`set local role ${role}`);
        for (const { sql, refusals } of attempts) {
          await client.query('savepoint attempt');
          try {
            await client.query(sql);
            allowed.push(sql);
          } catch (error) {
            const code = (error as { code?: string }).code ?? '';
            if (!refusals.includes(code)) allowed.push(`${sql}: ${code} ${(error as Error).message}`);
          }
          await client.query('rollback to savepoint attempt');
        }
        await client.query('rollback');
        expect(allowed, `statements ${role} could run`).toEqual([]);
      }
    } finally {
      client.release();
    }
  });
});
