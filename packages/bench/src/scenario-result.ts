import type { WriteRateResult } from './write-rate-scenario';
import type { QueueScaleResult } from './queue-scale-scenario';
import type { SimulatedDayResult } from './simulated-day';

export interface BackfillResult {
  scenario: 'backfill' | 'naive';
  database: 'postgres' | 'pglite';
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
  | SimulatedDayResult;

/** The line a scenario process prints for `run.ts`. */
export const RESULT_PREFIX = 'BENCH_RESULT ';
