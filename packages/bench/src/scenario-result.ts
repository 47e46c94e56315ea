import type { QueueScaleResult } from './queue-scale-scenario';
import type { SimulatedDayResult } from './simulated-day';
import type { StreamsResult } from './streams-scenario';
import type { WriteRateResult } from './write-rate-scenario';

/**
 * `postgres`: the real server. `pglite`: the embedded default as the CLI opens it (`./.trainlytics/db` on disk,
 * under its lock, with the embedded settings of ADR 0026). `pglite-stock`: `new PGlite()` in memory with
 * PGlite's own defaults (the embedded database before ADR 0026), for the before/after comparison.
 */
export type BenchDatabaseKind = 'postgres' | 'pglite' | 'pglite-stock';

export const BENCH_DATABASE_KINDS: readonly BenchDatabaseKind[] = ['postgres', 'pglite', 'pglite-stock'];

/** How the report names a kind. */
export function describeBenchDatabase(kind: BenchDatabaseKind): string {
  if (kind === 'postgres') return 'PostgreSQL 15';
  return kind === 'pglite' ? 'PGlite (embedded default)' : 'PGlite (stock, in memory)';
}

export interface BackfillResult {
  scenario: 'backfill' | 'naive';
  database: BenchDatabaseKind;
  activities: number;
  stored: number;
  wallMs: number;
  activitiesPerSecond: number;
  providerRequests: number;
  statements: number;
  /** The process's peak RSS, setup included. */
  peakRssMiB: number;
  /** The highest RSS sampled while the backfill itself ran. */
  syncRssMiB: number;
  /** Set when the run's V8 old space was capped (`--max-old-space-size`). */
  heapCapMiB?: number;
}

export interface IncrementalResult {
  scenario: 'incremental';
  connections: number;
  newActivitiesPerConnection: number;
  stored: number;
  limit: number;
  windowMs: number;
  providerRequests: number;
  maxRequestsInAWindow: number;
  tooManyRequests: number;
  wallMs: number;
  rateLimitFloorMs: number;
  syncsSucceeded: number;
  statements: number;
  peakRssMiB: number;
}

/** One paired run of the RTT sweep: the naive baseline and Trainlytics back to back in one process. */
export interface RttResult {
  scenario: 'rtt';
  activities: number;
  /** The round-trip time the proxy added between the app and PostgreSQL, in ms. */
  rttMs: number;
  /** Which ran first (the order alternates between repetitions). */
  first: 'naive' | 'backfill';
  naive: BackfillResult;
  trainlytics: BackfillResult;
}

export type ScenarioResult =
  | BackfillResult
  | IncrementalResult
  | RttResult
  | WriteRateResult
  | QueueScaleResult
  | SimulatedDayResult
  | StreamsResult;

/** The line a scenario process prints for `run.ts`. */
export const RESULT_PREFIX = 'BENCH_RESULT ';
