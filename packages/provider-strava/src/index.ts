export { mapStravaActivity } from './map-strava-activity';
export { mapStravaProfile } from './map-strava-profile';
export {
  exactActivityId,
  parseStravaJson,
  type StravaActivity,
  type StravaAthlete,
  type StravaPushSubscription,
  type StravaWebhookEvent,
  stravaActivitySchema,
  stravaAthleteSchema,
  stravaWebhookEventSchema,
} from './strava-api';
export {
  describeStravaError,
  isAthleteLimit,
  isInactiveApp,
  STRAVA_ATHLETE_LIMIT_HINT,
  STRAVA_INACTIVE_APP_HINT,
} from './strava-error';
export { checkGrantedScopes, parseStravaScopes, STRAVA_DEFAULT_SCOPES } from './strava-oauth';
export {
  advanceStravaCursor,
  finishStravaPass,
  MAX_SHORT_STOPS,
  MAX_TIE_WALKS,
  readStravaCursor,
  type StravaPass,
  type StravaProvider,
  type StravaSyncCursor,
  type StravaTieWalk,
  type StravaWalkOptions,
  type StravaWalkStep,
  type StravaWindow,
  startStravaPass,
  strava,
} from './strava-provider';
export { nextMidnightUtc, nextQuarterHour, stravaRateLimit } from './strava-rate-limit';
export {
  STRAVA_API_URL,
  STRAVA_API_V3_URL,
  STRAVA_AUTHORIZE_URL,
  STRAVA_OAUTH_URL,
  STRAVA_REVOKE_URL,
  STRAVA_TOKEN_URL,
  type StravaProviderOptions,
  type StravaWebhookOptions,
} from './strava-settings';
export {
  mapStravaSportType,
  STRAVA_DOCUMENTED_SPORT_TYPES,
  STRAVA_OTHER_SPORT_TYPES,
  STRAVA_SPORT_TYPE_NAMES,
  STRAVA_SPORT_TYPES,
} from './strava-sport-types';
export {
  answerStravaHandshake,
  parseStravaWebhookBody,
  type StravaPushSubscriptions,
  stravaPushSubscriptions,
  toWebhookEvents,
} from './strava-webhooks';
export { VERSION } from './version';
