import type { GeneratedHistory, StoredSummary } from './sandbox-history';
import { inWindow, type WindowBounds } from './summary-windows';

/**
 * A Garmin Connect user of the sandbox: a generated history, the changes made to it since, and what the
 * user shares with the app. The functions below are what the API sees of it.
 */
export interface SandboxUser {
  userId: string;
  history: GeneratedHistory;
  /** Activities added (or re-uploaded after an edit) after seeding. */
  extras: StoredSummary[];
  /** Generated summaries that were deleted, or edited (their new version is in `extras`). */
  hidden: Set<string>;
  permissions: string[];
  registered: boolean;
  /** Backfills requested (`<summaryType>:<start>-<end>`): Garmin answers a duplicate 409. */
  backfills: Set<string>;
}

/**
 * The user's summaries among `generated` as they are at `nowS`: hidden ones out, added ones in, none
 * uploaded later.
 */
function current(user: SandboxUser, generated: Iterable<StoredSummary>, nowS: number): StoredSummary[] {
  const out = [...generated].filter((s) => !user.hidden.has(s.summary.summaryId));
  return [...out, ...user.extras].filter((s) => s.uploadTimeInSeconds <= nowS);
}

/** A window of time, read with `bounds`, at the sandbox's `nowS`. */
export interface SummaryWindow {
  fromS: number;
  toS: number;
  bounds: WindowBounds;
  nowS: number;
}

/** The summaries whose upload time (the pull's axis) or start time (the backfill's) is in the window. */
function summariesIn(user: SandboxUser, axis: 'upload' | 'start', window: SummaryWindow): StoredSummary[] {
  const { fromS, toS, bounds, nowS } = window;
  const history = user.history;
  const generated =
    axis === 'upload' ? history.uploadedBetween(fromS, toS + 1) : history.startedBetween(fromS, toS + 1);
  const timeOf = (s: StoredSummary) =>
    axis === 'upload' ? s.uploadTimeInSeconds : s.summary.startTimeInSeconds;
  return current(user, generated, nowS).filter((s) => inWindow(timeOf(s), fromS, toS, bounds));
}

/** The summaries uploaded in the window (the pull's time axis). */
export const uploadedBetween = (user: SandboxUser, window: SummaryWindow) =>
  summariesIn(user, 'upload', window);

/** The summaries that started in the window (the backfill's time axis). */
export const startedBetween = (user: SandboxUser, window: SummaryWindow) =>
  summariesIn(user, 'start', window);

/** A current summary of the user by id (an added or edited one first), or null. */
export function findSummary(user: SandboxUser, summaryId: string): StoredSummary | null {
  const extra = user.extras.find((s) => s.summary.summaryId === summaryId);
  if (extra) return extra;
  return user.hidden.has(summaryId) ? null : user.history.find(summaryId);
}

/** Activities (multisport legs included, their parent summaries not). */
export function activityCountOf(user: SandboxUser): number {
  const hiddenGenerated = [...user.hidden].filter((id) => user.history.find(id) !== null).length;
  return user.history.count - hiddenGenerated + user.extras.length;
}
