import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Pool } from 'pg';
import type { PGliteLike, PgPoolLike } from '../postgres/postgres-store';
import { type MigrationFileLister, testDatabaseKey } from './test-database-key';

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
 * are loaded only when used; `@trainlytics/migrations` only by `applyMigrations` and the caches below.
 *
 * Migrated databases are copies, not re-runs (issue 17, goal 6): the migrations run once per set of
 * migration files, and every later test database is copied from that result.
 * - PostgreSQL: a template database `tl_tpl_<key>` is built once per server (under an advisory lock, by
 *   running every migration on a scratch database that is then renamed) and each test database is
 *   `CREATE DATABASE … TEMPLATE tl_tpl_<key>`. Nothing ever connects to the template afterwards.
 * - PGlite: the data directory of a fresh (and of a migrated) instance is dumped once (`dumpDataDir`),
 *   kept in memory and in the OS temp folder, and each instance starts from it (`loadDataDir`), which
 *   skips PGlite's initdb.
 * `<key>` hashes every migration file's and definition's name and checksum (and, for PGlite, its version),
 * so a changed migration or definition builds a new copy. `TRAINLYTICS_TEST_DB_CACHE=off` turns both off (every database migrated
 * from scratch, as before).
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
  /**
   * Ends the pool and drops the database: sessions that are closing are waited for, sessions still open
   * after PostgreSQL's 5 s are terminated ({@link dropTestDatabase}).
   */
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

/**
 * Drops a test database without killing sessions that are closing. `pg.Pool#end()` resolves before its
 * connections have closed, and `drop database … with (force)` terminates such a session; the server's
 * "terminating connection" then reaches its client as an `error` event, which crashes a test process whose
 * pool has no listener. A plain `drop database` waits (up to 5 s, PostgreSQL's own limit) for other sessions
 * to leave, which closing ones do; only a session still open after that is terminated.
 */
export async function dropTestDatabase(name: string): Promise<void> {
  try {
    await admin([`drop database if exists ${name}`]);
  } catch (error) {
    if ((error as { code?: string }).code !== OBJECT_IN_USE) throw error;
    await admin([`drop database if exists ${name} with (force)`]);
  }
}

/** SQLSTATE 55006: the database is being accessed by other users. */
const OBJECT_IN_USE = '55006';

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
  const template = options.migrate && cacheEnabled() ? await migratedTemplate() : null;
  await admin([template ? `create database ${name} template ${template}` : `create database ${name}`]);
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
      // the pool's sessions may still be closing when `end()` resolves; should one be terminated, its error
      // lands here instead of in the test's process
      pool.on('error', () => {});
      await pool.end();
      await dropTestDatabase(name);
    },
  };
  if (options.migrate && !template) {
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
  if (!cacheEnabled()) {
    const db = new PGlite();
    await db.waitReady;
    if (options.migrate) await applyMigrations(db);
    return db;
  }
  const kind = options.migrate ? 'migrated' : 'fresh';
  const image = await readImage(kind);
  if (image) return startFrom(PGlite, image);
  // not cached yet: this instance is the one whose data directory is kept (no second start)
  const fresh = kind === 'migrated' ? await readImage('fresh') : null;
  const db = fresh ? await startFrom(PGlite, fresh) : new PGlite();
  await db.waitReady;
  if (!fresh) await saveImage('fresh', db);
  if (kind === 'migrated') {
    await applyMigrations(db);
    await saveImage('migrated', db);
  }
  return db;
}

async function startFrom(PGliteClass: typeof PGlite, image: Uint8Array): Promise<PGlite> {
  const db = new PGliteClass({ loadDataDir: new Blob([image]) });
  await db.waitReady;
  return db;
}

/**
 * Builds the migrated copies once, before any test file asks for them (a vitest `globalSetup`), so no
 * test's hook pays for PGlite's initdb or the migrations:
 *
 * ```ts
 * // vitest.config.ts: test: { globalSetup: ['test/global-setup.ts'] }
 * export default () => prepareTestDatabases();
 * ```
 *
 * An unreachable PostgreSQL is not an error here: the tests that need it say so themselves.
 */
