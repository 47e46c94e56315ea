export {
  type AddedGarminActivity,
  type BackfillDelivery,
  GarminSandbox,
  type GarminSandboxEvent,
  type GarminSandboxOptions,
  MAX_DELIVERY_ATTEMPTS,
  SANDBOX_API_PATH,
  SANDBOX_AUTHORIZE_PATH,
  SANDBOX_TOKEN_PATH,
  type SandboxScheduler,
  startGarminSandbox,
  timerScheduler,
  type WindowBounds,
} from './garmin-sandbox';
export { runSandboxCli } from './sandbox-cli';
export { GARMIN_PERMISSIONS } from './sandbox-consent-page';
export {
  type GarminSummaryPayload,
  GeneratedHistory,
  SANDBOX_SPORTS,
  type StoredSummary,
} from './sandbox-history';
