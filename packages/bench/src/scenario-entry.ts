import { runBackfill, runNaive } from './backfill-scenario';
import { runIncremental } from './incremental-scenario';
import { runQueueScale } from './queue-scale-scenario';
import { runRttPair } from './rtt-scenario';
import {
  BENCH_DATABASE_KINDS,
  type BenchDatabaseKind,
  RESULT_PREFIX,
  type ScenarioResult,
} from './scenario-result';
import { SIMULATED_DAY, simulateDay } from './simulated-day';
import { runStreams } from './streams-scenario';
import { runWriteRate } from './write-rate-scenario';

/**
 * One scenario in its own process (so its peak RSS is its own):
 * `scenario-entry.ts backfill|naive <activities> postgres|pglite|pglite-stock` or
 * `scenario-entry.ts incremental <connections> <newActivities> <limit> <windowMs> <concurrency>` or
 * `scenario-entry.ts rtt <activities> <rttMs> naive|backfill` (the paired run over a slow network, the
 * path named last runs first),
 * `scenario-entry.ts queue-scale <connections> [quick]`, `scenario-entry.ts simulated-day <connections>` or
 * `scenario-entry.ts streams <activities> <seconds>` (activity detail, issue 14).
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
    case 'write-rate':
      return runWriteRate(n(0));
    case 'incremental':
      return runIncremental({
        connections: n(0),
        newActivities: n(1),
        limit: n(2),
        windowMs: n(3),
        concurrency: n(4),
      });
    case 'rtt': {
      const rttMs = Number(rest[1]);
      if (!Number.isFinite(rttMs) || rttMs < 0)
        throw new Error(`The RTT must be a number of ms ≥ 0, got ${rest[1]}`);
      const first = rest[2] ?? 'naive';
      if (first !== 'naive' && first !== 'backfill')
        throw new Error(`First is naive or backfill, got ${first}`);
      return runRttPair(n(0), rttMs, first);
    }
    case 'queue-scale':
      return runQueueScale({ connections: n(0), quick: rest[1] === 'quick' });
    case 'simulated-day':
      return simulateDay({ ...SIMULATED_DAY, connections: n(0) });
    case 'streams':
      return runStreams(n(0), n(1));
    default:
      throw new Error(
        `Unknown scenario ${kind}: backfill, naive, write-rate, incremental, rtt, queue-scale, simulated-day or streams`,
      );
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
