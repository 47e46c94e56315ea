const marker = Symbol.for('trainlytics.migration-error');

/**
 * Typed errors of the migration runner. Every message says what went wrong and
 * what to do about it; `name` is stable so callers (and the CLI) can branch on it.
 *
 * Recognise them with the static `isInstance()` helpers rather than `instanceof`: they are marked with a
 * registered symbol, so they work across two installed copies of `@trainlytics/migrations` (the CLI's and
 * the app's).
 */
export class MigrationError extends Error {
  override name = 'MigrationError';
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through the registered symbol by isInstance()
  private readonly [marker] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /**
   * True for an error of this class (or a subclass) from any copy of the package: marked by the symbol and,
   * below the base class, named as the class or one of its subclasses.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any constructor of a subclass, whatever its parameters
  static isInstance<T extends MigrationError>(
    this: abstract new (
      ...args: any[]
    ) => T,
    error: unknown,
  ): error is T {
    if (error == null || typeof error !== 'object' || (error as Record<symbol, unknown>)[marker] !== true)
      return false;
    if ((this as unknown) === MigrationError) return true;
    const name = (error as { name?: unknown }).name;
    return typeof name === 'string' && (SUBCLASSES[this.name] ?? [this.name]).includes(name);
  }
}

/** The database cannot be reached (refused, unknown host, bad credentials, missing database, bad URL). */
export class MigrationConnectionError extends MigrationError {
  override name = 'MigrationConnectionError';
  constructor(
    message: string,
    readonly target: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A database input (`--database-url`, `DATABASE_URL`, a connection string given to the runner) that is not a
 * PostgreSQL URL. The message names the expected shape and never repeats a password.
 */
export class DatabaseInputError extends MigrationConnectionError {
  override name = 'DatabaseInputError';
  constructor(
    message: string,
    /** The input with any `user:password@` replaced by `***@`. */
    readonly input: string,
  ) {
    super(message, 'the given database URL');
  }
}

/** An applied migration file was edited after it ran. */
export class MigrationChecksumError extends MigrationError {
  override name = 'MigrationChecksumError';
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `Migration ${file} was changed after it was applied (checksum ${actual.slice(0, 12)}… on disk, ` +
        `${expected.slice(0, 12)}… when applied). Restore the original file and put the change in a new ` +
        'migration file instead.',
    );
  }
}

/** The SQL of a migration failed; its transaction was rolled back (files applied before it in the same run stay applied). */
export class MigrationFailedError extends MigrationError {
  override name = 'MigrationFailedError';
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly hint: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `Migration ${file} failed and its transaction was rolled back: ${reason}${hint ? ` (${hint})` : ''}`,
      options,
    );
  }
}

/**
 * A migration needs the legacy schema (001) but the database has no `users` / `activities` table
 * (SQLSTATE `TLM01` raised by 002).
 */
export class LegacySchemaMissingError extends MigrationFailedError {
  override name = 'LegacySchemaMissingError';
}

/** `dropLegacy` refused: strava_connections still holds rows that were not migrated. */
export class LegacyDropRefusedError extends MigrationError {
  override name = 'LegacyDropRefusedError';
}

/** `--to` / `to` is not exactly a known migration version (`002`, `2` or `002_multi_provider`). */
export class MigrationTargetError extends MigrationError {
  override name = 'MigrationTargetError';
  constructor(
    readonly target: string,
    readonly known: readonly string[],
  ) {
    super(
      `Unknown migration target ${JSON.stringify(target)}: use a version exactly as listed (0 for none, ${known.join(', ')}).`,
    );
  }
}

/** What reverting one migration would lose. */
export interface DownLoss {
  /** `002_multi_provider.down.sql` */
  file: string;
  /** One entry per table (and provider), e.g. `sync_history: 12 row(s)`. */
  lost: string[];
}

/**
 * A down migration would lose data and `force` was not given (SQLSTATE `TLD01` of a down file's guard, or
 * the runner's dry run). Nothing was reverted.
 */
export class MigrationDownRefusedError extends MigrationError {
  override name = 'MigrationDownRefusedError';
  constructor(readonly losses: readonly DownLoss[]) {
    super(
      `Refusing to revert: it would lose data (${losses
        .map((l) => `${l.file}: ${l.lost.join('; ')}`)
        .join(' | ')}). Keep what you need first, or pass --force (force: true) to revert anyway.`,
    );
  }
}

/**
 * The embedded PGlite database is held by another live process (`holder`: its command, pid and host).
 * PGlite serves one process: a second one writing the same folder corrupts it.
 */
export class MigrationDatabaseInUseError extends MigrationError {
  override name = 'MigrationDatabaseInUseError';
  constructor(
    message: string,
    readonly holder: { pid: number; host: string; command: string; since: string },
  ) {
    super(message);
  }
}

/** Each class's name and its subclasses' (an error of a subclass is an instance of its parent). */
const SUBCLASSES: Record<string, readonly string[]> = {
  MigrationConnectionError: ['MigrationConnectionError', 'DatabaseInputError'],
  MigrationFailedError: ['MigrationFailedError', 'LegacySchemaMissingError'],
};
