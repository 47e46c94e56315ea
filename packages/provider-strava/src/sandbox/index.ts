export type { ConformanceWebhookEvent, SandboxFaults } from '@trainlytics/core/testing';
export {
  buildActivity,
  DOCUMENTED_SPORT_TYPES,
  generatedStartMs,
  type HistoryShape,
  type SandboxActivity,
  toDetailed,
  toStravaJson,
  UNSAFE_ID_BASE,
} from './generate-history';
export {
  generateStreams,
  recordedSamples,
  type SandboxStreams,
  STRAVA_STREAM_CHANNELS,
} from './generate-streams';
export { runSandboxCli } from './sandbox-cli';
export {
  type ActivityPatch,
  type ListActivitiesCall,
  type SandboxRequestRecord,
  type SeedAthleteOptions,
  type StravaProgramSwitches,
  StravaSandbox,
  type StravaSandboxOptions,
  type StravaSandboxWebhookEvent,
  startStravaSandbox,
} from './strava-sandbox';
