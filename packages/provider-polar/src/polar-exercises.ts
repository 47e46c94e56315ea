import {
  type ActivityBatch,
  type ActivityPage,
  allowedUrl,
  type ConnectionContext,
  type JsonValue,
  type ListActivitiesRequest,
  mapActivityItems,
  parseJsonExact,
  ReauthorizationRequiredError,
  ValidationError,
  validatePayload,
} from '@trainlytics/core';
import { mapPolarActivity } from './map-polar-activity';
import {
  polarAnyExerciseSchema,
  polarExerciseListSchema,
  polarTransactionExercisesSchema,
  polarTransactionSchema,
} from './polar-api';
import { withConsentCheck } from './polar-error';
import type { PolarSettings } from './polar-settings';

const PROVIDER = 'polar';

/**
 * The cursor of the non-transactional flow: `/v3/exercises` always returns the last 30 days, so the cursor
 * remembers the ids already stored that the listing still shows (`knownIds`) and skips exactly those.
 * Nothing is skipped by time: an exercise that appears after a sync with an `upload_time` at or before
 * the newest one stored (uploaded in the same instant, or processed late by Polar) is still new by id.
 * `newestUploadTime`/`idsAtNewest` are kept for information (the newest upload stored). A cursor written
 * before `knownIds` existed skips nothing once (the store does not count unchanged rows).
 */
export interface PolarExercisesCursor {
  flow: 'exercises';
  newestUploadTime: string | null;
  idsAtNewest: string[];
  knownIds?: string[];
}

export interface PolarExerciseOptions {
  /** Activities per page handed to the engine (default 100). */
  pageSize?: number;
}

function mapItems(items: readonly unknown[]): Promise<ActivityBatch> {
  return mapActivityItems(items, {
    provider: PROVIDER,
    schema: polarAnyExerciseSchema,
    map: mapPolarActivity,
  });
}

function readCursor(cursor: JsonValue | null): PolarExercisesCursor | null {
  if (!cursor || typeof cursor !== 'object' || Array.isArray(cursor) || cursor.flow !== 'exercises')
    return null;
  const time = typeof cursor.newestUploadTime === 'string' ? cursor.newestUploadTime : null;
  const strings = (v: JsonValue | undefined) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  const out: PolarExercisesCursor = {
    flow: 'exercises',
    newestUploadTime: time,
    idsAtNewest: strings(cursor.idsAtNewest),
  };
  if (Array.isArray(cursor.knownIds)) out.knownIds = strings(cursor.knownIds);
  return out;
}

