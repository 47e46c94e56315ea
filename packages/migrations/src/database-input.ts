import path from 'node:path';
import { DatabaseInputError } from './errors.js';

/**
 * Where a command's database is, decided from its input before anything is opened:
 * - `postgres`: a `postgres://` or `postgresql://` connection string (`--database-url`, else `DATABASE_URL`);
 * - `pglite`: neither given (an empty value counts as not given), so the embedded PGlite database in
 *   `<cwd>/.trainlytics/db` ({@link embeddedDatabaseDir}).
 *
 * Anything else given as a URL (another scheme, a file path, `pglite:…`, garbage) is a `DatabaseInputError`:
 * the embedded database is chosen by giving no URL, never by a path.
 */
export type DatabaseLocation =
  | {
      kind: 'postgres';
      url: string;
      /** `host:port`, for the runner's messages (`Could not connect to PostgreSQL at host:port`). */
      target: string;
      /** `PostgreSQL at host:port/database`, without user or password. */
      description: string;
    }
  | {
      kind: 'pglite';
      /** Absolute path of the data folder. */
      dir: string;
      /** `embedded PGlite database .trainlytics/db` (relative to `cwd`). */
      description: string;
    };

/** The inputs every command reads its database from. */
export interface DatabaseInputOptions {
  /** `--database-url`. */
  databaseUrl?: string | undefined;
  /** Read for `DATABASE_URL`. */
  env: Record<string, string | undefined>;
  /** Base folder of the embedded database. */
  cwd: string;
}

/** The embedded PGlite database's folder: `<cwd>/.trainlytics/db`. The only place this path is spelled. */
export function embeddedDatabaseDir(cwd: string): string {
  return path.resolve(cwd, '.trainlytics', 'db');
}

/**
 * `--database-url`, else `DATABASE_URL`, else the embedded database in `<cwd>/.trainlytics/db`. Pure: opens
 * nothing, creates no folder. Throws only `DatabaseInputError` (a URL that is not `postgres://…`).
 */
export function parseDatabaseInput(options: DatabaseInputOptions): DatabaseLocation {
  const url = options.databaseUrl || options.env.DATABASE_URL || undefined;
  if (url !== undefined) return parsePostgresUrl(url);
  const dir = embeddedDatabaseDir(options.cwd);
  return {
    kind: 'pglite',
    dir,
    description: `embedded PGlite database ${path.relative(options.cwd, dir) || dir}`,
  };
}

/**
 * A PostgreSQL connection string: the scheme is checked here, the rest by node-postgres when it connects (it
 * accepts forms `URL` does not, such as a socket folder instead of a host).
 */
export function parsePostgresUrl(url: string): Extract<DatabaseLocation, { kind: 'postgres' }> {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//i.test(url)) {
    const input = redactDatabaseUrl(String(url));
    throw new DatabaseInputError(
      `Invalid database URL ${JSON.stringify(input)}: expected postgres://user:password@host:port/database`,
      input,
    );
  }
  return {
    kind: 'postgres',
    url,
    target: describeConnectionString(url),
    description: `PostgreSQL at ${describePostgresUrl(url)}`,
  };
}

/** `host:port` of a connection string (no credentials, for messages). */
export function describeConnectionString(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || process.env.PGHOST || 'localhost';
    const port = parsed.port || '5432';
    return `${host}:${port}`;
  } catch {
    return 'the given database URL';
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

/** The input with its credentials (whatever precedes the host's `@`) replaced by `***`. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^@/]*@/i, '$1***@');
}
