import type { ValidationError } from '../../errors/errors';
import type { NormalizedActivity } from '../../model/activity';
import type { JsonValue } from '../../model/json';

/** Activities mapped from one provider response. */
export interface ActivityBatch {
  activities: NormalizedActivity[];
  /** Items that failed validation: recorded in `sync_history.errors`, never silently written. */
  rejected: ValidationError[];
  /** Provider ids of activities deleted at the provider. */
  deletedIds?: string[];
}

/**
 * One page of a listing. The engine stores the page's activities in one statement, then persists
 * `cursor` in the same transaction, then calls `commit` (e.g. Polar's transaction commit).
 */
export interface ActivityPage extends ActivityBatch {
  /** The cursor to resume from after this page; the plugin gets it back on the next sync. */
  cursor: JsonValue | null;
  /**
   * Runs after the page is committed to the database, durably (e.g. Polar's transaction commit, after
   * which the provider no longer serves the page). A page without `commit` must be one the provider serves
   * again from the previous cursor: core lets the database acknowledge its commit before flushing it, so a
   * database crash may lose it (whole, with its cursor) and the next sync fetches it again (ADR 0023).
   */
  commit?: () => Promise<void>;
}

export interface ListActivitiesRequest {
  /** The cursor of the last committed page, or null on the first sync. */
  cursor: JsonValue | null;
  /**
   * A full backfill: walk the whole history. A plugin whose cursor records an interrupted backfill resumes
   * it; otherwise it starts a fresh pass.
   */
  full: boolean;
}
