import { runBackfill, runNaive } from './backfill-scenario';
import { runIncremental } from './incremental-scenario';
import {
  BENCH_DATABASE_KINDS,
  type BenchDatabaseKind,
  RESULT_PREFIX,
  type ScenarioResult,
} from './scenario-result';

/**
 * One scenario in its own process (so its peak RSS is its own):
 * `scenario-entry.ts backfill|naive <activities> postgres|pglite|pglite-stock` or
 * `scenario-entry.ts incremental <connections> <newActivities> <limit> <windowMs> <concurrency>`.
 */
async function main(args: string[]): Promise<ScenarioResult> {
  const [kind, ...rest] = args;
  const n = (i: number) => {
    const v = Number(rest[i]);
    if (!Number.isInteger(v) || v <= 0)
      throw new Error(`Argument ${i + 2} must be a positive integer, got ${rest[i]}`);
    return v;
  };
  const db = () => {
    const v = (rest[1] ?? 'postgres') as BenchDatabaseKind;
    if (!BENCH_DATABASE_KINDS.includes(v))
      throw new Error(`The database is ${BENCH_DATABASE_KINDS.join(', ')}, got ${v}`);
    return v;
  };
  switch (kind) {
    case 'backfill':
      return runBackfill(n(0), db());
    case 'naive':
      return runNaive(n(0), db());
    case 'incremental':
      return runIncremental({
        connections: n(0),
        newActivities: n(1),
        limit: n(2),
        windowMs: n(3),
        concurrency: n(4),
      });
    default:
      throw new Error(`Unknown scenario ${kind}: backfill, naive or incremental`);
  }
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
