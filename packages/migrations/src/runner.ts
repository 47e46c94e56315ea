import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { bookkeepingTableSql } from './bookkeeping-table.js';
import { type Database, type DatabaseInput, inTransaction, toDatabase, withSession } from './database.js';
import {
  applyDefinitions,
  type DefinitionStatus,
  type DefinitionStep,
  describeDefinitions,
  forgetDefinitions,
  readRecordedDefinitions,
} from './definitions.js';
import {
  type DownLoss,
  LegacySchemaMissingError,
  MigrationChecksumError,
  MigrationDownRefusedError,
  MigrationError,
  MigrationFailedError,
  MigrationTargetError,
} from './errors.js';
import { listDefinitions, listMigrations, type MigrationFile, unwrapTransaction } from './files.js';
import { describeSqlError } from './sql-error.js';

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
  /**
   * Down only: revert even when a down file reports that it would lose data (see {@link planDown}).
   * Without it such a down throws {@link MigrationDownRefusedError} before anything is reverted.
   */
  force?: boolean;
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
  /**
   * Up: the definition files (re)applied after the migrations, in order (ADR 0038); empty when none changed, or
   * when the database is not at the latest version afterwards (`to` below it). Down: always empty (a down
   * clears the recorded definitions, so the next up to the latest version applies them all).
   */
  definitions: DefinitionStep[];
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

const CREATE_TABLE = bookkeepingTableSql(
  'trainlytics_migrations',
  `  version text primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now()`,
);

function versionNumber(version: string): number {
  return Number(version);
}

/**
 * The version number of `to`: exactly `0`/`000` (none), a known version's digits (`2`, `002`) or a known
 * `NNN_name`. Anything else (`"001; drop table users"`, `1.5`, `002_other`) is a {@link MigrationTargetError}.
 */
function resolveTarget(to: string, migrations: MigrationFile[], applied: AppliedRow[]): number {
  const known = [
    ...migrations.map((m) => ({ version: m.version, id: `${m.version}_${m.name}` })),
    ...applied.map((a) => ({ version: a.version, id: `${a.version}_${a.name}` })),
  ];
  if (/^\d+$/.test(to)) {
    const number = Number(to);
    if (number === 0 || known.some((k) => versionNumber(k.version) === number)) return number;
  }
  const named = known.find((k) => k.id === to);
  if (named) return versionNumber(named.version);
  throw new MigrationTargetError(to, [...new Set(known.map((k) => k.id))]);
}

/**
 * Checks `to` against the migration files in `dir` before anything connects (the CLI's usage check):
 * throws {@link MigrationTargetError} unless it names a version exactly.
 */
export async function checkTarget(to: string, options: { dir?: string } = {}): Promise<void> {
  resolveTarget(to, await listMigrations(options.dir), []);
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

async function runFile(
  db: Database,
  migration: MigrationFile,
  direction: 'up' | 'down',
  logger: MigrationLogger | undefined,
  force = false,
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
        // A down file's guard refuses a loss (TLD01) unless forced (ADR 0008).
        if (force) await tx.exec(`set local trainlytics.down = 'force'`);
        await tx.exec(body);
        await bookkeeping(tx);
      });
    } else {
      // Not wrapped in begin/commit: the file manages its own transactions (a down only runs forced).
      if (force) await db.exec(`set trainlytics.down = 'force'`);
      await db.exec(sql);
      if (force) await db.exec('reset trainlytics.down');
      await bookkeeping(db);
    }
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    const { reason, hint } = describeSqlError(error);
    if ((error as { code?: string }).code === 'TLD01') {
      const lost = JSON.parse((error as { detail?: string }).detail ?? '[]') as string[];
      throw new MigrationDownRefusedError([{ file, lost }]);
    }
    if ((error as { code?: string }).code === 'TLM01') {
      throw new LegacySchemaMissingError(file, reason, hint, { cause: error });
    }
    throw new MigrationFailedError(file, reason, hint, { cause: error });
  }
  const durationMs = Math.round(performance.now() - started);
  logger?.info(`${direction === 'up' ? 'Applied' : 'Reverted'} ${file} in ${durationMs} ms`);
  return { version: migration.version, name: migration.name, file, direction, durationMs };
}

