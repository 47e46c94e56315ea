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

/** The user's summaries among `generated` as they are at `nowS`: hidden ones out, added ones in, none uploaded later. */
function current(user: SandboxUser, generated: Iterable<StoredSummary>, nowS: number): StoredSummary[] {
  const out = [...generated].filter((s) => !user.hidden.has(s.summary.summaryId));
  return [...out, ...user.extras].filter((s) => s.uploadTimeInSeconds <= nowS);
}

/** The summaries uploaded in `from…to` (the pull's time axis), read with `bounds`. */
export function uploadedBetween(
  user: SandboxUser,
  window: { fromS: number; toS: number; bounds: WindowBounds; nowS: number },
): StoredSummary[] {
  const { fromS, toS, bounds, nowS } = window;
  return current(user, user.history.uploadedBetween(fromS, toS + 1), nowS).filter((s) =>
    inWindow(s.uploadTimeInSeconds, fromS, toS, bounds),
  );
}

/** The summaries that started in `from…to` (the backfill's time axis), read with `bounds`. */
export function startedBetween(
  user: SandboxUser,
  window: { fromS: number; toS: number; bounds: WindowBounds; nowS: number },
): StoredSummary[] {
  const { fromS, toS, bounds, nowS } = window;
  return current(user, user.history.startedBetween(fromS, toS + 1), nowS).filter((s) =>
    inWindow(s.summary.startTimeInSeconds, fromS, toS, bounds),
  );
}

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