export async function prepareTestDatabases(
  options: { postgres?: boolean; pglite?: boolean } = {},
): Promise<void> {
  if (!cacheEnabled()) return;
  if (options.pglite !== false) {
    const db = await createTestPGlite({ migrate: true });
    await db.close();
  }
  if (options.postgres !== false) {
    try {
      await migratedTemplate();
    } catch {
      // reported by the first test that connects
    }
  }
}

function cacheEnabled(): boolean {
  return process.env.TRAINLYTICS_TEST_DB_CACHE !== 'off';
}

/** The key of the migrated copies ({@link testDatabaseKey}), computed once per process. */
let migrationsKeyPromise: Promise<string> | undefined;
function migrationsKey(): Promise<string> {
  const specifier = '@trainlytics/migrations';
  migrationsKeyPromise ??= (import(/* @vite-ignore */ specifier) as Promise<MigrationFileLister>).then(
    testDatabaseKey,
  );
  return migrationsKeyPromise;
}

/**
 * The name of a template database holding every migration, built once per server and key. Built on a
 * scratch database renamed into place, so a template that exists is complete; the advisory lock keeps
 * concurrent test processes from building it twice.
 */
const templates = new Map<string, Promise<string>>();
function migratedTemplate(): Promise<string> {
  const adminUrl = testAdminUrl();
  let pending = templates.get(adminUrl);
  if (!pending) {
    pending = buildTemplate().catch((error: unknown) => {
      templates.delete(adminUrl);
      throw error;
    });
    templates.set(adminUrl, pending);
  }
  return pending;
}

async function buildTemplate(): Promise<string> {
  const template = `tl_tpl_${await migrationsKey()}`;
  const pg = await loadPg();
  const client = new pg.Client({ connectionString: testAdminUrl() }) as unknown as {
    connect(): Promise<void>;
    query(text: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
    end(): Promise<void>;
  };
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [template]);
    const exists = await client.query('select 1 from pg_database where datname = $1', [template]);
    if (!exists.rowCount) {
      const scratch = `tl_tplbuild_${randomBytes(6).toString('hex')}`;
      await client.query(`create database ${scratch}`);
      const url = new URL(testAdminUrl());
      url.pathname = `/${scratch}`;
      const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
      try {
        await applyMigrations(pool);
      } catch (error) {
        await pool.end();
        await client.query(`drop database if exists ${scratch} with (force)`);
        throw error;
      }
      await pool.end();
      await client.query(`alter database ${scratch} rename to ${template}`);
      await client.query(`alter database ${template} is_template true`);
    }
    return template;
  } finally {
    await client.query('select pg_advisory_unlock(hashtext($1))', [template]).catch(() => {});
    await client.end();
  }
}

/** Dumped PGlite data directories (`fresh`: after initdb; `migrated`), kept in memory and in the temp folder. */
const images = new Map<string, Uint8Array>();
const IMAGE_DIR = path.join(tmpdir(), 'trainlytics-test-pglite');

async function imageFile(kind: 'fresh' | 'migrated'): Promise<string> {
  const key = `${pgliteVersion()}-${kind === 'migrated' ? await migrationsKey() : 'fresh'}`;
  return path.join(IMAGE_DIR, `${key}.tar`);
}

async function readImage(kind: 'fresh' | 'migrated'): Promise<Uint8Array | null> {
  const file = await imageFile(kind);
  const known = images.get(file);
  if (known) return known;
  try {
    const image = new Uint8Array(await readFile(file));
    images.set(file, image);
    return image;
  } catch {
    return null;
  }
}

async function saveImage(kind: 'fresh' | 'migrated', db: PGlite): Promise<void> {
  const file = await imageFile(kind);
  const image = new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer());
  images.set(file, image);
  await mkdir(IMAGE_DIR, { recursive: true });
  // written whole, then renamed into place: another process never reads half an image
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(partial, image);
  await rename(partial, file);
}

function pgliteVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = path.dirname(require.resolve('@electric-sql/pglite'));
    for (let i = 0; i < 5; i++) {
      try {
        const pkg = require(path.join(dir, 'package.json')) as { name?: string; version?: string };
        if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
      } catch {
        // not here: one folder up
      }
      dir = path.dirname(dir);
    }
  } catch {
    // unresolvable: fall through
  }
  return 'unknown';
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
