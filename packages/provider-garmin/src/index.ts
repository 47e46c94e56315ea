export type { GarminActivityDetail, GarminActivitySummary } from './garmin-api';
export {
  garminActivityDetailSampleSchema,
  garminActivityDetailSchema,
  garminActivitySummarySchema,
  garminNotificationSchema,
  garminPermissionsSchema,
  garminUserIdSchema,
} from './garmin-api';
export { describeGarminError } from './garmin-error';
export { assertGarminPermissions } from './garmin-oauth';
export { type GarminProvider, garmin } from './garmin-provider';
export { garminRateLimit } from './garmin-rate-limit';
export {
  ACTIVITY_EXPORT,
  GARMIN_API_URL,
  GARMIN_AUTHORIZE_URL,
  GARMIN_TOKEN_URL,
  type GarminProviderOptions,
  HISTORICAL_DATA_EXPORT,
} from './garmin-settings';
export {
  GARMIN_DOCUMENTED_ACTIVITY_TYPES,
  GARMIN_OTHER_ACTIVITY_TYPES,
  GARMIN_SPORT_TYPES,
  mapGarminSportType,
} from './garmin-sport-types';
export { createGarminStreams, MAX_DETAIL_DURATION_S } from './garmin-streams';
export {
  BACKFILL_WINDOW_S,
  type GarminCursor,
  type GarminPingRef,
  PULL_WINDOW_S,
  readGarminCursor,
} from './garmin-sync';
export {
  GARMIN_NOTIFICATION_TYPES,
  parseGarminNotification,
  verifyGarminNotification,
} from './garmin-webhooks';
export { garminRawPayload, mapGarminActivity, mapGarminSummaries } from './map-garmin-activity';
export {
  garminDetailActivityId,
  mapGarminActivityDetail,
  mapGarminActivityDetailStreams,
  mapGarminActivityDetails,
} from './map-garmin-activity-details';
export { mapGarminProfile } from './map-garmin-profile';
export { VERSION } from './version';
