/**
 * Type tests of `@trainlytics/provider-polar`'s public API: checked by `npm run typecheck` (tsc over `test/`),
 * never run by vitest. A breaking change to a type below fails the typecheck.
 */
import type { Environment, FetchFunction, Provider } from '@trainlytics/core';
import { type PolarProvider, type PolarProviderOptions, polar, VERSION } from '@trainlytics/provider-polar';
import { expectTypeOf } from 'vitest';

// the factory: every option optional (credentials come from the environment), a core Provider back
expectTypeOf(polar).parameters.toEqualTypeOf<[options?: PolarProviderOptions]>();
expectTypeOf({}).toExtend<PolarProviderOptions>();
expectTypeOf(polar).returns.toEqualTypeOf<PolarProvider>();
expectTypeOf<PolarProvider>().toExtend<Provider>();
expectTypeOf<PolarProviderOptions>()
  .pick<
    | 'clientId'
    | 'clientSecret'
    | 'webhookSecret'
    | 'scopes'
    | 'exerciseFlow'
    | 'sendRedirectUri'
    | 'pageSize'
    | 'fetch'
    | 'env'
  >()
  .toEqualTypeOf<{
    clientId?: string;
    clientSecret?: string;
    webhookSecret?: string;
    scopes?: string[];
    exerciseFlow?: 'exercises' | 'transactional';
    sendRedirectUri?: boolean;
    pageSize?: number;
    fetch?: FetchFunction;
    env?: Environment;
  }>();

// what core and hosts read from the plugin: no refresh tokens, the user registered after authorization
expectTypeOf<PolarProvider['capabilities']['refresh']>().toEqualTypeOf<false>();
expectTypeOf<PolarProvider['capabilities']['registration']>().toEqualTypeOf<true>();
expectTypeOf<PolarProvider['capabilities']['backfill']>().toEqualTypeOf<'pull'>();
expectTypeOf<PolarProvider['webhookSubscriptions']['list']>().returns.toExtend<Promise<unknown[]>>();
expectTypeOf<PolarProvider['userAgent']>().toEqualTypeOf<`provider-polar/${string}`>();
expectTypeOf(VERSION).toEqualTypeOf<string>();
