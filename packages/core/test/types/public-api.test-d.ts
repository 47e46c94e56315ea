/**
 * Type tests of `@trainlytics/core`'s public API: checked by `npm run typecheck` (tsc over `test/`), never run
 * by vitest (its include is `*.test.ts`). A breaking change to a type below fails the typecheck.
 */
import {
  type ActivityPage,
  ConfigurationError,
  ConflictError,
  type ConflictReason,
  ConnectionConflictError,
  type ConnectionContext,
  ConnectionInactiveError,
  ConnectionLimitError,
  createTrainlytics,
  defineProvider,
  type FetchFunction,
  type NormalizedProfile,
  type Provider,
  type ProviderAppContextOptions,
  type ProviderCapabilities,
  type ProviderContext,
  type ProviderV1,
  providerAppContext,
  RateLimitError,
  type ReauthorizationReason,
  ReauthorizationRequiredError,
  type Store,
  type SyncOptions,
  type SyncResult,
  TokenExpiredError,
  type Trainlytics,
  TrainlyticsError,
  type TrainlyticsOptions,
  ValidationError,
  VERSION,
} from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import type { FakeClock } from '@trainlytics/core/testing';
import { expectTypeOf } from 'vitest';

// --- the provider contract ---------------------------------------------------------------------------------
expectTypeOf<ProviderCapabilities>().toEqualTypeOf<{
  refresh: boolean;
  pkce: boolean;
  webhooks: boolean;
  backfill: 'pull' | 'async';
  registration: boolean;
}>();
expectTypeOf<ProviderV1['specificationVersion']>().toEqualTypeOf<'v1'>();
expectTypeOf<ProviderV1['id']>().toEqualTypeOf<string>();
expectTypeOf<ProviderV1['userAgent']>().toEqualTypeOf<string | undefined>();
expectTypeOf<ProviderV1['fetch']>().toEqualTypeOf<FetchFunction | undefined>();
expectTypeOf<ProviderV1['fetchProfile']>().toEqualTypeOf<
  (ctx: ConnectionContext) => Promise<NormalizedProfile>
>();
expectTypeOf<ProviderV1['listActivities']>().returns.toEqualTypeOf<AsyncIterable<ActivityPage>>();
expectTypeOf<ProviderV1['listActivities']>().parameter(0).toEqualTypeOf<ConnectionContext>();
expectTypeOf<ProviderV1>().toExtend<Provider>();

// a minimal plugin: what a third party writes must keep compiling (optional members stay optional)
const minimal = defineProvider({
  specificationVersion: 'v1',
  id: 'acme',
  name: 'Acme',
  capabilities: { refresh: false, pkce: false, webhooks: false, backfill: 'pull', registration: false },
  oauth: {
    defaultScopes: ['read'],
    authorizationUrl: () => new URL('https://acme.example/authorize'),
    exchangeCode: async () => ({
      tokens: { accessToken: 'a', refreshToken: null, expiresAt: null },
      scopes: [],
    }),
  },
  fetchProfile: async (): Promise<NormalizedProfile> => {
    throw new Error('not in a type test');
  },
  async *listActivities() {},
});
expectTypeOf(minimal).toExtend<Provider>();
expectTypeOf(minimal.capabilities.backfill).toEqualTypeOf<'pull'>(); // defineProvider keeps literal types (`const T`)

// --- createTrainlytics ---------------------------------------------------------------------------------------
expectTypeOf(createTrainlytics).parameters.toEqualTypeOf<[options: TrainlyticsOptions]>();
expectTypeOf(createTrainlytics).returns.toEqualTypeOf<Trainlytics>();
expectTypeOf<TrainlyticsOptions['store']>().toEqualTypeOf<Store>();
expectTypeOf<TrainlyticsOptions['providers']>().toEqualTypeOf<Provider[]>();
expectTypeOf<TrainlyticsOptions>()
  .pick<'encryptionKey'>()
  .toEqualTypeOf<{ encryptionKey?: string | undefined }>();
