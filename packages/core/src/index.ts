export type { EncryptionCheck } from './crypto/plaintext-guard';
export {
  createTokenCipher,
  isEncryptedToken,
  parseEncryptionKeys,
  type TokenCipher,
} from './crypto/token-cipher';
export * from './errors';
export * from './model';
export * from './provider/define-provider';
export type * from './provider/v1';
export * from './provider-utils';
export { createTrainlytics } from './registry/create-trainlytics';
export { type ProviderAppContextOptions, providerAppContext } from './registry/provider-app-context';
export type * from './registry/types';
export * from './runtime';
export { FakeClock } from './runtime/deprecated-fake-clock';
export type * from './store';
export type { ActivityDetail, ActivityDetailOptions } from './streams/activity-detail';
export { encodePolyline } from './streams/polyline';
export { decodeSamples, encodeSamples, SAMPLE_CODEC_VERSION } from './streams/sample-codec';
export type {
  StreamsBacklogOptions,
  StreamsBacklogPlan,
  StreamsBacklogRun,
} from './streams/streams-backlog';
export {
  checkStreamsPolicy,
  planStreamsTick,
  type StreamsPolicy,
  type StreamsTickCandidate,
  type StreamsTickInput,
  type StreamsTickOptions,
  type StreamsTickReport,
  streamsAllowance,
  streamsFilter,
} from './streams/streams-tick';
export { VERSION } from './version';
export type { WebhookBodyBytes } from './webhooks/body-budget';
