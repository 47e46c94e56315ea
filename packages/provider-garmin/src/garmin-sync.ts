import {
  type ActivityBatch,
  type ActivityPage,
  allowedUrl,
  type ConnectionContext,
  InsufficientScopeError,
  type JsonValue,
  type ListActivitiesRequest,
  ProviderApiError,
  parseJsonExact,
  toEpochSeconds,
  ValidationError,
} from '@trainlytics/core';
import { z } from 'zod';
import { assertGarminPermissions } from './garmin-oauth';
import { ACTIVITY_EXPORT, type GarminSettings, HISTORICAL_DATA_EXPORT } from './garmin-settings';
import { mapGarminSummaries } from './map-garmin-activity';

const DAY_S = 86_400;
/** The pull endpoint accepts at most 24 hours of upload time per request. */
export const PULL_WINDOW_S = DAY_S;
/** The backfill endpoint accepts at most 30 days of summary time per request. */
export const BACKFILL_WINDOW_S = 30 * DAY_S;
/**
 * Consecutive windows share their boundary second. Garmin does not document whether a window's start
 * and end seconds are inclusive: with both exclusive, a summary uploaded (or, for backfill, started)
 * exactly on the boundary would be in neither window; sharing the second puts it in at least one. When
 * both are inclusive it comes in both: the second copy is dropped (`dropRepeats`), and one read again
 * by the next sync is an unchanged row the store does not count.
 */
export const WINDOW_OVERLAP_S = 1;
/** What a backfill may leave unrequested at its oldest end instead of a window of a few seconds. */
const BACKFILL_CRUMBS_S = 60;

const backfillSchema = z.object({ from: z.number().int(), to: z.number().int(), nextEnd: z.number().int() });

/**
 * The connection's `sync_cursor`:
 * - `uploadedThrough`: the upload-time high-water mark (epoch seconds): the end of the last committed
 *   pull window. The next window starts at `uploadedThrough - WINDOW_OVERLAP_S`, so the boundary second
 *   is read again whatever Garmin's bounds. It advances one committed 24-hour window at a time.
 * - `backfill`: a backfill in progress. Windows of summary time from `nextEnd` to `to` have been requested
 *   (newest first); `from` to `nextEnd` remains (each window's end is the previous one's start + 1 s,
 *   the shared boundary second). A full sync resumes it.
 * - `lastBackfill`: the range of the last completed backfill (its data arrives by notification).
 */
export const garminCursorSchema = z.object({
  uploadedThrough: z.number().int().nullable(),
  backfill: backfillSchema.nullish(),
  lastBackfill: z.object({ from: z.number().int(), to: z.number().int() }).nullish(),
});
export type GarminCursor = z.infer<typeof garminCursorSchema>;

export function readGarminCursor(
  value: JsonValue | null,
  ctx: Pick<ConnectionContext, 'logger'>,
): GarminCursor {
  if (value === null) return { uploadedThrough: null };
  const parsed = garminCursorSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  ctx.logger.warn('unreadable Garmin sync cursor, starting from the initial window', {
    provider: 'garmin',
    issues: parsed.error.issues.map((i) => i.message),
  });
  return { uploadedThrough: null };
}

const cursorJson = (cursor: GarminCursor): JsonValue => {
  const out: { [key: string]: JsonValue } = { uploadedThrough: cursor.uploadedThrough };
  if (cursor.backfill) out.backfill = { ...cursor.backfill };
  if (cursor.lastBackfill) out.lastBackfill = { ...cursor.lastBackfill };
  return out;
};

const listSchema = z.array(z.unknown());

/**
 * Garmin answers 403 when the user stopped sharing what the call needs (in Garmin Connect, without a
 * notification reaching us, so the stored permissions still list it): reported as `InsufficientScopeError`,
 * which core turns into `reauth_required` (the user must share it again or reconnect).
 */