function field(item: unknown, ...keys: string[]): unknown {
  if (!item || typeof item !== 'object') return undefined;
  for (const key of keys) {
    const value = (item as Record<string, unknown>)[key];
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Upload time in ms, or null when unreadable (such items are never skipped: validation reports them). */
function uploadTimeOf(item: unknown): number | null {
  const value = field(item, 'upload_time', 'upload-time');
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function idOf(item: unknown): string | null {
  const value = field(item, 'id');
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/**
 * The current non-transactional flow: one `GET /v3/exercises` (last 30 days; nothing is consumed), items
 * sorted by upload time and handed to the engine in pages, each with the cursor after it, so an interrupted
 * sync resumes and a later one skips exercises already stored. Idempotent upserts dedupe the rest.
 */
export async function* listPolarExercises(
  settings: PolarSettings,
  options: PolarExerciseOptions,
  ctx: ConnectionContext,
  request: ListActivitiesRequest,
): AsyncGenerator<ActivityPage> {
  const previous = request.full ? null : readCursor(request.cursor);
  const response = await withConsentCheck(() =>
    ctx.http.request({
      url: `${settings.apiUrl()}/exercises`,
      auth: 'user',
      schema: polarExerciseListSchema,
      operation: 'list exercises',
      parse: parseJsonExact,
    }),
  );
  const items = (response.data ?? []).map((item) => ({ item, uploaded: uploadTimeOf(item), id: idOf(item) }));
  const known = new Set(previous?.knownIds ?? []);
  const fresh = items
    .filter(({ id }) => id === null || !known.has(id))
    .sort((a, b) => (a.uploaded ?? Number.MAX_SAFE_INTEGER) - (b.uploaded ?? Number.MAX_SAFE_INTEGER));
  // Ids the listing still shows and that were stored: what the next sync skips (gone ones drop out).
  const listed = new Set(items.map(({ id }) => id).filter((id): id is string => id !== null));
  const stillKnown = [...known].filter((id) => listed.has(id));

  let cursor: PolarExercisesCursor = {
    flow: 'exercises',
    newestUploadTime: previous?.newestUploadTime ?? null,
    idsAtNewest: previous?.idsAtNewest ?? [],
    knownIds: stillKnown,
  };
  const pageSize = Math.max(1, options.pageSize ?? 100);
  if (fresh.length === 0) {
    yield { activities: [], rejected: [], cursor: cursorJson(cursor) };
    return;
  }
  for (let start = 0; start < fresh.length; start += pageSize) {
    const chunk = fresh.slice(start, start + pageSize);
    for (const { uploaded, id } of chunk) {
      if (uploaded === null) continue;
      const newest = cursor.newestUploadTime ? Date.parse(cursor.newestUploadTime) : null;
      if (newest === null || uploaded > newest) {
        cursor = { ...cursor, newestUploadTime: new Date(uploaded).toISOString(), idsAtNewest: [] };
      }
      if (
        uploaded === Date.parse(cursor.newestUploadTime!) &&
        id !== null &&
        !cursor.idsAtNewest.includes(id)
      ) {
        cursor = { ...cursor, idsAtNewest: [...cursor.idsAtNewest, id] };
      }
    }
    const ids = chunk.map((c) => c.id).filter((id): id is string => id !== null);
    cursor = { ...cursor, knownIds: [...(cursor.knownIds ?? []), ...ids] };
    const batch = await mapItems(chunk.map((c) => c.item));
    yield { ...batch, cursor: cursorJson(cursor) };
  }
}

function cursorJson(cursor: PolarExercisesCursor): JsonValue {
  return {
    flow: cursor.flow,
    newestUploadTime: cursor.newestUploadTime,
    idsAtNewest: [...cursor.idsAtNewest],
    knownIds: [...(cursor.knownIds ?? [])],
  };
}

function requireUserId(ctx: ConnectionContext): string {
  const id = ctx.connection.providerUserId;
  if (!id) {
    throw new ReauthorizationRequiredError('The Polar connection has no Polar user id', {
      provider: PROVIDER,
    });
  }
  return id;
}

/**
 * Resolves an exercise reference (an id, or a URL from Polar) to a URL on the configured API. URLs on any
 * other origin or path are refused: a webhook body never makes the plugin send a user's token elsewhere.
 */
export function polarExerciseUrl(settings: PolarSettings, ref: string, pathPrefix = '/exercises/'): string {
  if (!/^https?:\/\//i.test(ref)) return `${settings.apiUrl()}/exercises/${encodeURIComponent(ref)}`;
  // core's allow-list (ADR 0040): the API's origin, under `<apiUrl><pathPrefix>`, no userinfo, no encoded slash
  const api = new URL(settings.apiUrl());
  const base = `${api.origin}${api.pathname.replace(/\/+$/, '')}${pathPrefix}`;
  const url = allowedUrl(ref, [base]);
  if (!url) throw refused(ref);
  return url.toString();
}

function refused(ref: string): ValidationError {
  return new ValidationError(`Polar exercise reference ${ref} is not on the configured Polar API`, {
    provider: PROVIDER,
    entity: 'exercise reference',
    issues: [{ path: 'url', message: 'expected a URL on the configured Polar API (apiUrl / POLAR_API_URL)' }],
  });
}

/** Fetches one exercise (a webhook's EXERCISE event); a 404 (deleted since) is an empty batch. */
export async function fetchPolarExercise(
  settings: PolarSettings,
  ctx: ConnectionContext,
  ref: JsonValue,
): Promise<ActivityBatch> {
  if (typeof ref !== 'string' || ref.length === 0) {
    throw new ValidationError('Polar exercise reference must be an exercise id or URL', {
      provider: PROVIDER,
      entity: 'exercise reference',
      issues: [{ path: '(root)', message: 'expected a non-empty string' }],
    });
  }
  const url = polarExerciseUrl(settings, ref);
  const response = await withConsentCheck(() =>
    ctx.http.request({
      url,
      auth: 'user',
      acceptStatuses: [404],
      operation: 'get exercise',
      parse: parseJsonExact,
    }),
  );
  if (response.status === 404 || response.data === undefined) return { activities: [], rejected: [] };
  return mapItems([response.data]);
}

/**
 * The legacy transactional flow (deprecated by Polar, still documented): create a transaction (204 =
 * nothing new), list it, fetch each exercise, and commit with `PUT` only after the engine has stored the
 * page (`commit`). Uncommitted data is returned again by Polar, so a failed sync loses nothing.
 */
export async function* listPolarExerciseTransactions(
  settings: PolarSettings,
  ctx: ConnectionContext,
): AsyncGenerator<ActivityPage> {
  const userId = requireUserId(ctx);
  const base = `${settings.apiUrl()}/users/${encodeURIComponent(userId)}/exercise-transactions`;
  for (;;) {
    const created = await withConsentCheck(() =>
      ctx.http.request({
        method: 'POST',
        url: base,
        auth: 'user',
        operation: 'create exercise transaction',
        parse: parseJsonExact,
      }),
    );
    if (created.status === 204 || created.data === undefined) {
      return;
    }
    const tx = await validatePayload(polarTransactionSchema, created.data, {
      provider: PROVIDER,
      entity: 'exercise transaction',
    });
    const txUrl = `${base}/${tx['transaction-id']}`;
    const listed = await ctx.http.request({
      url: txUrl,
      auth: 'user',
      operation: 'list exercise transaction',
      parse: parseJsonExact,
    });
    const { exercises } = await validatePayload(polarTransactionExercisesSchema, listed.data ?? {}, {
      provider: PROVIDER,
      entity: 'exercise transaction',
    });
    const items: unknown[] = [];
    for (const exerciseUrl of exercises) {
      const url = polarExerciseUrl(settings, exerciseUrl, '/users/');
      const res = await ctx.http.request({
        url,
        auth: 'user',
        operation: 'get transaction exercise',
        parse: parseJsonExact,
      });
      items.push(res.data);
    }
    let committed = false;
    const batch = await mapItems(items);
    yield {
      ...batch,
      cursor: { flow: 'transactional', lastTransactionId: tx['transaction-id'] },
      commit: async () => {
        await ctx.http.request({
          method: 'PUT',
          url: txUrl,
          auth: 'user',
          operation: 'commit exercise transaction',
        });
        committed = true;
      },
    };
    if (!committed || exercises.length === 0) return;
  }
}
