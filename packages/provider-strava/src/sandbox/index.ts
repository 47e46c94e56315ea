export type { ConformanceWebhookEvent, SandboxFaults } from '@trainlytics/core/testing';
export {
  buildActivity,
  generatedStartMs,
  type SandboxActivity,
  toDetailed,
  toStravaJson,
  UNSAFE_ID_BASE,
} from './generate-history';
export { runSandboxCli } from './sandbox-cli';
export {
  type SeedAthleteOptions,
  StravaSandbox,
  type StravaSandboxOptions,
  type StravaSandboxWebhookEvent,
  startStravaSandbox,
} from './strava-sandbox';