/** Thrown inside a dry-run transaction to roll it back, carrying what was found. */
class DryRunDone extends Error {
  constructor(readonly lost: string[]) {
    super('dry run');
  }
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

const SCHEMA_COLUMNS = `select c.relname as rel, a.attname as col
  from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p')
  order by 1, 2`;

/**
 * What a down file without a guard destroys, found by running it: every table of the schema is counted, the
 * file runs in a savepoint, and the tables it dropped or emptied and the columns it dropped (with values)
 * are counted back after the savepoint is rolled back.
 */
async function observedLoss(tx: Database, body: string): Promise<string[]> {
  const columns = async () => (await tx.query<{ rel: string; col: string }>(SCHEMA_COLUMNS)).rows;
  const count = async (rel: string, where = 'true') =>
    Number(
      (await tx.query<{ n: string }>(`select count(*) as n from ${quote(rel)} where ${where}`)).rows[0]?.n ??
        0,
    );
  const before = await columns();
  const tables = [...new Set(before.map((c) => c.rel))];
  const rowsBefore = new Map<string, number>();
  for (const rel of tables) rowsBefore.set(rel, await count(rel));
  await tx.exec('savepoint trainlytics_down_dry_run');
  await tx.exec(body);
  const after = await columns();
  const rowsAfter = new Map<string, number>();
  const kept = new Set(after.map((c) => c.rel));
  for (const rel of tables) if (kept.has(rel)) rowsAfter.set(rel, await count(rel));
  await tx.exec('rollback to savepoint trainlytics_down_dry_run');
  const lost: string[] = [];
  for (const rel of tables) {
    const n = rowsBefore.get(rel)!;
    if (!kept.has(rel)) {
      if (n > 0) lost.push(`${rel}: ${n} row(s) (table dropped)`);
    } else if (n > rowsAfter.get(rel)!) {
      lost.push(`${rel}: ${n - rowsAfter.get(rel)!} row(s) deleted`);
    }
  }
  const keptColumns = new Set(after.map((c) => `${c.rel}.${c.col}`));
  for (const { rel, col } of before) {
    if (!kept.has(rel) || keptColumns.has(`${rel}.${col}`)) continue;
    const n = await count(rel, `${quote(col)} is not null`);
    if (n > 0) lost.push(`${rel}.${col}: ${n} value(s) (column dropped)`);
  }
  return lost;
}

/**
 * What reverting `migration` would lose. A down file with a guard (ADR 0008) says it: the file runs in a
 * transaction with `trainlytics.down = 'check'`, its guard raises `TLD00` with the list as JSON in the detail,
 * and the transaction rolls back. A file without a guard is run in that rolled-back transaction and what it
 * destroyed is counted ({@link observedLoss}); a file that manages its own transactions cannot be dry-run, so
 * it counts as a loss.
 */
async function downLoss(db: Database, migration: MigrationFile): Promise<DownLoss> {
  const file = basename(migration.downPath!);
  const { body, wrapped } = unwrapTransaction(await readFile(migration.downPath!, 'utf8'));
  if (!wrapped) {
    return { file, lost: [`${file} manages its own transactions: what it would lose cannot be checked`] };
  }
  const guarded = body.includes(`current_setting('trainlytics.down'`);
  try {
    await inTransaction(db, async (tx) => {
      await tx.exec(`set local trainlytics.down = 'check'`);
      if (guarded) await tx.exec(body);
      throw new DryRunDone(guarded ? [] : await observedLoss(tx, body));
    });
  } catch (error) {
    if (error instanceof DryRunDone) {
      if (!guarded) return { file, lost: error.lost };
      return { file, lost: [`${file} did not report what it would lose (its guard did not run)`] };
    }
    const e = error as { code?: string; detail?: string };
    if (e.code === 'TLD00') {
      const lost = JSON.parse(e.detail ?? '[]') as unknown;
      return { file, lost: Array.isArray(lost) ? lost.map(String) : [] };
    }
    const { reason, hint } = describeSqlError(error);
    throw new MigrationFailedError(file, reason, hint, { cause: error });
  }
  throw new MigrationError(`The dry run of ${file} ended without a result.`);
}

/** The applied migrations a down to `to` would revert (newest first), refusing files that have no down. */
function downSteps(
  migrations: MigrationFile[],
  applied: AppliedRow[],
  to: string | undefined,
  dir: string | undefined,
): MigrationFile[] {
  const appliedDesc = [...applied].sort((a, b) => versionNumber(b.version) - versionNumber(a.version));
  const limit =
    to === undefined
      ? appliedDesc[1]
        ? versionNumber(appliedDesc[1].version)
        : 0
      : resolveTarget(to, migrations, applied);
  const toRevert = appliedDesc.filter((row) => versionNumber(row.version) > limit);
  return toRevert.map((row) => {
    const migration = migrations.find((m) => versionNumber(m.version) === versionNumber(row.version));
    if (!migration) {
      throw new MigrationError(
        `Cannot revert migration ${row.version}_${row.name}: its file is not in ${dir ?? 'the package'} any more.`,
      );
    }
    if (!migration.downPath) {
      throw new MigrationError(
        `Cannot revert ${migration.file}: it has no ${migration.version}_${migration.name}.down.sql. ` +
          'Pass a higher target (e.g. --to 001) to stop before it.',
      );
    }
    return migration;
  });
}

/** What `migrate(db, { direction: 'down', to })` would revert, and what each step would lose. Changes nothing. */
export interface DownPlan {
  /** The down files, in the order they would run (newest first). */
  files: string[];
  /** Only the steps that would lose something. Empty: the down is lossless. */
  losses: DownLoss[];
}

async function planDownOn(
  db: Database,
  migrations: MigrationFile[],
  to: string | undefined,
  dir: string | undefined,
): Promise<DownPlan> {
  const applied = await readApplied(db);
  checkChecksums(migrations, applied);
  const steps = downSteps(migrations, applied, to, dir);
  const losses: DownLoss[] = [];
  for (const migration of steps) {
    const loss = await downLoss(db, migration);
    if (loss.lost.length > 0) losses.push(loss);
  }
  return { files: steps.map((m) => basename(m.downPath!)), losses };
}

/**
 * Dry run of a down: which files would run and what each would lose (counts per table and provider, from
 * each down file's guard, run and rolled back). Read-only.
 */
export async function planDown(
  input: DatabaseInput,
  options: { to?: string; dir?: string; logger?: MigrationLogger } = {},
): Promise<DownPlan> {
  const migrations = await listMigrations(options.dir);
  if (options.to !== undefined) resolveTarget(options.to, migrations, []);
  return usingDatabase(input, (database) =>
    withMigrationLock(database, options.logger, (db) => planDownOn(db, migrations, options.to, options.dir)),
  );
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
  const definitions = await listDefinitions(options.dir);
  return usingDatabase(input, (database) =>
    withMigrationLock(database, logger, async (db) => {
      await db.exec(CREATE_TABLE);
      const applied = await readApplied(db);
      checkChecksums(migrations, applied);
      const appliedVersions = new Set(applied.map((row) => versionNumber(row.version)));
      const steps: MigrationStep[] = [];
      let definitionSteps: DefinitionStep[] = [];

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
        if (atLatest(migrations, await readApplied(db))) {
          definitionSteps = await applyDefinitions(db, definitions, logger);
        } else if (definitions.length > 0) {
          logger?.info(
            'Definitions not applied: they are written for the latest version, and the database is not at it.',
          );
        }
      } else {
        const plan = await planDownOn(db, migrations, options.to, options.dir);
        if (plan.losses.length > 0 && !options.force) throw new MigrationDownRefusedError(plan.losses);
        for (const loss of plan.losses) {
          (logger?.warn ?? logger?.info)?.call(logger, `Forced: ${loss.file} loses ${loss.lost.join('; ')}`);
        }
        const toRevert = downSteps(migrations, applied, options.to, options.dir);
        if (toRevert.length === 0) logger?.info('Nothing to revert.');
        // The down files put back their version's bodies: no definition is in force once one runs.
        else await forgetDefinitions(db);
        for (const migration of toRevert) {
          steps.push(await runFile(db, migration, 'down', logger, options.force === true));
        }
      }

      const after = await readApplied(db);
      return { direction, steps, definitions: definitionSteps, current: after.at(-1)?.version ?? null };
    }),
  );
}

/**
 * True when every migration on disk is applied and every applied one is on disk: only then do the definitions
 * (written for the latest schema) apply. A database migrated by a newer package (a version this package does not
 * ship) keeps that package's bodies.
 */
function atLatest(migrations: MigrationFile[], applied: AppliedRow[]): boolean {
  const appliedVersions = new Set(applied.map((row) => versionNumber(row.version)));
  const onDisk = new Set(migrations.map((m) => versionNumber(m.version)));
  return (
    migrations.every((m) => appliedVersions.has(versionNumber(m.version))) &&
    [...appliedVersions].every((version) => onDisk.has(version))
  );
}

/**
 * Every definition file on disk and recorded in the database, in order, with its state (ADR 0038). Read-only.
 */
export async function definitionStatus(
  input: DatabaseInput,
  options: { dir?: string } = {},
): Promise<DefinitionStatus[]> {
  const definitions = await listDefinitions(options.dir);
  return usingDatabase(input, async (db) =>
    describeDefinitions(definitions, await readRecordedDefinitions(db)),
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
