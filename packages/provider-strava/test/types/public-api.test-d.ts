/**
 * Type tests of `@trainlytics/provider-strava`'s public API: checked by `npm run typecheck` (tsc over `test/`),
 * never run by vitest. A breaking change to a type below fails the typecheck.
 */
import type { Environment, FetchFunction, Provider } from '@trainlytics/core';
import {
  exactActivityId,
  parseStravaJson,
  type StravaProvider,
  type StravaProviderOptions,
  strava,
  VERSION,
} from '@trainlytics/provider-strava';
import { expectTypeOf } from 'vitest';

// the factory: every option optional (credentials come from the environment), a core Provider back
expectTypeOf(strava).parameters.toEqualTypeOf<[options?: StravaProviderOptions]>();
expectTypeOf({}).toExtend<StravaProviderOptions>();
expectTypeOf(strava).returns.toEqualTypeOf<StravaProvider>();
expectTypeOf<StravaProvider>().toExtend<Provider>();
expectTypeOf<StravaProviderOptions>()
  .pick<
    'clientId' | 'clientSecret' | 'scopes' | 'approvalPrompt' | 'athleteCap' | 'pageSize' | 'fetch' | 'env'
  >()
  .toEqualTypeOf<{
    clientId?: string;
    clientSecret?: string;
    scopes?: string[];
    approvalPrompt?: 'auto' | 'force';
    athleteCap?: number;
    pageSize?: number;
    fetch?: FetchFunction;
    env?: Environment;
  }>();

// what core and hosts read from the plugin
expectTypeOf<StravaProvider['id']>().toEqualTypeOf<string>();
expectTypeOf<StravaProvider['capabilities']['backfill']>().toEqualTypeOf<'pull'>();
expectTypeOf<StravaProvider['capabilities']['refresh']>().toEqualTypeOf<true>();
expectTypeOf<StravaProvider['userAgent']>().toEqualTypeOf<string>();

// exact int64 ids
expectTypeOf(parseStravaJson).toEqualTypeOf<(text: string) => unknown>();
expectTypeOf(exactActivityId).returns.toEqualTypeOf<string | null>();
expectTypeOf(VERSION).toEqualTypeOf<string>();
