import {
  type ActivityBatch,
  type ActivityPage,
  type ConnectionContext,
  defineProvider,
  type JsonValue,
  type ListActivitiesRequest,
  mapActivityItems,
  type NormalizedProfile,
  type ProviderV1,
  validatePayload,
} from '@trainlytics/core';
import { mapStravaActivity } from './map-strava-activity';
import { mapStravaProfile } from './map-strava-profile';
import {
  parseStravaJson,
  stravaActivityListSchema,
  stravaActivitySchema,
  stravaAthleteSchema,
} from './strava-api';
import { describeStravaError } from './strava-error';
import { createStravaOAuth } from './strava-oauth';
import { stravaRateLimit } from './strava-rate-limit';
import { resolveStravaSettings, type StravaProviderOptions } from './strava-settings';
import { createStravaWebhooks } from './strava-webhooks';

/**
 * The sync cursor stored in `provider_connections.sync_cursor`.
 *
 * `after` is the high-water mark: epoch seconds of the newest activity start seen by the last finished
 * pass; the next incremental sync asks for `after=<after>`. A pass (a full backfill, or the incremental
 * walk above `after`) narrows a time window `(pass.after, pass.before)` page by page: when Strava answers a
 * page newest first, `before` moves down to the page's oldest start; when oldest first (what Strava does
 * when only `after` is given), `after` moves up to the newest. The cursor after every page records the
 * narrowed window, so an interrupted backfill resumes at the next page instead of starting over, and no
 * page number can shift under activities uploaded meanwhile. `page` only advances when a page carries no
 * readable start time to narrow the window with. An empty page ends the pass: `after` becomes the newest
 * start seen and `pass` is removed. A connection without a cursor (new, or migrated from
 * `strava_connections`) walks its whole history once; upserts on the activity id keep that idempotent.
 *
 * ```json
 * {"v":1,"after":1767225600}                                                        // between syncs
 * {"v":1,"after":1767225600,"pass":{"after":null,"before":1700000000,"page":1,"newest":1767300000}} // mid-backfill
 * ```
 */
export interface StravaSyncCursor {
  v: 1;
  after: number | null;
  pass?: { after: number | null; before: number | null; page: number; newest: number | null };
}