expectTypeOf<Trainlytics['sync']>().toEqualTypeOf<
  (connectionId: number, options?: SyncOptions) => Promise<SyncResult>
>();
expectTypeOf<Trainlytics['getProvider']>().toEqualTypeOf<(id: string) => Provider>();
expectTypeOf<Trainlytics['close']>().returns.toEqualTypeOf<Promise<void>>();
// added for issue 13 (ADR 0040): one way to call a provider, also for app-level calls
expectTypeOf<Trainlytics['providerContext']>().toEqualTypeOf<(providerId: string) => ProviderContext>();
expectTypeOf(providerAppContext).parameters.toEqualTypeOf<
  [provider: Provider, options?: ProviderAppContextOptions]
>();
expectTypeOf(providerAppContext).returns.toEqualTypeOf<ProviderContext>();
expectTypeOf<SyncResult['status']>().toEqualTypeOf<'success' | 'failed' | 'cancelled' | 'deferred'>();
expectTypeOf<SyncResult['errorName']>().toEqualTypeOf<string | null>();

// --- the store -------------------------------------------------------------------------------------------------
expectTypeOf(postgresStore).returns.toEqualTypeOf<Store>();
expectTypeOf<Store['kind']>().toEqualTypeOf<string>();
expectTypeOf<Store['getConnection']>().parameters.toEqualTypeOf<[id: number]>();

// --- errors: isInstance narrows, across copies of core -------------------------------------------------------
declare const error: unknown;
if (RateLimitError.isInstance(error)) {
  expectTypeOf(error).toEqualTypeOf<RateLimitError>();
  expectTypeOf(error.retryAt).toEqualTypeOf<Date>();
  expectTypeOf(error.provider).toEqualTypeOf<string | undefined>();
}
if (ReauthorizationRequiredError.isInstance(error)) {
  expectTypeOf(error.connectionId).toEqualTypeOf<number | undefined>();
  expectTypeOf(error.reason).toEqualTypeOf<ReauthorizationReason | undefined>();
  expectTypeOf(error.status).toEqualTypeOf<number | undefined>();
}
expectTypeOf<ReauthorizationReason>().toEqualTypeOf<'token-refused' | 'refresh-refused' | 'cannot-refresh'>();
if (ConflictError.isInstance(error)) {
  expectTypeOf(error.reason).toEqualTypeOf<ConflictReason>();
}
expectTypeOf<ConflictReason>().toEqualTypeOf<'account-linked' | 'match-refused' | 'connection-limit'>();
if (ConnectionLimitError.isInstance(error)) {
  expectTypeOf(error).toExtend<ConflictError>();
  expectTypeOf(error.limit).toEqualTypeOf<number | undefined>();
}
if (ConfigurationError.isInstance(error)) {
  expectTypeOf(error.setting).toEqualTypeOf<string | undefined>();
}
// ADR 0043: the merged names narrow to the class they were merged into (deprecated, removed in 0.3)
if (TokenExpiredError.isInstance(error)) expectTypeOf(error).toEqualTypeOf<ReauthorizationRequiredError>();
if (ConnectionConflictError.isInstance(error)) expectTypeOf(error).toEqualTypeOf<ConflictError>();
if (ConnectionInactiveError.isInstance(error)) {
  expectTypeOf(error).toEqualTypeOf<ConnectionInactiveError>();
  expectTypeOf(error.connectionId).toEqualTypeOf<number | undefined>();
}
if (ValidationError.isInstance(error)) expectTypeOf(error).toExtend<TrainlyticsError>();
if (TrainlyticsError.isInstance(error)) {
  expectTypeOf(error.name).toEqualTypeOf<string>();
  expectTypeOf(error.hint).toEqualTypeOf<string | undefined>();
  expectTypeOf(error.userMessage).toEqualTypeOf<string>();
}

// --- misc -----------------------------------------------------------------------------------------------------
expectTypeOf(VERSION).toEqualTypeOf<string>();
expectTypeOf<FakeClock['advance']>().toEqualTypeOf<(ms: number) => void>();
