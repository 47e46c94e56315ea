import { parseJsonExact } from '@trainlytics/core';
import { z } from 'zod';

/**
 * Zod schemas of the Strava API v3 payloads the plugin reads (https://developers.strava.com/docs/reference/).
 * Only the fields the plugin uses are checked; the whole payload is kept as `raw`. Strava sends many
 * fields as `null`, so optional fields accept both `null` and absence.
 */

const optionalNumber = z.number().nullish();
const optionalString = z.string().nullish();
const optionalBoolean = z.boolean().nullish();

/**
 * An int64 id: a digit string (`parseStravaJson` turns integers beyond 2^53 into one) or a JSON number (a safe
 * integer, or a rounded one when the body was parsed with plain `JSON.parse`).
 */
export const stravaIdSchema = z.union([
  // not `.int()`: zod 4 limits it to safe integers, and Strava ids exceed 2^53
  z.number().refine((n) => Number.isInteger(n) && n >= 0, 'expected a non-negative integer id'),
  z.string().regex(/^\d+$/),
]);

const isoInstant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO-8601 date-time');

/** SummaryAthlete / DetailedAthlete (`GET /athlete`, and `athlete` of the code exchange). */
export const stravaAthleteSchema = z.object({
  id: stravaIdSchema,
  username: optionalString,
  resource_state: optionalNumber,
  firstname: optionalString,
  lastname: optionalString,
  city: optionalString,
  state: optionalString,
  country: optionalString,
  sex: z.enum(['M', 'F']).nullish().catch(null),
  premium: optionalBoolean,
  summit: optionalBoolean,
  profile_medium: optionalString,
  profile: optionalString,
  measurement_preference: z.enum(['feet', 'meters']).nullish().catch(null),
});
export type StravaAthlete = z.infer<typeof stravaAthleteSchema>;

/** SummaryActivity (`GET /athlete/activities`) and DetailedActivity (`GET /activities/{id}`). */
export const stravaActivitySchema = z
  .object({
    id: stravaIdSchema,
    /** 2: SummaryActivity (the listing), 3: DetailedActivity (`GET /activities/{id}`). */
    resource_state: optionalNumber,
    external_id: optionalString,
    upload_id_str: optionalString,
    athlete: z.object({ id: stravaIdSchema }).nullish(),
    name: optionalString,
    distance: optionalNumber,
    moving_time: optionalNumber,
    elapsed_time: optionalNumber,
    total_elevation_gain: optionalNumber,
    type: optionalString,
    sport_type: optionalString,
    start_date: isoInstant,
    start_date_local: optionalString,
    timezone: optionalString,
    utc_offset: optionalNumber,
    map: z.object({ id: optionalString }).nullish(),
    trainer: optionalBoolean,
    commute: optionalBoolean,
    manual: optionalBoolean,
    private: optionalBoolean,
    average_speed: optionalNumber,
    max_speed: optionalNumber,
    has_heartrate: optionalBoolean,
    average_heartrate: optionalNumber,
    max_heartrate: optionalNumber,
    kilojoules: optionalNumber,
    calories: optionalNumber,
    device_name: optionalString,
  })
  .refine((a) => Boolean(a.sport_type || a.type), {
    message: 'expected sport_type or type',
    path: ['sport_type'],
  });
export type StravaActivity = z.infer<typeof stravaActivitySchema>;

/** The list endpoint answers a JSON array; items are validated one by one (`mapActivityItems`). */
export const stravaActivityListSchema = z.array(z.unknown());

/** The extra fields of a token response (`requestToken` reads the standard ones). */
export const stravaTokenResponseSchema = z.object({
  token_type: optionalString,
  expires_at: optionalNumber,
  expires_in: optionalNumber,
  athlete: stravaAthleteSchema.nullish(),
});

/** A webhook event (https://developers.strava.com/docs/webhooks/). Ids are read losslessly as strings. */
export const stravaWebhookEventSchema = z.object({
  object_type: z.enum(['activity', 'athlete']),
  object_id: stravaIdSchema,
  aspect_type: z.enum(['create', 'update', 'delete']),
  updates: z.record(z.string(), z.unknown()).nullish(),
  owner_id: stravaIdSchema,
  subscription_id: stravaIdSchema,
  event_time: z.number(),
});
export type StravaWebhookEvent = z.infer<typeof stravaWebhookEventSchema>;

/** `POST /push_subscriptions` → `{id}`; `GET /push_subscriptions` → an array of these. */
export const stravaPushSubscriptionSchema = z.object({
  id: stravaIdSchema,
  resource_state: optionalNumber,
  application_id: stravaIdSchema.nullish(),
  callback_url: optionalString,
  created_at: optionalString,
  updated_at: optionalString,
});
export type StravaPushSubscription = z.infer<typeof stravaPushSubscriptionSchema>;

/** Strava's error body: `{"message":"Bad Request","errors":[{"resource":"…","field":"…","code":"invalid"}]}`. */
export const stravaErrorSchema = z.object({
  message: z.string(),
  errors: z
    .array(
      z.object({
        resource: optionalString,
        field: optionalString,
        code: optionalString,
      }),
    )
    .nullish(),
});
export type StravaErrorBody = z.infer<typeof stravaErrorSchema>;

/**
 * `JSON.parse` for Strava bodies that keeps int64 ids exact: integers beyond 2^53 (activity and upload ids
 * can be) become digit strings instead of being rounded. Core's `parseJsonExact`, under its former name.
 */
export const parseStravaJson: (text: string) => unknown = parseJsonExact;

/**
 * The exact id of an activity as a string. The plugin parses Strava bodies with `parseStravaJson`, so an id
 * beyond 2^53 arrives as a digit string; a payload parsed with plain `JSON.parse` (a caller of
 * `mapStravaActivity`, a stored raw body) has it rounded, and Strava's `map.id` (`a<activity id>`, a string)
 * recovers it. Returns null when the id was rounded and cannot be recovered (the item is then rejected, never
 * stored under a wrong id).
 */
export function exactActivityId(activity: Pick<StravaActivity, 'id' | 'map'>): string | null {
  if (typeof activity.id === 'string') return activity.id;
  if (Number.isSafeInteger(activity.id)) return String(activity.id);
  const fromMap = /^a(\d+)$/.exec(activity.map?.id ?? '')?.[1];
  return fromMap !== undefined && Number(fromMap) === activity.id ? fromMap : null;
}