export async function withPermission<T>(
  ctx: ConnectionContext,
  permission: string,
  call: () => Promise<T>,
  blocking = true,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!ProviderApiError.isInstance(error) || error.status !== 403) throw error;
    throw new InsufficientScopeError(
      `${error.message}: the Garmin user no longer shares ${permission} with this app`,
      {
        provider: 'garmin',
        granted: ctx.connection.scopes.filter((p) => p !== permission),
        required: [permission],
        blocking,
        hint: blocking
          ? 'ask the user to reconnect Garmin and keep it shared, or to enable it in Garmin Connect > Settings > Connected Apps'
          : 'new activities keep syncing; for the history, ask the user to share it again in Garmin Connect > Settings > Connected Apps',
        cause: error,
      },
    );
  }
}

/** Pulls the summaries uploaded in `[start, end)` (at most 24 h). */
async function pullWindow(
  settings: GarminSettings,
  ctx: ConnectionContext,
  start: number,
  end: number,
): Promise<ActivityBatch> {
  const res = await withPermission(ctx, ACTIVITY_EXPORT, () =>
    ctx.http.request({
      url: `${settings.apiUrl()}/activities`,
      query: { uploadStartTimeInSeconds: start, uploadEndTimeInSeconds: end },
      auth: 'user',
      operation: 'list activities',
      schema: listSchema,
      // `activityId` can exceed 2^53: kept exact in `raw`
      parse: parseJsonExact,
    }),
  );
  return mapGarminSummaries(res.data, { expectedUserId: ctx.connection.providerUserId });
}

/**
 * Requests a backfill of `[start, end)` (summary time). Garmin answers 202 and delivers the summaries later
 * by notification; 409 means the same range was already requested, which is as good.
 */
async function requestBackfill(settings: GarminSettings, ctx: ConnectionContext, start: number, end: number) {
  await withPermission(
    ctx,
    HISTORICAL_DATA_EXPORT,
    () =>
      ctx.http.request({
        url: `${settings.apiUrl()}/backfill/activities`,
        query: { summaryStartTimeInSeconds: start, summaryEndTimeInSeconds: end },
        auth: 'user',
        operation: 'backfill request',
        acceptStatuses: [409],
      }),
    false, // the history only: new activities keep syncing (a withdrawn "Activities" blocks at the next pull)
  );
}

/**
 * Streams pages of activities.
 *
 * Incremental: pulls by upload time from the cursor (the last `initialSyncDays` on a first sync), one
 * 24-hour window per request and per page, so the cursor advances with each committed window. The last
 * window starts at or before now and is not cut at our clock (Garmin's clock may be ahead of ours); the
 * cursor stops at now, so that part is read again next time: unchanged activities are not rewritten.
 *
 * Full: requests backfill in 30-day windows of summary time, newest first, one page per window (no
 * activities: they arrive by push or ping), recording progress so an interrupted backfill resumes; then
 * pulls what was uploaded since the backfill started.
 */
export async function* listGarminActivities(
  settings: GarminSettings,
  ctx: ConnectionContext,
  request: ListActivitiesRequest,
): AsyncGenerator<ActivityPage> {
  assertGarminPermissions(ctx.connection.scopes, settings.requiredPermissions);
  const nowS = toEpochSeconds(ctx.clock.now());
  const cursor = readGarminCursor(request.cursor, ctx);

  if (request.full) {
    // only the history needs it: the run fails, the connection keeps syncing new activities
    assertGarminPermissions(ctx.connection.scopes, [HISTORICAL_DATA_EXPORT], { blocking: false });
    const backfill = cursor.backfill ?? {
      from: nowS - settings.backfillDays * DAY_S,
      to: nowS,
      nextEnd: nowS,
    };
    let done = backfill.nextEnd <= backfill.from;
    while (!done) {
      const start = Math.max(backfill.from, backfill.nextEnd - BACKFILL_WINDOW_S);
      await requestBackfill(settings, ctx, start, backfill.nextEnd);
      // The next (older) window ends one second into this one: a summary starting on the boundary second
      // is in at least one of them, whatever Garmin's bounds. The shared seconds add up (one per window):
      // rather than a last window of a few seconds, the backfill then stops that much short of `from`.
      done = start - backfill.from <= BACKFILL_CRUMBS_S;
      backfill.nextEnd = start + WINDOW_OVERLAP_S;
      if (done) {
        cursor.backfill = null;
        cursor.lastBackfill = { from: start, to: backfill.to };
        cursor.uploadedThrough = Math.max(cursor.uploadedThrough ?? backfill.to, backfill.to);
      } else {
        cursor.backfill = { ...backfill };
      }
      yield { activities: [], rejected: [], cursor: cursorJson(cursor) };
    }
  }

  let start = Math.min(
    cursor.uploadedThrough === null
      ? nowS - settings.initialSyncDays * DAY_S
      : cursor.uploadedThrough - WINDOW_OVERLAP_S,
    nowS,
  );
  let previous: ActivityBatch | null = null;
  for (;;) {
    const end = start + PULL_WINDOW_S;
    const batch = dropRepeats(await pullWindow(settings, ctx, start, end), previous);
    previous = batch;
    cursor.uploadedThrough = Math.min(end, nowS);
    yield { ...batch, cursor: cursorJson(cursor) };
    // the next window starts on this one's last second (see WINDOW_OVERLAP_S)
    start = end - WINDOW_OVERLAP_S;
    if (start > nowS || end > nowS) break;
  }
}

