import { z } from 'zod';

/**
 * Zod schemas of the Polar AccessLink v3 payloads the plugin reads. Unknown fields are allowed (Polar adds
 * fields over time) and the payload is always kept as received in `raw`.
 */

const nullish = <T extends z.ZodType>(schema: T) => schema.nullish();

/**
 * An integer id: a JSON number, or its digit string when it exceeds 2^53 (bodies are parsed with core's
 * `parseJsonExact`, which keeps such numbers exact instead of rounding them).
 */
const integerId = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

/** `POST https://polarremote.com/v2/oauth2/token`: no refresh token; `x_user_id` is the Polar user id. */
export const polarTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().optional(),
  x_user_id: z.union([z.number().int(), z.string().regex(/^\d+$/)]),
});
export type PolarTokenResponse = z.infer<typeof polarTokenResponseSchema>;

/** `POST /v3/users` and `GET /v3/users/{user-id}`: the user, with kebab-case keys. */
export const polarUserSchema = z.looseObject({
  'polar-user-id': z.union([z.number().int(), z.string().min(1)]),
  'member-id': nullish(z.string()),
  'registration-date': nullish(z.string()),
  'first-name': nullish(z.string()),
  'last-name': nullish(z.string()),
  birthdate: nullish(z.string()),
  gender: nullish(z.string()),
  weight: nullish(z.number()),
  height: nullish(z.number()),
  'extra-info': nullish(z.array(z.unknown())),
});
export type PolarUser = z.infer<typeof polarUserSchema>;

/**
 * One exercise. `/v3/exercises` answers in snake_case with a hashed string id; the legacy transactional
 * endpoints answer in kebab-case with an integer id. `normalizeExerciseKeys` turns the latter into the former
 * so one schema and one mapping serve both.
 */
export const polarExerciseSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number().int()]).transform(String),
  upload_time: nullish(z.string()),
  polar_user: nullish(z.string()),
  transaction_id: nullish(integerId),
  device: nullish(z.string()),
  device_id: nullish(z.string()),
  /** Local wall-clock time, no zone. */
  start_time: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, 'expected a local date-time'),
  /** Offset from UTC in minutes. */
  start_time_utc_offset: z.number().int(),
  /** ISO-8601 duration, e.g. `PT1H2M3.5S`. */
  duration: z.string().regex(/^P/, 'expected an ISO-8601 duration'),
  calories: nullish(z.number()),
  distance: nullish(z.number()),
  heart_rate: nullish(
    z.looseObject({
      average: nullish(z.number()),
      maximum: nullish(z.number()),
    }),
  ),
  training_load: nullish(z.number()),
  sport: nullish(z.string()),
  detailed_sport_info: nullish(z.string()),
  has_route: nullish(z.boolean()),
  club_id: nullish(z.number()),
  club_name: nullish(z.string()),
});
export type PolarExercise = z.infer<typeof polarExerciseSchema>;

const kebabKeys = new Set([
  'upload-time',
  'polar-user',
  'transaction-id',
  'device-id',
  'start-time',
  'start-time-utc-offset',
  'heart-rate',
  'training-load',
  'detailed-sport-info',
  'has-route',
  'club-id',
  'club-name',
]);

/**
 * Reads a transactional (kebab-case) exercise with the snake_case keys of `/v3/exercises`. Top-level keys
 * only; `running-index` keeps its hyphen in both variants and is left alone. Returns non-objects unchanged.
 */
export function normalizeExerciseKeys(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[kebabKeys.has(key) ? key.replaceAll('-', '_') : key] = v;
  }
  return out;
}

/** Validates either casing of an exercise. */
export const polarAnyExerciseSchema = z.preprocess(normalizeExerciseKeys, polarExerciseSchema);

/** `GET /v3/exercises`: an array of exercises (items are validated one by one); no body when empty. */
export const polarExerciseListSchema = z.array(z.unknown()).nullish();

/** `POST /v3/users/{user-id}/exercise-transactions` → 201. */
export const polarTransactionSchema = z.looseObject({
  'transaction-id': integerId,
  'resource-uri': nullish(z.string()),
});

/** `GET /v3/users/{user-id}/exercise-transactions/{transaction-id}`. */
export const polarTransactionExercisesSchema = z.looseObject({
  exercises: z.array(z.string()).default([]),
});

/** A webhook as `GET /v3/webhooks` lists it. */
export const polarWebhookSchema = z.looseObject({
  id: z.string(),
  events: z.array(z.string()),
  url: z.string(),
  active: z.boolean().optional(),
});
export type PolarWebhook = z.infer<typeof polarWebhookSchema>;

/** `POST /v3/webhooks` → 201: the only time `signature_secret_key` is shown. */
export const polarWebhookCreatedSchema = z.looseObject({
  data: z.looseObject({
    id: z.string(),
    events: z.array(z.string()),
    url: z.string(),
    signature_secret_key: z.string().min(1),
  }),
});

export const polarWebhookListSchema = z
  .looseObject({
    data: z.array(polarWebhookSchema).default([]),
  })
  .nullish();

/** A webhook delivery body (`EXERCISE`, `PING`, and other event types the plugin does not process). */
export const polarWebhookPayloadSchema = z.looseObject({
  event: z.string(),
  user_id: z.union([z.number().int(), z.string().min(1)]).optional(),
  entity_id: z.union([z.string().min(1), z.number()]).optional(),
  timestamp: z.string().optional(),
  url: z.string().optional(),
});
export type PolarWebhookPayload = z.infer<typeof polarWebhookPayloadSchema>;

/** An `EXERCISE` delivery: `{"event","user_id","entity_id","timestamp","url"}`. */
export const polarExerciseEventSchema = z.looseObject({
  event: z.literal('EXERCISE'),
  user_id: z.union([z.number().int(), z.string().min(1)]),
  entity_id: z.union([z.string().min(1), z.number()]),
  timestamp: z.string().optional(),
  url: z.string().optional(),
});

/** Polar's error body: `{"timestamp","status","errorType","message","corrId"}`. */
export const polarErrorBodySchema = z.looseObject({
  status: z.number().optional(),
  errorType: z.string().optional(),
  message: z.string().optional(),
  corrId: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});
