import type { MigrationStatus } from '@trainlytics/migrations';

/**
 * The lines `trainlytics migrate status` prints for the runner's `status(db)` result: one per file,
 * `<state>  <file>  <applied at>` in fixed columns (the `--json` form prints the result as it is).
 */
export function formatMigrationStatus(rows: readonly MigrationStatus[]): string[] {
  return rows.map((row) => {
    const when = row.appliedAt ? row.appliedAt.toISOString() : '';
    return `${row.state.padEnd(8)}  ${row.file.padEnd(32)}  ${when}`;
  });
}
