import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Database, type DatabaseInput, inTransaction, toDatabase, withSession } from './database.js';
import {
  LegacySchemaMissingError,
  MigrationChecksumError,
  MigrationError,
  MigrationFailedError,
} from './errors.js';
import { listMigrations, type MigrationFile, unwrapTransaction } from './files.js';

/** Where progress goes; `console` works. */
export interface MigrationLogger {
  info(message: string): void;
  warn?(message: string): void;
}

export interface MigrateOptions {
  /** `up` (default) applies pending migrations; `down` reverts applied ones. */
  direction?: 'up' | 'down';
  /**
   * Target version (`2`, `002` or `002_multi_provider`). Up: apply up to and
   * including it (default: all). Down: revert every migration above it
   * (default: only the most recently applied one).
   */
  to?: string;
  logger?: MigrationLogger;
  /** Folder of the SQL files (default: the package's `sql/`). */
  dir?: string;
}

export interface MigrationStep {
  version: string;
  name: string;
  file: string;
  direction: 'up' | 'down';
  durationMs: number;
}

export interface MigrateResult {
  direction: 'up' | 'down';
  /** What ran, in order (empty when there was nothing to do). */
  steps: MigrationStep[];
  /** The highest applied version afterwards, or null. */
  current: string | null;
}

export interface MigrationStatus {
  version: string;
  name: string;
  file: string;
  /** `changed`: applied, but the file on disk no longer has the checksum it had. `missing`: applied, file gone. */
  state: 'applied' | 'pending' | 'changed' | 'missing';
  appliedAt: Date | null;
  checksum: string | null;
  hasDown: boolean;
}

interface AppliedRow {
  version: string;
  name: string;
  checksum: string;
  applied_at: Date | string;
}

/** The session-level advisory lock key every runner takes (an arbitrary constant: "trainlytics"). */
export const MIGRATION_LOCK_KEY = 7_411_026_157_829;

// RLS without policies: only the owner (the role that migrates) reads or writes the bookkeeping, even where
// default privileges grant new tables to API roles (Supabase's anon / authenticated).
const CREATE_TABLE = `create table if not exists trainlytics_migrations (
  version text primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now()
);
alter table trainlytics_migrations enable row level security;`;

function versionNumber(version: string): number {
  return Number(version);
}

function resolveTarget(to: string, migrations: MigrationFile[], applied: AppliedRow[]): number {
  const prefix = /^(\d+)/.exec(to.trim());
  const number = prefix ? Number(prefix[1]) : Number.NaN;
  const known =
    migrations.some((m) => versionNumber(m.version) === number) ||
    applied.some((a) => versionNumber(a.version) === number) ||
    number === 0;
  if (!known) {
    const list = migrations.map((m) => m.file.replace(/\.sql$/, '')).join(', ');
    throw new MigrationError(`Unknown migration target "${to}". Known migrations: ${list}.`);
  }
  return number;
}

async function readApplied(db: Database): Promise<AppliedRow[]> {
  const exists = await db.query<{ present: boolean }>(
    `select to_regclass('trainlytics_migrations') is not null as present`,
  );
  if (!exists.rows[0]?.present) return [];
  const { rows } = await db.query<AppliedRow>(
    'select version, name, checksum, applied_at from trainlytics_migrations order by version',
  );
  return rows;
}

function checkChecksums(migrations: MigrationFile[], applied: AppliedRow[]): void {
  for (const row of applied) {
    const file = migrations.find((m) => versionNumber(m.version) === versionNumber(row.version));
    if (file && file.checksum !== row.checksum) {
      throw new MigrationChecksumError(file.file, row.checksum, file.checksum);
    }
  }
}

function describeSqlError(error: unknown): { reason: string; hint: string | undefined } {
  const e = error as { message?: string; hint?: string; where?: string };
  return { reason: e?.message ?? String(error), hint: e?.hint || undefined };
}

async function runFile(
  db: Database,
  migration: MigrationFile,
  direction: 'up' | 'down',
  logger: MigrationLogger | undefined,
): Promise<MigrationStep> {
  const path = direction === 'up' ? migration.path : migration.downPath!;
  const file = basename(path);
  const sql = await readFile(path, 'utf8');
  const { body, wrapped } = unwrapTransaction(sql);
  const bookkeeping = async (db: Database) => {
    if (direction === 'up') {
      await db.query(
        `insert into trainlytics_migrations (version, name, checksum) values ($1, $2, $3)
         on conflict (version) do update set name = excluded.name, checksum = excluded.checksum, applied_at = now()`,
        [migration.version, migration.name, migration.checksum],
      );
    } else {
      await db.query('delete from trainlytics_migrations where version = $1', [migration.version]);
    }
  };
  logger?.info(`${direction === 'up' ? 'Applying' : 'Reverting'} ${file}…`);
  const started = performance.now();
  try {
    if (wrapped) {
      await inTransaction(db, async (tx) => {
        await tx.exec(body);
        await bookkeeping(tx);
      });
    } else {
      // Not wrapped in begin/commit: the file manages its own transactions.
      await db.exec(sql);
      await bookkeeping(db);
    }
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    const { reason, hint } = describeSqlError(error);
    if ((error as { code?: string }).code === 'TLM01') {
      throw new LegacySchemaMissingError(file, reason, hint, { cause: error });
    }
    throw new MigrationFailedError(file, reason, hint, { cause: error });
  }
  const durationMs = Math.round(performance.now() - started);
  logger?.info(`${direction === 'up' ? 'Applied' : 'Reverted'} ${file} in ${durationMs} ms`);
  return { version: migration.version, name: migration.name, file, direction, durationMs };
}

