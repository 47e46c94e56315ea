import type { JsonValue, SyncRecord } from '@trainlytics/core';

/** Garmin accepts at most 30 days of history per backfill request (one "window"). */
const BACKFILL_WINDOW_S = 30 * 86_400;
/** How long after a backfill request the dashboard keeps updating itself while the history arrives. */
export const BACKFILL_WATCH_MS = 5 * 60_000;

/** What the dashboard says about a history delivered later by webhook (providers with `backfill: 'async'`). */
export interface BackfillStatus {
  /** Windows of history requested so far, and the days they cover. */
  windows: number;
  days: number;
  /** Windows still to request (an interrupted backfill; the next full sync resumes it). */
  remainingWindows: number;
  requestedAt: Date;
  /** Activities created by the provider's notifications since the request. */
  arrived: number;
}

type Range = { from: number; to: number; nextEnd?: number };

function range(value: JsonValue | undefined): Range | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const { from, to, nextEnd } = value as Record<string, JsonValue>;
  if (typeof from !== 'number' || typeof to !== 'number') return null;
  return typeof nextEnd === 'number' ? { from, to, nextEnd } : { from, to };
}

/**
 * The latest asynchronous backfill of a connection, read from its sync history (newest first): the last
 * full sync that requested one (its `cursorAfter` records the range, as the Garmin plugin documents:
 * `lastBackfill` once every window was requested, `backfill` while some remain), and the activities the
 * `webhook` runs created since. Null when no backfill was requested.
 */
export function backfillStatus(history: SyncRecord[]): BackfillStatus | null {
  const full = history.find((h) => h.syncType === 'full' && h.status !== 'running');
  if (!full?.cursorAfter || typeof full.cursorAfter !== 'object' || Array.isArray(full.cursorAfter))
    return null;
  const cursor = full.cursorAfter as Record<string, JsonValue>;
  const done = range(cursor.lastBackfill);
  const partial = range(cursor.backfill);
  const requested = partial?.nextEnd !== undefined ? { from: partial.nextEnd, to: partial.to } : done;
  if (!requested || requested.to <= requested.from) return null;
  const span = requested.to - requested.from;
  const remaining = partial?.nextEnd !== undefined ? Math.max(0, partial.nextEnd - partial.from) : 0;
  const arrived = history
    .filter((h) => h.syncType === 'webhook' && h.startedAt.getTime() >= full.startedAt.getTime())
    .reduce((sum, h) => sum + h.activitiesCreated, 0);
  return {
    windows: Math.ceil(span / BACKFILL_WINDOW_S),
    days: Math.round(span / 86_400),
    remainingWindows: Math.ceil(remaining / BACKFILL_WINDOW_S),
    requestedAt: full.startedAt,
    arrived,
  };
}
