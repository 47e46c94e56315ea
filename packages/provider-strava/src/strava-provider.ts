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
import { withStravaReadAhead } from './strava-read-ahead';
import { resolveStravaSettings, type StravaProviderOptions } from './strava-settings';
import { createStravaStreams } from './strava-streams';
import {
  advanceStravaCursor,
  readStravaCursor,
  type StravaSyncCursor,
  startStravaPass,
  stravaCursorJson,
} from './strava-walk';
import { createStravaWebhooks } from './strava-webhooks';

export {
  advanceStravaCursor,
  finishStravaPass,
  MAX_SHORT_STOPS,
  MAX_TIE_WALKS,
  readStravaCursor,
  type StravaPass,
  type StravaSyncCursor,
  type StravaTieWalk,
  type StravaWalkOptions,
  type StravaWalkStep,
  type StravaWindow,
  startStravaPass,
} from './strava-walk';

import { VERSION } from './version';

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
    userAgent: `provider-strava/${VERSION}`,
    oauth: createStravaOAuth(options, settings),
    rateLimit: stravaRateLimit,
    describeError: describeStravaError,
    webhooks: createStravaWebhooks(settings),
    streams: createStravaStreams(settings),
    /** `athleteCap` (or `STRAVA_ATHLETE_CAP`), read when first needed: `connect.start` refuses one more. */
    get maxConnections(): number | undefined {
      return settings.athleteCap();
    },
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
      // The walk and its cursor: see `StravaSyncCursor` (strava-walk.ts).
      let cursor: StravaSyncCursor = startStravaPass(readStravaCursor(request.cursor), !!request.full);
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
        const step = advanceStravaCursor(cursor, res.data, pageSize);
        const batch = await mapActivityItems(step.fresh, {
          provider: 'strava',
          schema: stravaActivitySchema,
          map: mapStravaActivity,
        });
        cursor = step.cursor;
        yield { ...batch, cursor: stravaCursorJson(cursor) };
        if (step.done) return;
      }
    },

    async fetchChanged(ctx: ConnectionContext, ref: JsonValue): Promise<ActivityBatch> {
      if (typeof ref !== 'string' && typeof ref !== 'number') {
        return { activities: [], rejected: [] };
      }
      return fetchActivity(ctx, String(ref));
    },
  } satisfies ProviderV1;

  return defineProvider(withStravaReadAhead(provider));
}

export type StravaProvider = ReturnType<typeof strava>;
