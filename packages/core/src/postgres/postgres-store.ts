import { ConfigurationError } from '../errors/errors';
import type { Store } from '../store/store';
import { createFunctionStore } from './function-store';
import { type StoreFunction, type StoreFunctionArgs, toStoreError } from './store-functions';

/** The part of a node-postgres `Pool` or `Client` (connected) the store uses. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** The part of a node-postgres `Pool` the store recognises it by. */
export interface PgPoolLike extends PgQueryable {
  connect(): Promise<unknown>;
  end(): Promise<void>;
  totalCount: number;
}

/** The part of a PGlite instance the store uses. */
export interface PGliteLike extends PgQueryable {
  exec(sql: string): Promise<unknown>;
  waitReady: Promise<void>;
}

/**
 * What `postgresStore` accepts: a connection string (the store opens and closes its own pool), a
 * node-postgres `Pool` or connected `Client`, or a PGlite instance, bare or wrapped in an object.
 */
export type PostgresStoreInput =
  | string
  | { connectionString: string; max?: number }
  | { pool: PgQueryable }
  | { client: PgQueryable }
  | { pglite: PGliteLike }
  | PgPoolLike
  | PGliteLike;

function isPGlite(value: unknown): value is PGliteLike {
  return typeof value === 'object' && value !== null && 'waitReady' in value && 'exec' in value;
}

function isQueryable(value: unknown): value is PgQueryable {
  return typeof value === 'object' && value !== null && typeof (value as PgQueryable).query === 'function';
}

/**
 * A `Store` on PostgreSQL (node-postgres) or PGlite. Needs migrations 001–003 applied
 * (`trainlytics migrate up`). `pg` and `@electric-sql/pglite` are optional peers: `pg` is loaded only
 * when a connection string is given.
 *
 * `close()` ends only a pool the store created from a connection string, never one passed in.
 */
export function postgresStore(input: PostgresStoreInput): Store {
  let kind = 'postgres';
  let db: PgQueryable | null = null;
  let connectionString: string | null = null;
  let max: number | undefined;

  if (typeof input === 'string') connectionString = input;
  else if ('connectionString' in input && typeof input.connectionString === 'string') {
    connectionString = input.connectionString;
    max = input.max;
  } else if ('pglite' in input && isPGlite(input.pglite)) {
    kind = 'pglite';
    db = input.pglite;
  } else if ('pool' in input && isQueryable(input.pool)) db = input.pool;
  else if ('client' in input && isQueryable(input.client)) db = input.client;
  else if (isPGlite(input)) {
    kind = 'pglite';
    db = input;
  } else if (isQueryable(input)) db = input;
  else {
    throw new ConfigurationError(
      'postgresStore expects a connection string, { connectionString }, a pg Pool or Client, or a PGlite instance',
    );
  }

  let ownPool: (PgQueryable & { end(): Promise<void> }) | null = null;
  let opening: Promise<PgQueryable> | null = null;
  const where = kind === 'pglite' ? 'PGlite' : 'PostgreSQL';

  const database = (): Promise<PgQueryable> => {
    if (db) return Promise.resolve(db);
    opening ??= (async () => {
      const pg = await loadPg();
      const pool = new pg.Pool({ connectionString: connectionString as string, max });
      // An idle client's error (e.g. the server restarting) must not crash the process: the pool drops
      // that client, and the next query fails (or reconnects) with a StoreError the caller sees.
      pool.on('error', () => {});
      ownPool = pool as unknown as PgQueryable & { end(): Promise<void> };
      return ownPool;
    })();
    return opening;
  };

  const call = async (fn: StoreFunction, args: StoreFunctionArgs): Promise<unknown> => {
    const target = await database();
    try {
      // `fn` comes from the fixed list of 003 functions; the arguments always travel as a parameter
      const result = await target.query(`select ${fn}(args => $1::text::jsonb) as result`, [
        JSON.stringify(args),
      ]);
      return result.rows[0]?.result ?? null;
    } catch (error) {
      throw toStoreError(fn, error, where);
    }
  };

  return createFunctionStore({
    kind,
    call,
    close: async () => {
      const pool = ownPool;
      ownPool = null;
      opening = null;
      if (pool) await pool.end();
    },
  });
}

interface PgModule {
  Pool: new (config: {
    connectionString: string;
    max?: number | undefined;
  }) => { on(event: 'error', listener: (error: Error) => void): unknown };
}

async function loadPg(): Promise<PgModule> {
  try {
    const mod = (await import('pg')) as unknown as PgModule & { default?: PgModule };
    return mod.default?.Pool ? mod.default : mod;
  } catch (error) {
    throw new ConfigurationError('postgresStore needs the `pg` package to open a connection string', {
      hint: 'install it (`npm install pg`), or pass a PGlite instance',
      cause: error,
    });
  }
}
