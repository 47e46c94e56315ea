export type { ConformanceWebhookEvent, SandboxFaults } from '@trainlytics/core/testing';
export { renderConsentPage } from './consent-page';
export { generateExerciseDetail, isManualEntry, type SandboxExerciseDetail } from './generate-samples';
export {
  decodeExerciseId,
  type ExerciseFacts,
  encodeExerciseId,
  generateExercise,
  isoDuration,
  SANDBOX_SPORTS,
  toKebabExercise,
  toSnakeExercise,
} from './polar-history';
export {
  PolarSandbox,
  type PolarSandboxEvent,
  type PolarSandboxOptions,
  type PolarSandboxSeedOptions,
  startPolarSandbox,
} from './polar-sandbox';
export { runSandboxCli } from './sandbox-cli';
