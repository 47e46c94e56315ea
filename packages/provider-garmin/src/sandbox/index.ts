export {
  type AddedGarminActivity,
  GarminSandbox,
  type GarminSandboxEvent,
  type GarminSandboxOptions,
  SANDBOX_API_PATH,
  SANDBOX_AUTHORIZE_PATH,
  SANDBOX_TOKEN_PATH,
  startGarminSandbox,
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
