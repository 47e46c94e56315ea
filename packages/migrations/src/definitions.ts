import { readFile } from 'node:fs/promises';
import { bookkeepingTableSql } from './bookkeeping-table.js';
import { type Database, inTransaction } from './database.js';
import { MigrationError, MigrationFailedError } from './errors.js';
import { type DefinitionFile, unwrapTransaction } from './files.js';
import { describeSqlError } from './sql-error.js';

/**
 * Repeatable definitions (ADR 0038): `sql/definitions/NN_concern.sql`, the bodies of the functions and views in
 * force. After the versioned migrations, `migrate up` applies each file whose checksum differs from the one
 * recorded in `trainlytics_definitions` (a new file, an edited one, or every file after a down cleared the
 * records), in file-name order, each in one transaction with its record.
 */

/** The bookkeeping of the definitions: one row per file last applied, with its checksum. */
export const DEFINITIONS_TABLE = 'trainlytics_definitions';

const CREATE_DEFINITIONS_TABLE = bookkeepingTableSql(
  DEFINITIONS_TABLE,
  `  file text primary key,
  checksum text not null,
  applied_at timestamptz not null default now()`,
);

/** One definition file (re)applied by `migrate up`. */
export interface DefinitionStep {
  /** `05_commit_page.sql` */
  file: string;
  /** Why it ran: never applied here (`new`) or edited since (`changed`). */
  reason: 'new' | 'changed';
  durationMs: number;
}

/** A definition on disk or recorded in the database. */
export interface DefinitionStatus {
  file: string;
  /**
   * `applied`: recorded with the checksum it has on disk. `pending`: not recorded (the next `up` applies it).
   * `changed`: recorded with another checksum (the next `up` re-applies it). `missing`: recorded, file gone.
   */
  state: 'applied' | 'pending' | 'changed' | 'missing';
  appliedAt: Date | null;
  /** The checksum on disk (recorded one for `missing`). */
  checksum: string;
}

interface RecordedRow {
  file: string;
  checksum: string;
  applied_at: Date | string;
}

/** The recorded definitions (none when the table does not exist yet). */
export async function readRecordedDefinitions(db: Database): Promise<RecordedRow[]> {
  const exists = await db.query<{ present: boolean }>(
    `select to_regclass('${DEFINITIONS_TABLE}') is not null as present`,
  );
  if (!exists.rows[0]?.present) return [];
  const { rows } = await db.query<RecordedRow>(
    `select file, checksum, applied_at from ${DEFINITIONS_TABLE} order by file`,
  );
  return rows;
}

/** Each definition on disk with its state, then the recorded ones whose file is gone. */
export function describeDefinitions(
  definitions: readonly DefinitionFile[],
  recorded: readonly RecordedRow[],
): DefinitionStatus[] {
  const result: DefinitionStatus[] = definitions.map((d) => {
    const row = recorded.find((r) => r.file === d.file);
    return {
      file: d.file,
      state: !row ? 'pending' : row.checksum === d.checksum ? 'applied' : 'changed',
      appliedAt: row ? new Date(row.applied_at) : null,
      checksum: d.checksum,
    };
  });
  for (const row of recorded) {
    if (definitions.some((d) => d.file === row.file)) continue;
    result.push({
      file: row.file,
      state: 'missing',
      appliedAt: new Date(row.applied_at),
      checksum: row.checksum,
    });
  }
  return result;
}

/**
 * Applies, in order, every definition whose checksum differs from the recorded one; each file in one
 * transaction with its record, so a failing file leaves its previous bodies and record (and the files before
 * it stay applied). Call with the migration lock held.
 */
export async function applyDefinitions(
  db: Database,
  definitions: readonly DefinitionFile[],
  logger: { info(message: string): void } | undefined,
): Promise<DefinitionStep[]> {
  await db.exec(CREATE_DEFINITIONS_TABLE);
  const recorded = await readRecordedDefinitions(db);
  const steps: DefinitionStep[] = [];
  for (const definition of definitions) {
    const row = recorded.find((r) => r.file === definition.file);
    if (row?.checksum === definition.checksum) continue;
    const reason = row ? 'changed' : 'new';
    const name = `definitions/${definition.file}`;
    logger?.info(`Applying ${name} (${reason})…`);
    const started = performance.now();
    const { body } = unwrapTransaction(await readFile(definition.path, 'utf8'));
    try {
      await inTransaction(db, async (tx) => {
        await tx.exec(body);
        await tx.query(
          `insert into ${DEFINITIONS_TABLE} (file, checksum) values ($1, $2)
           on conflict (file) do update set checksum = excluded.checksum, applied_at = now()`,
          [definition.file, definition.checksum],
        );
      });
    } catch (error) {
      if (error instanceof MigrationError) throw error;
      const { reason: message, hint } = describeSqlError(error);
      throw new MigrationFailedError(name, message, hint, { cause: error });
    }
    const durationMs = Math.round(performance.now() - started);
    logger?.info(`Applied ${name} in ${durationMs} ms`);
    steps.push({ file: definition.file, reason, durationMs });
  }
  return steps;
}

/**
 * After a down: the reverted migrations' down files put back the bodies of their version, so no definition is
 * in force any more; the records are cleared and the next `up` to the latest version applies every file again.
 */
export async function forgetDefinitions(db: Database): Promise<void> {
  if ((await readRecordedDefinitions(db)).length === 0) return;
  await db.query(`delete from ${DEFINITIONS_TABLE}`);
}
