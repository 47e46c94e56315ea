import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import type { PGliteLike, PgPoolLike } from '../postgres/postgres-store';

/**
 * Test database helpers: a fresh real PostgreSQL database or PGlite instance, migrated in one line.
 *
 * ```ts
 * const database = await createTestDatabase({ migrate: true });
 * const store = postgresStore({ pool: database.pool });
 * afterAll(() => database.drop());
 * ```
 *
 * Real PostgreSQL is reached through `TRAINLYTICS_TEST_PG_URL` (an admin URL whose user may create
 * databases), default `postgres://postgres@127.0.0.1:5432/postgres`. `pg` and `@electric-sql/pglite`
 * are loaded only when used; `@trainlytics/migrations` only by `applyMigrations`.
 */

/** The node-postgres Pool of a test database. */
export type TestPool = Pool;

export interface TestDatabase {
  /** `postgres://…/tl_test_<random>` */
  connectionString: string;
  /** The database's name. */
  name: string;
  /** A pool on the database (ended by `drop()`). */
  pool: TestPool;
  /** Ends the pool and drops the database (terminating leftover sessions). */
  drop(): Promise<void>;
}

export const DEFAULT_TEST_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The admin connection string used to create and drop test databases. */
export function testAdminUrl(): string {
  return process.env.TRAINLYTICS_TEST_PG_URL || DEFAULT_TEST_PG_URL;
}

interface PgModule {
  Pool: new (config: { connectionString: string; max?: number }) => Pool;
  Client: new (config: {
    connectionString: string;
  }) => {
    connect(): Promise<void>;
    query(text: string): Promise<unknown>;
    end(): Promise<void>;
  };
}

async function loadPg(): Promise<PgModule> {
  const mod = (await import('pg')) as unknown as PgModule & { default?: PgModule };
  return mod.default?.Pool ? mod.default : mod;
}

/** Runs statements on the admin database (one short-lived connection). */
async function admin(statements: string[]): Promise<void> {
  const pg = await loadPg();
  const client = new pg.Client({ connectionString: testAdminUrl() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Could not connect to the test PostgreSQL server at ${redact(testAdminUrl())}: ${(error as Error).message}. Start PostgreSQL or set TRAINLYTICS_TEST_PG_URL.`,
      { cause: error },
    );
  }
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'TRAINLYTICS_TEST_PG_URL';
  }
}

/**
 * Creates a fresh database `<prefix>_<random>` (default prefix `tl_test`) on the test server. With
 * `migrate: true` every Trainlytics migration is applied (001 legacy → latest).
 */
export async function createTestDatabase(
  options: { migrate?: boolean; prefix?: string } = {},
): Promise<TestDatabase> {
  const prefix = (options.prefix ?? 'tl_test').toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin([`create database ${name}`]);
  const url = new URL(testAdminUrl());
  url.pathname = `/${name}`;
  const connectionString = url.toString();
  const pg = await loadPg();
  const pool = new pg.Pool({ connectionString, max: 5 });
  let dropped = false;
  const database: TestDatabase = {
    connectionString,
    name,
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      // `with (force)` terminates sessions that are still closing: their errors are expected here
      pool.on('error', () => {});
      await pool.end();
      await admin([`drop database if exists ${name} with (force)`]);
    },
  };
  if (options.migrate) {
    try {
      await applyMigrations(pool);
    } catch (error) {
      await database.drop();
      throw error;
    }
  }
  return database;
}

/** A fresh in-memory PGlite database (optionally migrated). Close it with `await db.close()`. */
export async function createTestPGlite(options: { migrate?: boolean } = {}): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite();
  await db.waitReady;
  if (options.migrate) await applyMigrations(db);
  return db;
}

/**
 * Applies every Trainlytics migration (`migrate(db, { direction: 'up' })` from
 * `@trainlytics/migrations`) to a pg Pool/Client, a PGlite instance or a connection string.
 */
export async function applyMigrations(db: PgPoolLike | Pool | PGliteLike | PGlite | string): Promise<void> {
  // a variable specifier: the migrations package is resolved at run time, never bundled into core
  const specifier = '@trainlytics/migrations';
  let migrations: { migrate?: (db: unknown, options: { direction: 'up' }) => Promise<unknown> };
  try {
    migrations = await import(/* @vite-ignore */ specifier);
  } catch (error) {
    throw new Error(
      'applyMigrations needs @trainlytics/migrations: install it as a dev dependency (`npm install -D @trainlytics/migrations`)',
      { cause: error },
    );
  }
  if (typeof migrations.migrate !== 'function') {
    throw new Error('@trainlytics/migrations does not export migrate(): update it');
  }
  await migrations.migrate(db, { direction: 'up' });
}

/** Tables holding data, emptied by {@link resetDatabase} (those that exist). */
export const TRAINLYTICS_DATA_TABLES = [
  'trainlytics_webhook_events',
  'trainlytics_leases',
  'trainlytics_oauth_states',
  'activity_streams',
  'workouts',
  'sync_history',
  'activity_match_decisions',
  'activity_matches',
  'activity_group_members',
  'activities',
  'provider_connections',
  'strava_connections',
  'users',
] as const;

/** Empties every Trainlytics table and restarts the ids (between tests; the schema stays). */
export async function resetDatabase(db: {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}): Promise<void> {
  const list = TRAINLYTICS_DATA_TABLES.map((t) => `'${t}'`).join(', ');
  await db.query(`do $$
declare
  tables text;
begin
  select string_agg(quote_ident(t), ', ') into tables
  from unnest(array[${list}]) as t
  where to_regclass(t) is not null;
  if tables is not null then
    execute 'truncate ' || tables || ' restart identity cascade';
  end if;
end
$$`);
}
