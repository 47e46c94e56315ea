import type { DefinitionStatus, MigrationStatus } from '@trainlytics/migrations';

/**
 * The lines `trainlytics migrate status` prints for the runner's `status(db)` result: one per file,
 * `<state>  <file>  <applied at>` in fixed columns (the `--json` form prints the result as it is), then one per
 * repeatable definition (`definitionStatus(db)`, ADR 0038): `changed` and `pending` ones are re-applied by the
 * next `up`.
 */
export function formatMigrationStatus(
  rows: readonly MigrationStatus[],
  definitions: readonly DefinitionStatus[] = [],
): string[] {
  const line = (state: string, file: string, appliedAt: Date | null) =>
    `${state.padEnd(8)}  ${file.padEnd(32)}  ${appliedAt ? appliedAt.toISOString() : ''}`;
  return [
    ...rows.map((row) => line(row.state, row.file, row.appliedAt)),
    ...definitions.map((row) => line(row.state, `definitions/${row.file}`, row.appliedAt)),
  ];
}
