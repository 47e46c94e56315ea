import { z } from 'zod';

/**
 * Response and notification schemas of the Garmin Health/Activity API (`wellness-api/rest`). Every metric
 * of a summary is optional: Garmin leaves out what a device did not record (indoor activities have no
 * distance or GPS). Unknown fields are kept (`looseObject`) so `raw` holds the whole payload.
 */

const optionalNumber = z.number().nullish();
const optionalString = z.string().nullish();

/** `GET /user/id`. */
export const garminUserIdSchema = z.looseObject({ userId: z.string().min(1) });
export type GarminUserId = z.infer<typeof garminUserIdSchema>;

/** `GET /user/permissions`: `["ACTIVITY_EXPORT", "HEALTH_EXPORT", …]`. */
export const garminPermissionsSchema = z.array(z.string());

/** One activity summary (`ClientActivity`), as pulled, pushed or returned by a ping's `callbackURL`. */
export const garminActivitySummarySchema = z.looseObject({
  /** The unique key of the summary; a string, though older payloads carry numbers. */
  summaryId: z.union([z.string().min(1), z.number().int()]).transform(String),
  userId: optionalString,
  /** Garmin Connect's id, a JSON number that can exceed 2^53 (a digit string once parsed exactly). */
  activityId: z.union([z.number(), z.string()]).nullish(),
  activityName: optionalString,
  activityDescription: optionalString,
  activityType: optionalString,
  isParent: z.boolean().nullish(),
  parentSummaryId: z.union([z.string(), z.number()]).nullish(),
  startTimeInSeconds: z.number().int(),
  startTimeOffsetInSeconds: z.number().int().nullish(),
  durationInSeconds: optionalNumber,
  distanceInMeters: optionalNumber,
  averageSpeedInMetersPerSecond: optionalNumber,
  maxSpeedInMetersPerSecond: optionalNumber,
  averageHeartRateInBeatsPerMinute: optionalNumber,
  maxHeartRateInBeatsPerMinute: optionalNumber,
  activeKilocalories: optionalNumber,
  totalElevationGainInMeters: optionalNumber,
  totalElevationLossInMeters: optionalNumber,
  deviceName: optionalString,
  manual: z.boolean().nullish(),
  isWebUpload: z.boolean().nullish(),
});
export type GarminActivitySummary = z.infer<typeof garminActivitySummarySchema>;

/**
 * One sample of an Activity Details summary (Activity API 7.3). Every field but the start is optional: a
 * device leaves out what it did not record (no GPS in a pool, no power without a meter). The temperature
 * is spelled `airTemperatureCelcius` by Garmin.
 */
export const garminActivityDetailSampleSchema = z.looseObject({
  startTimeInSeconds: z.number().int(),
  latitudeInDegree: optionalNumber,
  longitudeInDegree: optionalNumber,
  elevationInMeters: optionalNumber,
  airTemperatureCelcius: optionalNumber,
  heartRate: optionalNumber,
  speedMetersPerSecond: optionalNumber,
  stepsPerMinute: optionalNumber,
  totalDistanceInMeters: optionalNumber,
  timerDurationInSeconds: optionalNumber,
  clockDurationInSeconds: optionalNumber,
  movingDurationInSeconds: optionalNumber,
  powerInWatts: optionalNumber,
  bikeCadenceInRPM: optionalNumber,
  directWheelchairCadence: optionalNumber,
  swimCadenceInStrokesPerMinute: optionalNumber,
});
export type GarminActivityDetailSample = z.infer<typeof garminActivityDetailSampleSchema>;

/**
 * An Activity Details summary (`activityDetails` push, its ping's `callbackURL`, `GET /activityDetails`):
 * the activity's `summary` (the activity summary's fields, without its ids), `samples` and `laps`
 * (`startTimeInSeconds` only). Its `summaryId` is the activity summary's with `-detail` appended.
 */
export const garminActivityDetailSchema = z.looseObject({
  summaryId: z.union([z.string().min(1), z.number().int()]).transform(String),
  userId: optionalString,
  activityId: z.union([z.number(), z.string()]).nullish(),
  summary: garminActivitySummarySchema.omit({ summaryId: true }),
  samples: z.array(garminActivityDetailSampleSchema).nullish(),
  laps: z.array(z.looseObject({ startTimeInSeconds: z.number().int() })).nullish(),
});
export type GarminActivityDetail = z.infer<typeof garminActivityDetailSchema>;

/** A ping notification item: where to fetch the summaries from. */
export const garminPingItemSchema = z.looseObject({
  userId: z.string().min(1),
  callbackURL: z.string().url(),
  uploadStartTimeInSeconds: z.number().int().nullish(),
  uploadEndTimeInSeconds: z.number().int().nullish(),
});
export type GarminPingItem = z.infer<typeof garminPingItemSchema>;

/** A `deregistrations` item: the user disconnected the app in Garmin Connect (or we deregistered them). */
export const garminDeregistrationSchema = z.looseObject({ userId: z.string().min(1) });

/** A `userPermissionsChange` item: the user changed what they share. */
export const garminPermissionsChangeSchema = z.looseObject({
  userId: z.string().min(1),
  summaryId: z.union([z.string(), z.number()]).nullish(),
  permissions: z.array(z.string()),
  changeTimeInSeconds: z.number().int().nullish(),
});

/** A notification body: one envelope key naming the summary type, holding a list of items. */
export const garminNotificationSchema = z.looseObject({
  activities: z.array(z.unknown()).optional(),
  manuallyUpdatedActivities: z.array(z.unknown()).optional(),
  activityDetails: z.array(z.unknown()).optional(),
  deregistrations: z.array(z.unknown()).optional(),
  userPermissionsChange: z.array(z.unknown()).optional(),
});

/** Garmin's error bodies: `{"errorMessage": "…"}` from the API, OAuth error bodies from the token endpoint. */
export const garminErrorBodySchema = z.looseObject({
  errorMessage: z.string().optional(),
  message: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});