/** Reads a stored cursor; anything unrecognised (or null) starts from scratch. */
export function readStravaCursor(value: JsonValue | null): StravaSyncCursor {
  const o = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
  const num = (v: JsonValue | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const cursor: StravaSyncCursor = { v: 1, after: num(o.after) };
  const pass = o.pass;
  if (pass && typeof pass === 'object' && !Array.isArray(pass)) {
    cursor.pass = {
      after: num(pass.after),
      before: num(pass.before),
      page: Math.max(1, num(pass.page) ?? 1),
      newest: num(pass.newest),
    };
  }
  return cursor;
}

function startSeconds(item: unknown): number | null {
  const value = item && typeof item === 'object' ? (item as { start_date?: unknown }).start_date : undefined;
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** The next cursor after a non-empty page (see `StravaSyncCursor`). */
export function advanceStravaCursor(cursor: StravaSyncCursor, items: readonly unknown[]): StravaSyncCursor {
  const pass = cursor.pass ?? { after: cursor.after, before: null, page: 1, newest: null };
  const starts = items.map(startSeconds).filter((s): s is number => s !== null);
  const next = { ...pass };
  if (starts.length > 0) {
    const newest = Math.max(...starts);
    next.newest = pass.newest === null ? newest : Math.max(pass.newest, newest);
  }
  const first = starts[0];
  const last = starts[starts.length - 1];
  if (first !== undefined && last !== undefined && first > last) {
    next.before = Math.min(...starts);
    next.page = 1;
  } else if (first !== undefined && last !== undefined && first < last) {
    next.after = Math.max(...starts);
    next.page = 1;
  } else {
    next.page = pass.page + 1;
  }
  return { v: 1, after: cursor.after, pass: next };
}

/** The cursor once a pass has seen an empty page. */
export function finishStravaPass(cursor: StravaSyncCursor): StravaSyncCursor {
  const candidates = [cursor.after, cursor.pass?.newest ?? null, cursor.pass?.after ?? null].filter(
    (v): v is number => v !== null,
  );
  return { v: 1, after: candidates.length > 0 ? Math.max(...candidates) : null };
}

/**
 * Restores an int64 id that `JSON.parse` rounded, when the caller already knows it exactly (the id it asked
 * for): `{"id": 12345678987654321}` parses to …320, which still equals `Number(known)`.
 */
function withKnownId(body: unknown, known: string | null): unknown {
  if (!known || !body || typeof body !== 'object') return body;
  const id = (body as { id?: unknown }).id;
  if (typeof id === 'number' && !Number.isSafeInteger(id) && Number(known) === id)
    return { ...body, id: known };
  return body;
}

function toJson(cursor: StravaSyncCursor): JsonValue {
  return JSON.parse(JSON.stringify(cursor)) as JsonValue;
}

/**
 * The Strava plugin.
 *
 * ```ts
 * const provider = strava({ clientId, clientSecret }); // or STRAVA_CLIENT_ID / STRAVA_CLIENT_SECRET
 * ```
 */
export function strava(options: StravaProviderOptions = {}) {
  const settings = resolveStravaSettings(options);
  const pageSize = Math.min(200, Math.max(1, Math.floor(options.pageSize ?? 200)));

  async function fetchActivity(ctx: ConnectionContext, id: string): Promise<ActivityBatch> {
    const res = await ctx.http.request({
      url: `${settings.apiUrl()}/activities/${encodeURIComponent(id)}`,
      auth: 'user',
      acceptStatuses: [404],
      operation: 'get activity',
      parse: parseStravaJson,
    });
    // Gone, or now private to a token without activity:read_all: either way no longer ours to keep.
    if (res.status === 404) return { activities: [], rejected: [], deletedIds: [id] };
    return mapActivityItems([withKnownId(res.data, id)], {
      provider: 'strava',
      schema: stravaActivitySchema,
      map: mapStravaActivity,
    });
  }

  const provider = {
    specificationVersion: 'v1',
    id: 'strava',
    name: 'Strava',
    capabilities: { refresh: true, pkce: false, webhooks: true, backfill: 'pull', registration: false },
    oauth: createStravaOAuth(options, settings),
    rateLimit: stravaRateLimit,
    describeError: describeStravaError,
    webhooks: createStravaWebhooks(settings),
    // core sends this plugin's requests through it (else the host app's fetch)
    ...(options.fetch ? { fetch: options.fetch } : {}),

    async fetchProfile(ctx: ConnectionContext): Promise<NormalizedProfile> {
      const res = await ctx.http.request({
        url: `${settings.apiUrl()}/athlete`,
        auth: 'user',
        operation: 'get athlete',
        parse: parseStravaJson,
      });
      const data = withKnownId(res.data, ctx.connection.providerUserId);
      const athlete = await validatePayload(stravaAthleteSchema, data, {
        provider: 'strava',
        entity: 'athlete',
      });
      return mapStravaProfile(athlete, data);
    },

    async *listActivities(
      ctx: ConnectionContext,
      request: ListActivitiesRequest,
    ): AsyncIterable<ActivityPage> {
      let cursor = readStravaCursor(request.cursor);
      if (!cursor.pass) {
        const after = request.full ? null : cursor.after;
        cursor = { v: 1, after: cursor.after, pass: { after, before: null, page: 1, newest: null } };
      }
      for (;;) {
        const pass = cursor.pass!;
        const res = await ctx.http.request({
          url: `${settings.apiUrl()}/athlete/activities`,
          query: { after: pass.after, before: pass.before, page: pass.page, per_page: pageSize },
          auth: 'user',
          schema: stravaActivityListSchema,
          operation: 'list activities',
          parse: parseStravaJson,
        });
        const items = res.data;
        if (items.length === 0) {
          yield { activities: [], rejected: [], cursor: toJson(finishStravaPass(cursor)) };
          return;
        }
        const batch = await mapActivityItems(items, {
          provider: 'strava',
          schema: stravaActivitySchema,
          map: mapStravaActivity,
        });
        cursor = advanceStravaCursor(cursor, items);
        yield { ...batch, cursor: toJson(cursor) };
      }
    },

    async fetchChanged(ctx: ConnectionContext, ref: JsonValue): Promise<ActivityBatch> {
      if (typeof ref !== 'string' && typeof ref !== 'number') {
        return { activities: [], rejected: [] };
      }
      return fetchActivity(ctx, String(ref));
    },
  } satisfies ProviderV1;

  return defineProvider(provider);
}

export type StravaProvider = ReturnType<typeof strava>;
