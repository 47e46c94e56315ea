import type { PGlite } from '@electric-sql/pglite';
import {
  type Database,
  type DatabaseInputOptions,
  describeConnectionFailure,
  openDatabase as openDatabaseInput,
} from '@trainlytics/migrations';
import type { Pool } from 'pg';
import { UserError } from './user-error';

export { embeddedDatabaseDir } from '@trainlytics/migrations';

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

export interface DatabaseOptions extends DatabaseInputOptions {
  /** An in-memory PGlite instead of `./.trainlytics/db` (tests). */
  memory?: boolean;
}

/**
 * Opens `--database-url` / `DATABASE_URL`, else the embedded PGlite database in `./.trainlytics/db`, through
 * the one adapter of `@trainlytics/migrations` (`openDatabase`), and checks that PostgreSQL answers: an
 * unreachable server is a `UserError` with one clear line (`Cannot reach the database at host:port/db: …`).
 */
export async function openDatabase(options: DatabaseOptions): Promise<OpenedDatabase> {
  const opened = await openDatabaseInput(options);
  const database: OpenedDatabase = {
    kind: opened.kind,
    description: opened.description,
    pool: opened.pool as unknown as Pool | null,
    pglite: opened.pglite as unknown as PGlite | null,
    db: opened.db,
    close: () => opened.close(),
  };
  if (opened.pool) {
    try {
      await opened.pool.query('select 1');
    } catch (error) {
      await opened.close().catch(() => {});
      // the same words as `migrate` (3D000 → 'database "x" does not exist (create it, …)')
      const reason = describeConnectionFailure(error) ?? (error as Error).message;
      const target = opened.description.replace(/^PostgreSQL at /, '');
      throw new UserError(`Cannot reach the database at ${target}: ${reason.split('\n')[0]}`);
    }
  }
  return database;
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
