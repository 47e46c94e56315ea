import { describeConnectionFailure } from './connection-failure.js';
import { describeConnectionString, parsePostgresUrl } from './database-input.js';
import { MigrationConnectionError } from './errors.js';

/** The rows of a query. */
export interface QueryResult<Row> {
  rows: Row[];
}

/**
 * The tiny database interface the runner needs. `toDatabase` builds one from a
 * node-postgres `Pool`/`Client`, a connection string or a PGlite instance; you
 * can also implement it yourself.
 */
export interface Database {
  /** One statement, with `$1`-style parameters. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /** Several statements separated by `;`, without parameters (a whole migration file). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` inside one transaction on one connection. */
  transaction?<T>(fn: (tx: Database) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` with a database pinned to one connection for the whole call (a
   * pool hands out a dedicated client), serialized with other sessions of the
   * same in-process database. Without it the database must be one connection.
   */
  session?<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  /** Releases what `toDatabase` opened (a pool it created from a connection string); a no-op otherwise. */
  close(): Promise<void>;
  /** Where the database is, for messages: `host:port` or `PGlite`. */
  readonly target?: string;
}

/** What `toDatabase` accepts. */
export type DatabaseInput = Database | string | PgPoolLike | PgClientLike | PGliteLike;

/** The part of `pg.Pool` used here. */
export interface PgPoolLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  connect(): Promise<PgClientLike & { release(error?: Error | boolean): void }>;
  totalCount: number;
  end(): Promise<void>;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  options?: { host?: string; port?: number; database?: string; connectionString?: string };
}

/** The part of `pg.Client` used here (connected). */
export interface PgClientLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  host?: string;
  port?: number;
  database?: string;
}

/** The part of a PGlite instance used here. */
export interface PGliteLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  exec(sql: string): Promise<unknown>;
  transaction?<T>(fn: (tx: Pick<PGliteLike, 'query' | 'exec'>) => Promise<T>): Promise<T>;
  waitReady: Promise<void>;
  close(): Promise<void>;
}

function isDatabase(input: unknown): input is Database {
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as Database).query === 'function' &&
    typeof (input as Database).exec === 'function' &&
    typeof (input as Database).close === 'function' &&
    !('waitReady' in input)
  );
}

function isPGlite(input: unknown): input is PGliteLike {
  return typeof input === 'object' && input !== null && 'waitReady' in input && 'exec' in input;
}

function isPool(input: unknown): input is PgPoolLike {
  return typeof input === 'object' && input !== null && 'totalCount' in input && 'connect' in input;
}

function wrapConnectionError(error: unknown, target: string): unknown {
  const reason = describeConnectionFailure(error);
  if (reason === null) return error;
  return new MigrationConnectionError(`Could not connect to PostgreSQL at ${target}: ${reason}`, target, {
    cause: error,
  });
}

type Queryable = { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> };

function pgDatabase(client: Queryable, target: string, extra: Partial<Database> = {}): Database {
  const database: Database = {
    target,
    async query<Row>(sql: string, params?: unknown[]) {
      try {
        const result = params === undefined ? await client.query(sql) : await client.query(sql, params);
        return { rows: result.rows as Row[] };
      } catch (error) {
        throw wrapConnectionError(error, target);
      }
    },
    async exec(sql: string) {
      try {
        // Without parameters node-postgres uses the simple query protocol, which runs several statements.
        await client.query(sql);
      } catch (error) {
        throw wrapConnectionError(error, target);
      }
    },
    async close() {},
    ...extra,
  };
  if (!database.transaction) {
    database.transaction = (fn) => runTransaction(database, fn);
  }
  return database;
}

/** `begin` … `commit` (or `rollback` when `fn` throws) on one connection. */
export async function runTransaction<T>(db: Database, fn: (tx: Database) => Promise<T>): Promise<T> {
  await db.exec('begin');
  try {
    const result = await fn(db);
    await db.exec('commit');
    return result;
  } catch (error) {
    await db.exec('rollback').catch(() => {});
    throw error;
  }
}

function poolDatabase(pool: PgPoolLike, target: string, owned: boolean): Database {
  return pgDatabase(pool, target, {
    async session<T>(fn: (db: Database) => Promise<T>): Promise<T> {
      let client: Awaited<ReturnType<PgPoolLike['connect']>>;
      try {
        client = await pool.connect();
      } catch (error) {
        throw wrapConnectionError(error, target);
      }
      try {
        const result = await fn(pgDatabase(client, target));
        client.release();
        return result;
      } catch (error) {
        // Destroy the connection: whatever state or session lock it holds goes with it.
        client.release(error instanceof Error ? error : true);
        throw error;
      }
    },
    async transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
      return this.session!((db) => runTransaction(db, fn));
    },
    async close() {
      if (owned) await pool.end();
    },
  });
}

/** In-process serialization of sessions on one single-connection database (PGlite, a pg.Client). */
const sessionQueues = new WeakMap<object, Promise<unknown>>();

function serialized<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const previous = sessionQueues.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  sessionQueues.set(
    key,
    run.catch(() => {}),
  );
  return run;
}

function clientDatabase(client: PgClientLike): Database {
  const target = `${client.host ?? 'localhost'}:${client.port ?? 5432}`;
  const database = pgDatabase(client, target);
  database.session = (fn) => serialized(client, () => fn(database));
  return database;
}

type PGliteQueryable = Pick<PGliteLike, 'query' | 'exec'>;

function pgliteQueries(pglite: PGliteQueryable): Pick<Database, 'query' | 'exec'> {
  return {
    async query<Row>(sql: string, params?: unknown[]) {
      const result = await pglite.query(sql, params);
      return { rows: result.rows as Row[] };
    },
    async exec(sql: string) {
      await pglite.exec(sql);
    },
  };
}

function pgliteDatabase(pglite: PGliteLike, owned: boolean): Database {
  const database: Database = {
    target: 'PGlite',
    ...pgliteQueries(pglite),
    transaction<T>(fn: (tx: Database) => Promise<T>): Promise<T> {
      // PGlite's own transaction holds its lock: other queries on the instance wait until it ends.
      if (typeof pglite.transaction !== 'function') return runTransaction(database, fn);
      return pglite.transaction((tx) =>
        fn({ target: 'PGlite', ...pgliteQueries(tx), close: async () => {} }),
      );
    },
    session(fn) {
      return serialized(pglite, () => fn(database));
    },
    async close() {
      if (owned) await pglite.close();
    },
  };
  return database;
}

/** The pg module, loaded lazily so that PGlite users do not need it installed. */
async function loadPg(): Promise<{ Pool: new (config: object) => PgPoolLike }> {
  try {
    const module = (await import('pg')) as unknown as { default?: unknown; Pool?: unknown };
    return (module.Pool ? module : module.default) as { Pool: new (config: object) => PgPoolLike };
  } catch (error) {
    throw new MigrationConnectionError(
      'The "pg" package is needed to connect to PostgreSQL with a connection string: npm install pg',
      'pg',
      { cause: error },
    );
  }
}

/**
 * A `pg.Pool` on a connection string already checked by `parsePostgresUrl`. An idle connection dropped by the
 * server must not crash the process: the next query reports it.
 */
export async function createPostgresPool(
  url: string,
  options: { max: number; connectionTimeoutMillis?: number },
): Promise<PgPoolLike> {
  const { Pool } = await loadPg();
  const pool = new Pool({ connectionString: url, ...options });
  pool.on?.('error', () => {});
  return pool;
}

function connectionStringDatabase(url: string): Database {
  let location: ReturnType<typeof parsePostgresUrl> | undefined;
  let invalid: unknown;
  try {
    location = parsePostgresUrl(url);
  } catch (error) {
    invalid = error;
  }
  const target = location?.target ?? describeConnectionString(url);
  if (!location) {
    // reported by the first query, like an unreachable server (`toDatabase` itself never throws for a string)
    const fail = async (): Promise<never> => {
      throw invalid;
    };
    return { target, query: fail, exec: fail, async close() {} };
  }
  let inner: Promise<Database> | undefined;
  const open = () => {
    inner ??= createPostgresPool(url, { max: 4 }).then((pool) => poolDatabase(pool, target, true));
    return inner;
  };
  return {
    target,
    async query<Row>(sql: string, params?: unknown[]) {
      return (await open()).query<Row>(sql, params);
    },
    async exec(sql: string) {
      return (await open()).exec(sql);
    },
    async transaction<T>(fn: (tx: Database) => Promise<T>) {
      return (await open()).transaction!(fn);
    },
    async session<T>(fn: (db: Database) => Promise<T>) {
      return (await open()).session!(fn);
    },
    async close() {
      if (inner) await (await inner).close();
    },
  };
}

/**
 * Adapts a node-postgres `Pool` or (connected) `Client`, a connection string, a
 * PGlite instance or an existing {@link Database} to the runner's interface.
 * Only a pool created here from a connection string is closed by `close()`.
 */
export function toDatabase(input: DatabaseInput): Database {
  if (typeof input === 'string') return connectionStringDatabase(input);
  if (isPGlite(input)) return pgliteDatabase(input, false);
  if (isPool(input)) {
    const options = input.options ?? {};
    const target = options.connectionString
      ? describeConnectionString(options.connectionString)
      : `${options.host ?? 'localhost'}:${options.port ?? 5432}`;
    return poolDatabase(input, target, false);
  }
  if (isDatabase(input)) return input;
  if (typeof input === 'object' && input !== null && typeof (input as PgClientLike).query === 'function') {
    return clientDatabase(input as PgClientLike);
  }
  throw new TypeError(
    'toDatabase: expected a pg.Pool, a pg.Client, a connection string, a PGlite instance or a Database',
  );
}

/** Runs `fn` on one connection of `db` (see {@link Database.session}). */
export function withSession<T>(db: Database, fn: (db: Database) => Promise<T>): Promise<T> {
  return db.session ? db.session(fn) : fn(db);
}

/** Runs `fn` in one transaction of `db` (its own `transaction` when it has one, else `begin`/`commit`). */
export function inTransaction<T>(db: Database, fn: (tx: Database) => Promise<T>): Promise<T> {
  return db.transaction ? db.transaction(fn) : runTransaction(db, fn);
}