/**
 * Drops from a window's batch the summaries the previous window already yielded unchanged (a summary
 * uploaded on the shared boundary second comes in both when Garmin's bounds are inclusive). A summary
 * that changed (re-uploaded after an edit) is kept.
 */
function dropRepeats(batch: ActivityBatch, previous: ActivityBatch | null): ActivityBatch {
  if (!previous || previous.activities.length === 0) return batch;
  const before = new Map(previous.activities.map((a) => [a.providerActivityId, JSON.stringify(a.raw)]));
  const activities = batch.activities.filter(
    (a) => before.get(a.providerActivityId) !== JSON.stringify(a.raw),
  );
  return activities.length === batch.activities.length ? batch : { ...batch, activities };
}

/** A ping's reference: the `callbackURL` to fetch with the connection's token. */
export interface GarminPingRef {
  callbackURL: string;
}

/**
 * Fetches a ping's `callbackURL` with the connection's token and returns its (int64-exact) JSON list. The
 * URL must be on the configured Garmin API (a notification must not make us send a user's token elsewhere).
 */
export async function fetchGarminCallback(
  settings: GarminSettings,
  ctx: ConnectionContext,
  ref: JsonValue,
  operation: string,
): Promise<unknown[]> {
  const callbackURL =
    ref && typeof ref === 'object' && !Array.isArray(ref) && typeof ref.callbackURL === 'string'
      ? ref.callbackURL
      : null;
  if (!callbackURL) {
    throw new ValidationError('garmin ping reference has no callbackURL', {
      provider: 'garmin',
      entity: 'webhook',
      issues: [{ path: 'callbackURL', message: 'expected a URL string' }],
    });
  }
  const api = new URL(settings.apiUrl());
  // core's allow-list: the API's origin, under its path, no userinfo, no encoded slash (ADR 0040)
  const target = allowedUrl(callbackURL, [api]);
  if (!target) {
    // origin and path only: Garmin's callback URLs carry a pull token in their query
    const shown = URL.canParse(callbackURL) ? new URL(callbackURL) : null;
    throw new ValidationError(
      `garmin ping callbackURL ${shown ? `${shown.origin}${shown.pathname}` : '(not a URL)'} is not on the Garmin API (${api.origin}${api.pathname}): not fetched`,
      {
        provider: 'garmin',
        entity: 'webhook',
        issues: [{ path: 'callbackURL', message: `expected a URL under ${api.origin}${api.pathname}` }],
      },
    );
  }
  const res = await withPermission(ctx, ACTIVITY_EXPORT, () =>
    ctx.http.request({
      url: target,
      auth: 'user',
      operation,
      schema: listSchema,
      parse: parseJsonExact,
    }),
  );
  return res.data;
}

/** Fetches an activity ping's `callbackURL` (see `fetchGarminCallback`) and maps the summaries. */
export async function fetchGarminChanged(
  settings: GarminSettings,
  ctx: ConnectionContext,
  ref: JsonValue,
): Promise<ActivityBatch> {
  const items = await fetchGarminCallback(settings, ctx, ref, 'ping callback');
  return mapGarminSummaries(items, { expectedUserId: ctx.connection.providerUserId });
}
