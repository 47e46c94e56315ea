import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type Database, toDatabase } from '../src/index.js';

export const ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type Kind = 'postgres' | 'pglite';
export const kinds: Kind[] = ['postgres', 'pglite'];

export interface TestDatabase {
  kind: Kind;
  /** The adapter over the pool / PGlite instance. */
  db: Database;
  /** What a user would pass: the pg.Pool or the PGlite instance. */
  input: pg.Pool | PGlite;
  /** Connection string (postgres only). */
  url: string | undefined;
  databaseName: string | undefined;
  rows<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

function randomName(): string {
  return `tl_mig_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = randomName();
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    name,
    url: urlFor(name),
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        // `pg.Pool#end()` resolves before its sessions close, and terminating a closing session crashes the
        // test process with its error: a plain drop waits (up to 5 s) for them; force only what stays open
        await client.query(`drop database if exists ${name}`).catch(async (error: { code?: string }) => {
          if (error.code !== '55006') throw error;
          await client.query(`drop database if exists ${name} with (force)`);
        });
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Registers hooks giving the enclosing describe block its own database: a fresh
 * PostgreSQL database per block (dropped afterwards), or one PGlite instance;
 * the public schema is emptied before every test.
 */
export function useTestDatabase(kind: Kind): TestDatabase {
  const context = { kind } as TestDatabase;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (kind === 'postgres') {
      const created = await createDatabase();
      const pool = new pg.Pool({ connectionString: created.url, max: 6 });
      context.input = pool;
      context.url = created.url;
      context.databaseName = created.name;
      drop = async () => {
        await pool.end();
        await created.drop();
      };
    } else {
      const pglite = new PGlite();
      await pglite.waitReady;
      context.input = pglite;
      drop = () => pglite.close();
    }
    context.db = toDatabase(context.input);
    context.rows = async (sql, params) => (await context.db.query(sql, params)).rows as never;
  });
  beforeEach(async () => {
    await context.db.exec(
      'drop schema public cascade; create schema public; grant usage on schema public to public;',
    );
  });
  afterAll(async () => {
    await drop?.();
  });
  return context;
}

/**
 * Every row of every table and view of the public schema, plus the catalog
 * (columns, constraints, indexes, views, functions, enums, policies, ACLs,
 * sequences): two equal snapshots mean two identical databases.
 */
export async function snapshot(db: Database): Promise<Record<string, unknown>> {
  const q = async (sql: string) => (await db.query(sql)).rows;
  const relations = (await q(
    `select c.relname as name from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v') order by 1`,
  )) as { name: string }[];
  const data: Record<string, unknown> = {};
  for (const { name } of relations) {
    data[name] = (await q(`select to_jsonb(t)::text as row from "${name}" t order by 1`)).map((r) => r.row);
  }
  return {
    data,
    classes: await q(
      `select relname, relkind, relacl::text as acl, relrowsecurity, reloptions::text as options
       from pg_class where relnamespace = 'public'::regnamespace order by relname`,
    ),
    columns: await q(
      `select table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default
       from information_schema.columns where table_schema = 'public' order by 1, 2`,
    ),
    columnAcls: await q(
      `select a.attrelid::regclass::text as rel, a.attname, a.attacl::text as acl
       from pg_attribute a join pg_class c on c.oid = a.attrelid
       where c.relnamespace = 'public'::regnamespace and a.attacl is not null order by 1, 2`,
    ),
    constraints: await q(
      `select conrelid::regclass::text as rel, conname, pg_get_constraintdef(oid) as def
       from pg_constraint where connamespace = 'public'::regnamespace order by 1, 2`,
    ),
    indexes: await q(`select indexname, indexdef from pg_indexes where schemaname = 'public' order by 1`),
    views: await q(`select viewname, definition from pg_views where schemaname = 'public' order by 1`),
    functions: await q(
      `select proname, pg_get_function_identity_arguments(oid) as args, prosrc, proacl::text as acl
       from pg_proc where pronamespace = 'public'::regnamespace order by 1, 2`,
    ),
    enums: await q(
      `select t.typname, array_agg(e.enumlabel order by e.enumsortorder)::text as labels
       from pg_type t join pg_enum e on e.enumtypid = t.oid
       where t.typnamespace = 'public'::regnamespace group by t.typname order by 1`,
    ),
    policies: await q(
      `select tablename, policyname, roles::text as roles, cmd, qual from pg_policies
       where schemaname = 'public' order by 1, 2`,
    ),
    sequences: await q(
      `select sequencename, last_value::text as last_value from pg_sequences where schemaname = 'public' order by 1`,
    ),
  };
}

