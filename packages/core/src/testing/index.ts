export {
  activityStreamsViolations,
  CHANNEL_RANGES,
  type StreamsExpectation,
} from './activity-streams-checks';
export type * from './conformance-sandbox';
export * from './databases';
export { FakeClock } from './fake-clock';
export { type PrivatePostgres, startPrivatePostgres } from './private-postgres';
export { type ProviderDetailSuiteOptions, runProviderDetailSuite } from './provider-detail-suite';
export {
  type ConformanceDatabase,
  defaultConformanceDatabase,
  type ProviderConformanceOptions,
  runProviderConformanceSuite,
} from './provider-suite';
export {
  createRecordingContext,
  type RecordedRequest,
  type RecordingContextOptions,
} from './recording-context';
export {
  handleSandboxControl,
  SANDBOX_CONTROL_PREFIX,
  type SandboxControlEvent,
  type SandboxControlTarget,
  type SandboxWebhookResponse,
  sandboxControlHelp,
  toSandboxWebhookResponse,
} from './sandbox-control';
export {
  type ControlledSandbox,
  runSandboxControlSuite,
  type SandboxControlSuiteOptions,
} from './sandbox-control-suite';
export { assertSandboxIndependent, type SandboxImportAllowance } from './sandbox-independence';
export { mulberry32 } from './seeded-random';
export { describeSportTypeCoverage, type SportTypeCoverageOptions } from './sport-coverage-suite';
export * from './store-suite';
export { createTestProvider, TEST_PROVIDER_ID, type TestProviderSettings } from './test-provider';
export {
  startTestProviderServer,
  type TestProviderServer,
  type TestProviderServerOptions,
} from './test-provider-server';
export { AWKWARD_TIME_ZONES, withTimeZone } from './time-zones';
