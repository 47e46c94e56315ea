export { mapPolarActivity } from './map-polar-activity';
export { mapPolarProfile } from './map-polar-profile';
export {
  normalizeExerciseKeys,
  type PolarExercise,
  type PolarTokenResponse,
  type PolarUser,
  type PolarWebhook,
  type PolarWebhookPayload,
  polarAnyExerciseSchema,
  polarExerciseSchema,
  polarTokenResponseSchema,
  polarUserSchema,
  polarWebhookPayloadSchema,
} from './polar-api';
export { describePolarError } from './polar-error';
export { type PolarExercisesCursor, polarExerciseUrl } from './polar-exercises';
export { type PolarOAuthOptions, polarAuthorizationUrl } from './polar-oauth';
export { type PolarProvider, type PolarProviderOptions, polar } from './polar-provider';
export { parsePolarRateLimit, polarRateLimit, polarRetryAt } from './polar-rate-limit';
export {
  createPolarSettings,
  POLAR_DEFAULT_API_URL,
  POLAR_DEFAULT_AUTHORIZE_URL,
  POLAR_DEFAULT_TOKEN_URL,
  POLAR_SCOPE_READ_ALL,
  type PolarSettings,
  type PolarSettingsOptions,
} from './polar-settings';
export {
  mapPolarSportType,
  POLAR_DETAILED_SPORT_TYPES,
  POLAR_DOCUMENTED_SPORTS,
  POLAR_OTHER_SPORTS,
  POLAR_SPORT_TYPES,
} from './polar-sport-types';
export {
  createPolarStreams,
  encodePolyline,
  mapPolarStreams,
  type PolarExerciseDetail,
  polarExerciseDetailSchema,
} from './polar-streams';
export {
  activatePolarWebhook,
  type CreatedPolarWebhook,
  createPolarWebhook,
  createPolarWebhookHandler,
  deactivatePolarWebhook,
  deletePolarWebhook,
  isValidPolarSignature,
  listPolarWebhooks,
  POLAR_EVENT_HEADER,
  POLAR_SIGNATURE_HEADER,
  type PolarWebhookAdminOptions,
  signPolarWebhook,
} from './polar-webhooks';
export { VERSION } from './version';