export const VALID_UNTIL = '2999-01-01T00:00:00.000Z';
export const EXPIRED_AT = '2020-01-01T00:00:00.000Z';
/** An athlete id above 2^53: must survive as text exactly. */
export const BIG_ATHLETE_ID = '9007199254740993';

/**
 * A realistic legacy database: users with and without Strava, valid and expired
 * tokens, manual and synced activities, quotes and unicode, a raw payload with
 * start_date_local / utc_offset.
 */
export async function seedLegacy(db: Database): Promise<void> {
  await db.exec(`
    insert into users (id, email, first_name, last_name, created_at) values
      (1, 'ana@example.com', 'Ana', 'O''Brien-Núñez', '2021-03-04T05:06:07Z'),
      (2, 'bob@example.com', null, null, '2021-04-01T00:00:00Z'),
      (3, 'chloe@example.com', 'Chloé', 'Zoë 🚴', '2022-01-01T00:00:00Z'),
      (4, 'dan@example.com', '  Dan  ', '', '2022-02-02T00:00:00Z'),
      (5, 'eve@example.com', null, 'Solo', '2023-01-01T00:00:00Z');
    select setval('users_id_seq', 5);

    insert into strava_connections (id, user_id, strava_athlete_id, access_token, refresh_token, expires_at, scope,
                                    firstname, lastname, profile_url, profile_picture, created_at, updated_at) values
      (1, 1, 1001, 'access-ana-''quoted''', 'refresh-ana', '${VALID_UNTIL}', 'read,activity:read_all',
       'Ana', 'O''Brien-Núñez', 'https://www.strava.com/athletes/1001', 'https://dgalywyr863hv.cloudfront.net/pictures/athletes/1001/large.jpg',
       '2021-03-05T00:00:00Z', '2024-06-01T12:00:00Z'),
      (2, 2, 1002, 'access-bob', 'refresh-bob', '${EXPIRED_AT}', null,
       'Bob', 'Builder "the fixer"', null, 'avatar/athlete/large.png', '2021-04-02T00:00:00Z', '2021-04-02T00:00:00Z'),
      (3, 4, ${BIG_ATHLETE_ID}, 'access-dan-ü', 'refresh-dan', '${EXPIRED_AT}', '',
       'Dan', null, null, null, '2022-02-03T00:00:00Z', '2023-02-03T00:00:00Z');
    select setval('strava_connections_id_seq', 3);

    insert into activities (id, user_id, strava_activity_id, name, sport_type, start_date, distance_m, moving_time_s,
                            elapsed_time_s, total_elevation_gain_m, average_heartrate, is_manual, raw, created_at) values
      (1, 1, 5000000001, 'Morning Run ☀️', 'Run', '2024-05-01T06:00:00Z', 10012.5, 3000, 3100, 42.1, 151.2, false,
       '{"id": 5000000001, "sport_type": "Run", "start_date": "2024-05-01T06:00:00Z", "start_date_local": "2024-05-01T08:00:00Z", "utc_offset": 7200.0, "max_heartrate": 181.0, "average_speed": 3.337, "max_speed": 5.1}',
       '2024-05-01T07:00:00Z'),
      (2, 1, 5000000002, 'Lunch Ride', 'Ride', '2024-05-02T11:00:00Z', 40000, 5400, 6000, 300, null, false,
       '{"id": 5000000002, "sport_type": "Ride"}', '2024-05-02T13:00:00Z'),
      (3, 1, 5000000003, 'Trail "de l''Est"', 'EMountainBikeRide', '2024-05-03T09:00:00Z', 25000, 4000, 4500, 800, 140, false,
       null, '2024-05-03T12:00:00Z'),
      (4, 1, 5000000004, 'Paddle', 'Kayaking', '2024-05-04T09:00:00Z', 5000, 3600, 3700, 0, null, false,
       '{"start_date_local": "2024-05-04T02:00:00Z", "utc_offset": -25200}', '2024-05-04T12:00:00Z'),
      (5, 1, 5000000005, 'Gym (entered on Strava)', 'WeightTraining', '2024-05-05T17:00:00Z', 0, 3600, 3600, 0, null, true,
       '{"manual": true, "start_date_local": "not a date", "utc_offset": "x"}', '2024-05-05T18:00:00Z'),
      (6, 1, null, 'Yoga at home', 'Yoga', '2024-05-06T07:00:00Z', null, 1800, 1800, null, null, true, null,
       '2024-05-06T08:00:00Z'),
      (7, 1, 5000000007, 'Untitled', null, null, null, null, null, null, null, false, null, '2024-05-07T08:00:00Z'),
      (8, 2, 5000000008, 'Zwift row', 'VirtualRow', '2023-01-01T18:00:00Z', 8000, 2000, 2000, 0, 130, false,
       '{"start_date_local": "2023-01-01T19:00:00Z", "utc_offset": 3600}', '2023-01-01T20:00:00Z'),
      (9, 2, 5000000009, 'Powder day', 'Snowboard', '2023-02-01T09:00:00Z', 20000, 10000, 20000, 3000, null, false,
       null, '2023-02-01T20:00:00Z'),
      (10, 4, 5000000010, 'Run in Tōkyō', 'TrailRun', '2022-03-03T00:00:00Z', 21097.5, 7000, 7300, 500, 160, false,
       '{"start_date_local": "2022-03-03T09:00:00Z", "utc_offset": 32400.0, "device_name": "Garmin Forerunner 965"}',
       '2022-03-03T10:00:00Z'),
      (11, 5, null, 'Treadmill (typed in)', 'Run', '2023-03-03T07:00:00Z', 5000, 1500, 1500, null, null, true, null,
       '2023-03-03T08:00:00Z'),
      (12, 3, null, 'Walk, no Strava', 'Walk', '2023-04-04T07:00:00Z', 3000, 2400, 2500, 10, null, true, null,
       '2023-04-04T08:00:00Z');
    select setval('activities_id_seq', 12);
  `);
}

/** The legacy tables' rows, for before/after comparisons. */
export async function legacyRows(db: Database): Promise<Record<string, unknown[]>> {
  const q = async (sql: string) => (await db.query(sql)).rows;
  return {
    users: await q('select * from users order by id'),
    strava_connections: await q('select * from strava_connections order by id'),
    activities: await q(
      `select id, user_id, strava_activity_id, name, sport_type, start_date, distance_m, moving_time_s, elapsed_time_s,
              total_elevation_gain_m, average_heartrate, is_manual, raw, created_at
       from activities order by id`,
    ),
  };
}

/** A temporary copy of the shipped 001 and 002 files (plus `extra` files), for tests that edit or add files. */
export async function tempMigrationsDir(extra: Record<string, string> = {}): Promise<string> {
  const { cp, mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { migrationsDir } = await import('../src/index.js');
  const dir = await mkdtemp(path.join(tmpdir(), 'tl-migrations-'));
  for (const file of ['001_legacy.sql', '002_multi_provider.sql', '002_multi_provider.down.sql']) {
    await cp(path.join(migrationsDir, file), path.join(dir, file));
  }
  for (const [file, content] of Object.entries(extra)) await writeFile(path.join(dir, file), content);
  return dir;
}