/** Runs `fn` on one connection holding the migration lock, so two runners never migrate at once. */
export async function withMigrationLock<T>(
  database: Database,
  logger: MigrationLogger | undefined,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  return withSession(database, async (db) => {
    const { rows } = await db.query<{ locked: boolean }>(
      `select pg_try_advisory_lock(${MIGRATION_LOCK_KEY}) as locked`,
    );
    if (!rows[0]?.locked) {
      logger?.info('Another migration runner holds the lock; waiting for it to finish…');
      await db.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    }
    try {
      return await fn(db);
    } finally {
      await db.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => {});
    }
  });
}

async function usingDatabase<T>(input: DatabaseInput, fn: (db: Database) => Promise<T>): Promise<T> {
  const database = toDatabase(input);
  try {
    return await fn(database);
  } finally {
    if (typeof input === 'string') await database.close();
  }
}

/**
 * Applies (`up`) or reverts (`down`) migrations. Each file runs in one
 * transaction together with its row in `trainlytics_migrations`; an advisory
 * lock serializes concurrent runners; an applied file whose checksum changed
 * stops everything with a {@link MigrationChecksumError} before any change.
 */
export async function migrate(input: DatabaseInput, options: MigrateOptions = {}): Promise<MigrateResult> {
  const direction = options.direction ?? 'up';
  if (direction !== 'up' && direction !== 'down') {
    throw new MigrationError(`Unknown direction "${String(direction)}": use "up" or "down".`);
  }
  const logger = options.logger;
  const migrations = await listMigrations(options.dir);
  return usingDatabase(input, (database) =>
    withMigrationLock(database, logger, async (db) => {
      await db.exec(CREATE_TABLE);
      const applied = await readApplied(db);
      checkChecksums(migrations, applied);
      const appliedVersions = new Set(applied.map((row) => versionNumber(row.version)));
      const steps: MigrationStep[] = [];

      if (direction === 'up') {
        const limit =
          options.to === undefined
            ? Number.POSITIVE_INFINITY
            : resolveTarget(options.to, migrations, applied);
        const pending = migrations.filter(
          (m) => !appliedVersions.has(versionNumber(m.version)) && versionNumber(m.version) <= limit,
        );
        if (pending.length === 0) logger?.info('Database is up to date.');
        for (const migration of pending) steps.push(await runFile(db, migration, 'up', logger));
      } else {
        const appliedDesc = [...applied].sort((a, b) => versionNumber(b.version) - versionNumber(a.version));
        const limit =
          options.to === undefined
            ? appliedDesc[1]
              ? versionNumber(appliedDesc[1].version)
              : 0
            : resolveTarget(options.to, migrations, applied);
        const toRevert = appliedDesc.filter((row) => versionNumber(row.version) > limit);
        for (const row of toRevert) {
          const migration = migrations.find((m) => versionNumber(m.version) === versionNumber(row.version));
          if (!migration) {
            throw new MigrationError(
              `Cannot revert migration ${row.version}_${row.name}: its file is not in ${options.dir ?? 'the package'} any more.`,
            );
          }
          if (!migration.downPath) {
            throw new MigrationError(
              `Cannot revert ${migration.file}: it has no ${migration.version}_${migration.name}.down.sql. ` +
                'Pass a higher target (e.g. --to 001) to stop before it.',
            );
          }
        }
        if (toRevert.length === 0) logger?.info('Nothing to revert.');
        for (const row of toRevert) {
          const migration = migrations.find((m) => versionNumber(m.version) === versionNumber(row.version))!;
          steps.push(await runFile(db, migration, 'down', logger));
        }
      }

      const after = await readApplied(db);
      return { direction, steps, current: after.at(-1)?.version ?? null };
    }),
  );
}

/** Every migration on disk and in the database, with its state. Read-only. */
export async function status(
  input: DatabaseInput,
  options: { dir?: string } = {},
): Promise<MigrationStatus[]> {
  const migrations = await listMigrations(options.dir);
  return usingDatabase(input, async (db) => {
    const applied = await readApplied(db);
    const result: MigrationStatus[] = migrations.map((m) => {
      const row = applied.find((a) => versionNumber(a.version) === versionNumber(m.version));
      return {
        version: m.version,
        name: m.name,
        file: m.file,
        state: !row ? 'pending' : row.checksum === m.checksum ? 'applied' : 'changed',
        appliedAt: row ? new Date(row.applied_at) : null,
        checksum: m.checksum,
        hasDown: m.downPath !== null,
      };
    });
    for (const row of applied) {
      if (!migrations.some((m) => versionNumber(m.version) === versionNumber(row.version))) {
        result.push({
          version: row.version,
          name: row.name,
          file: `${row.version}_${row.name}.sql`,
          state: 'missing',
          appliedAt: new Date(row.applied_at),
          checksum: row.checksum,
          hasDown: false,
        });
      }
    }
    return result.sort((a, b) => versionNumber(a.version) - versionNumber(b.version));
  });
}
