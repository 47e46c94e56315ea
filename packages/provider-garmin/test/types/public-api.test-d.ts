/**
 * Type tests of `@trainlytics/provider-garmin`'s public API: checked by `npm run typecheck` (tsc over `test/`),
 * never run by vitest. A breaking change to a type below fails the typecheck.
 */
import type { Environment, FetchFunction, Provider } from '@trainlytics/core';
import {
  type GarminProvider,
  type GarminProviderOptions,
  garmin,
  VERSION,
} from '@trainlytics/provider-garmin';
import { expectTypeOf } from 'vitest';

// the factory: every option optional (credentials come from the environment), a core Provider back
expectTypeOf(garmin).parameters.toEqualTypeOf<[options?: GarminProviderOptions]>();
expectTypeOf({}).toExtend<GarminProviderOptions>();
expectTypeOf(garmin).returns.toEqualTypeOf<GarminProvider>();
expectTypeOf<GarminProvider>().toExtend<Provider>();
expectTypeOf<GarminProviderOptions>()
  .pick<'clientId' | 'clientSecret' | 'scopes' | 'fetch' | 'env' | 'initialSyncDays' | 'backfillDays'>()
  .toEqualTypeOf<{
    clientId?: string | undefined;
    clientSecret?: string | undefined;
    scopes?: string[] | undefined;
    fetch?: FetchFunction | undefined;
    env?: Environment | undefined;
    initialSyncDays?: number | undefined;
    backfillDays?: number | undefined;
  }>();

// what core and hosts read from the plugin: history by webhook, PKCE, refresh
expectTypeOf<GarminProvider['capabilities']['backfill']>().toEqualTypeOf<'async'>();
expectTypeOf<GarminProvider['capabilities']['pkce']>().toEqualTypeOf<true>();
expectTypeOf<GarminProvider['capabilities']['refresh']>().toEqualTypeOf<true>();
expectTypeOf<GarminProvider['userAgent']>().toEqualTypeOf<`provider-garmin/${string}`>();
expectTypeOf(VERSION).toEqualTypeOf<string>();
