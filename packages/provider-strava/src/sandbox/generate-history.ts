/**
 * Deterministic generated activity histories. An activity is computed from (account, index) on demand:
 * nothing is materialized up front, so a 100,000-activity history costs nothing until it is read.
 * Start times never decrease with the index, which lets a time window be found by binary search.
 *
 * Awkward-but-legal shapes on demand (see `HistoryShape`): runs of activities sharing one start second
 * (`tieSize`), explicit start seconds with any number of duplicates (`startSeconds`), ids beyond 2^53 for
 * every activity (`unsafeIds`), and a chosen list of sport types (default: every documented SportType).
 */

import { mulberry32 } from '@trainlytics/core/testing';
import { DOCUMENTED_SPORT_TYPES } from './sport-types';

/** The first id beyond 2^53: ids like it lose precision in `JSON.parse`. */
export const UNSAFE_ID_BASE = 9_007_199_254_740_993n;

/** A SummaryActivity as the sandbox keeps it: ids as decimal strings, serialized as JSON numbers. */
export type SandboxActivity = Record<string, unknown> & { id: string; start_date: string };

/** The awkward-but-legal shapes a generated history can take (all optional; documented in the README). */
export interface HistoryShape {
  /**
   * Consecutive runs of this many activities share one start second (default 1: every start distinct).
   * With 200 or more, a whole page of the list holds one start second.
   */
  tieSize?: number;
  /**
   * Explicit start times (epoch seconds, any order, duplicates allowed): the history has exactly these
   * activities (`activityCount` is ignored). For property tests that generate the timeline themselves.
   */
  startSeconds?: readonly number[];
  /** Every generated id beyond 2^53 (default false: only the newest one, see `unsafeNewestId`). */
  unsafeIds?: boolean;
  /** Sport types to cycle through (default `DOCUMENTED_SPORT_TYPES`); unknown names are legal too. */
  sportTypes?: readonly string[];
}

export interface GeneratedHistory {
  /** The account's number (1, 2, …): spaces the id ranges of accounts apart. */
  accountNumber: number;
  athleteId: string;
  seed: number;
  count: number;
  /** Start of the newest generated activity is before this instant (ms). */
  endMs: number;
  spacingMs: number;
  /** Give the newest generated activity an id beyond 2^53 (default true). */
  unsafeNewestId: boolean;
  unsafeIds: boolean;
  tieSize: number;
  /** Sorted explicit starts in ms, when given. */
  startsMs: readonly number[] | null;
  sportTypes: readonly string[];
}

const DAY_MS = 86_400_000;
const TEN_YEARS_MS = 3652 * DAY_MS;

export function createHistory(
  params: {
    accountNumber: number;
    athleteId: string;
    seed: number;
    count: number;
    endMs: number;
    unsafeNewestId?: boolean;
  } & HistoryShape,
): GeneratedHistory {
  const startsMs = params.startSeconds
    ? [...params.startSeconds].map((s) => Math.floor(s) * 1000).sort((a, b) => a - b)
    : null;
  const count = startsMs ? startsMs.length : params.count;
  const tieSize = Math.max(1, Math.floor(params.tieSize ?? 1));
  const slots = Math.ceil(count / tieSize);
  const spacingMs =
    slots <= 3650 ? DAY_MS : Math.max(60_000, Math.floor(TEN_YEARS_MS / slots / 60_000) * 60_000);
  return {
    accountNumber: params.accountNumber,
    athleteId: params.athleteId,
    seed: params.seed,
    count,
    endMs: params.endMs,
    spacingMs,
    unsafeNewestId: params.unsafeNewestId ?? true,
    unsafeIds: params.unsafeIds ?? false,
    tieSize,
    startsMs,
    sportTypes:
      params.sportTypes && params.sportTypes.length > 0 ? params.sportTypes : DOCUMENTED_SPORT_TYPES,
  };
}

/** The id range of an account: generated activity `i` is `idBase + i`, added ones follow. */
export function idBase(accountNumber: number, unsafe = false): bigint {
  const base = 10_000_000_000n + BigInt(accountNumber) * 1_000_000_000n;
  return unsafe ? UNSAFE_ID_BASE + base : base;
}

export function generatedId(history: GeneratedHistory, index: number): string {
  if (!history.unsafeIds && history.unsafeNewestId && index === history.count - 1) {
    return String(UNSAFE_ID_BASE + BigInt(history.accountNumber));
  }
  return String(idBase(history.accountNumber, history.unsafeIds) + BigInt(index));
}

/** The index of a generated id, or null. */
export function generatedIndex(history: GeneratedHistory, id: string): number | null {
  if (!/^\d+$/.test(id)) return null;
  const n = BigInt(id);
  const newestUnsafe = !history.unsafeIds && history.unsafeNewestId;
  if (newestUnsafe && history.count > 0 && n === UNSAFE_ID_BASE + BigInt(history.accountNumber)) {
    return history.count - 1;
  }
  const index = n - idBase(history.accountNumber, history.unsafeIds);
  if (index < 0n || index >= BigInt(history.count)) return null;
  if (newestUnsafe && Number(index) === history.count - 1) return null;
  return Number(index);
}

/** A small fast PRNG (mulberry32) seeded from (seed, index, salt). */
export function random(seed: number, index: number, salt: number): () => number {
  return mulberry32(
    (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35) ^ salt) >>> 0,
  );
}

export function generatedStartMs(history: GeneratedHistory, index: number): number {
  if (history.startsMs) return history.startsMs[index]!;
  // A run of `tieSize` activities shares the start of its first one.
  const slotIndex = Math.floor(index / history.tieSize);
  const slots = Math.ceil(history.count / history.tieSize);
  const slot = history.endMs - (slots - slotIndex) * history.spacingMs;
  // Whole seconds, strictly increasing between runs: jitter stays inside the first half of the slot.
  const jitter = Math.floor(random(history.seed, slotIndex, 1)() * (history.spacingMs / 2 / 1000)) * 1000;
  return slot + jitter;
}

/** First index whose start is > `ms` (binary search over non-decreasing starts). */
export function firstIndexAfter(history: GeneratedHistory, ms: number): number {
  let lo = 0;
  let hi = history.count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (generatedStartMs(history, mid) > ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
