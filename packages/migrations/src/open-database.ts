import {
  createPostgresPool,
  type Database,
  type PGliteLike,
  type PgPoolLike,
  toDatabase,
} from './database.js';
import { type DatabaseInputOptions, type DatabaseLocation, parseDatabaseInput } from './database-input.js';
import { openEmbeddedDatabase } from './embedded-database.js';
import { embeddedPGliteOptions } from './embedded-pglite-options.js';
import { MigrationError } from './errors.js';

/** A database opened from a command's input: the one adapter from input to connection (CLI and `migrate`). */
export interface OpenedDatabase {
  kind: 'postgres' | 'pglite';
  /** For messages: `PostgreSQL at host:5432/app`, `embedded PGlite database .trainlytics/db`, `in-memory PGlite database`. */
  description: string;
  /** `host:port` for PostgreSQL (the runner's word for it), the description for PGlite. */
  target: string;
  /** The `pg.Pool` opened on the URL (`null` for PGlite); owned by this object, ended by `close()`. */
  pool: PgPoolLike | null;
  /** The PGlite instance (`null` for PostgreSQL); owned by this object, closed by `close()`. */
  pglite: PGliteLike | null;
  /** The runner's query interface over the pool or the PGlite instance. */
  db: Database;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions extends DatabaseInputOptions {
  /** An in-memory PGlite instead of `./.trainlytics/db` (tests, benchmarks); ignored when a URL is given. */
  memory?: boolean;
  /** Pool size for PostgreSQL (default 10). */
  max?: number;
}

interface PGliteModule {
  PGlite: {
    new (dataDir: string, options: { startParams: string[] }): PGliteLike;
    new (options: { startParams: string[] }): PGliteLike;
    defaultStartParams: string[];
  };
}

/**
 * Opens `--database-url` / `DATABASE_URL`, else the embedded PGlite database in `./.trainlytics/db` (under its
 * lock, with the embedded memory settings of ADR 0026). A PostgreSQL pool is created, not probed: the first
 * query reports an unreachable server (as `MigrationConnectionError` through `db`). Throws
 * `DatabaseInputError` for a URL that is not `postgres://…` and `MigrationError` when PGlite is missing or
 * the embedded database cannot be opened.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  const location: DatabaseLocation = parseDatabaseInput(options);
  if (location.kind === 'postgres') {
    const pool = await createPostgresPool(location.url, {
      max: options.max ?? 10,
      connectionTimeoutMillis: 10_000,
    });
    return {
      kind: 'postgres',
      description: location.description,
      target: location.target,
      pool,
      pglite: null,
      db: toDatabase(pool),
      close: () => pool.end(),
    };
  }
  const { PGlite } = await loadPGlite();
  const settings = embeddedPGliteOptions(PGlite.defaultStartParams);
  if (options.memory) {
    const pglite = new PGlite(settings);
    await pglite.waitReady;
    return pgliteOpened(pglite, 'in-memory PGlite database', () => pglite.close());
  }
  const { description, dir } = location;
  // one process at a time (a lock file naming the holder); a damaged folder says how to recover
  const { pglite, close } = await openEmbeddedDatabase({
    dir,
    where: description,
    create: (d) => new PGlite(d, settings),
  });
  return pgliteOpened(pglite, description, close);
}

function pgliteOpened(pglite: PGliteLike, description: string, close: () => Promise<void>): OpenedDatabase {
  return {
    kind: 'pglite',
    description,
    target: description,
    pool: null,
    pglite,
    db: toDatabase(pglite),
    close,
  };
}

async function loadPGlite(): Promise<PGliteModule> {
  try {
    return (await import('@electric-sql/pglite')) as unknown as PGliteModule;
  } catch (error) {
    throw new MigrationError(
      'No database given (--database-url or DATABASE_URL) and @electric-sql/pglite is not installed for the embedded database: npm install @electric-sql/pglite',
      { cause: error },
    );
  }
}
