import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import {
  type Database,
  describeConnectionFailure,
  embeddedPGliteOptions,
  openEmbeddedDatabase,
  toDatabase,
} from '@trainlytics/migrations';
import type { Pool } from 'pg';
import { UserError } from './user-error';

/** The database a command works on, opened once and shared by the store and the host app's own queries. */
export interface OpenedDatabase {
  kind: 'postgres' | 'pglite';
  /** For messages: `PostgreSQL at host:5432/app` or `embedded PGlite database .trainlytics/db`. */
  description: string;
  /** What the store is built from: a `pg.Pool` or a PGlite instance (see `store-from-database.ts`). */
  pool: Pool | null;
  pglite: PGlite | null;
  /** The migration runner's small query interface, also used for the host app's `users` queries. */
  db: Database;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** `--database-url`, else `DATABASE_URL`, else the embedded database. */
  databaseUrl?: string | undefined;
  env: Record<string, string | undefined>;
  cwd: string;
  /** An in-memory PGlite instead of `./.trainlytics/db` (tests). */
  memory?: boolean;
}

/** Where the embedded database lives. */
export function embeddedDatabaseDir(cwd: string): string {
  return path.resolve(cwd, '.trainlytics', 'db');
}

/**
 * Opens `--database-url` / `DATABASE_URL` (checking that it answers), else the embedded PGlite database in
 * `./.trainlytics/db`. Throws a `UserError` with one clear line when the database cannot be reached.
 */
export async function openDatabase(options: DatabaseOptions): Promise<OpenedDatabase> {
  const url = options.databaseUrl || options.env.DATABASE_URL || undefined;
  return url ? openPostgres(url) : openPGlite(options);
}

async function openPostgres(url: string): Promise<OpenedDatabase> {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new UserError(
      `Invalid database URL: expected postgres://user:password@host:port/database, got ${JSON.stringify(redactUrl(url))}`,
    );
  }
  const target = describePostgresUrl(url);
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client's error (the server went away) must not crash the process.
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    // the same words as `migrate` (3D000 → 'database "x" does not exist (create it, …)')
    const reason = describeConnectionFailure(error) ?? (error as Error).message;
    throw new UserError(`Cannot reach the database at ${target}: ${reason.split('\n')[0]}`);
  }
  return {
    kind: 'postgres',
    description: `PostgreSQL at ${target}`,
    pool,
    pglite: null,
    db: toDatabase(pool),
    close: () => pool.end(),
  };
}

async function openPGlite(options: DatabaseOptions): Promise<OpenedDatabase> {
  const { PGlite } = await import('@electric-sql/pglite');
  // the embedded database's memory settings (ADR 0026), on disk and in memory alike
  const settings = embeddedPGliteOptions(PGlite.defaultStartParams);
  if (options.memory) {
    const pglite = new PGlite(settings);
    await pglite.waitReady;
    const description = 'in-memory PGlite database';
    return {
      kind: 'pglite',
      description,
      pool: null,
      pglite,
      db: toDatabase(pglite),
      close: () => pglite.close(),
    };
  }
  const dir = embeddedDatabaseDir(options.cwd);
  const description = `embedded PGlite database ${path.relative(options.cwd, dir) || dir}`;
  // one process at a time (a lock file naming the holder); a damaged folder says how to recover
  const { pglite, close } = await openEmbeddedDatabase({
    dir,
    where: description,
    create: (d) => new PGlite(d, settings),
  });
  return { kind: 'pglite', description, pool: null, pglite, db: toDatabase(pglite), close };
}

/** Throws a `UserError` unless the Trainlytics schema (migration 002) is in place. */
export async function assertMigrated(database: OpenedDatabase): Promise<void> {
  const { rows } = await database.db.query<{ table: string | null }>(
    "select to_regclass('public.provider_connections')::text as table",
  );
  if (!rows[0]?.table) {
    throw new UserError(
      `The ${database.description} has no Trainlytics schema yet: run \`trainlytics migrate up\` first`,
    );
  }
}

/** `host:port/database` of a connection string, without user or password. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${database ? `/${database}` : ''}`;
  } catch {
    return 'the given database URL';
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
