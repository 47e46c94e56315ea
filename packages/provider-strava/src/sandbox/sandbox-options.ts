import type { Clock, FetchFunction } from '@trainlytics/core';
import type { SandboxFaults } from '@trainlytics/core/testing';
import type { SandboxActivity } from './generate-history';
import type { SandboxRateLimit } from './sandbox-rate-limiter';

/**
 * Strava's 2026 developer program (reference §1.6), one switch per condition. All off by default (the API
 * as it answered before the program).
 */
export interface StravaProgramSwitches {
  /**
   * The app is `Inactive` (a Standard-tier app whose owner has no subscription): every API, token, revoke
   * and push-subscription call answers 403
   * `{"message":"Forbidden","errors":[{"resource":"Application","field":"Status","code":"Inactive"}]}`.
   */
  appInactive: boolean;
  /**
   * The most athletes the app may have connected (Standard tier: 10); null = no cap. One more is refused on
   * the consent page (an HTML "Error 403: Limit of connected athletes exceeded", as Strava shows it) and,
   * for a code issued before the cap filled, by the token exchange with a 403 whose body names the limit
   * (`{"message":"Limit of connected athletes exceeded","errors":[{"resource":"Application","field":
   * "connected athletes","code":"limit exceeded"}]}`: Strava does not document the JSON, this is a choice).
   */
  athleteCap: number | null;
  /** `POST /oauth/deauthorize` is gone (404), as from 2027-06-01; `POST /oauth/revoke` answers either way. */
  retireDeauthorize: boolean;
  /**
   * Tokens only in headers, as from 2027-06-01: a request with an `access_token` parameter, or any issued
   * access token in its query or body (except revoke's `token` field), is answered 401.
   */
  headerTokensOnly: boolean;
}

export interface StravaApiSandboxOptions {
  /** Port on 127.0.0.1 (default 0: a free port). */
  port?: number;
  /**
   * `www` (default): the API under `<origin>/api/v3`, beside OAuth. `api-v3`: the API at the root of a second
   * origin (like `https://api-v3.strava.com`, served from 2027-01-04) and OAuth alone on the first, whose
   * `/api/v3` then answers 404 (a plugin mixing the hosts fails).
   */
  apiBase?: 'www' | 'api-v3';
  /** Port of the API origin with `apiBase: 'api-v3'` (default 0: a free port). */
  apiPort?: number;
  /** The developer-program switches at start (change them with `setProgram`). */
  program?: Partial<StravaProgramSwitches>;
  host?: string;
  /** The app's credentials the token endpoint accepts (defaults `sandbox-client-id` / `sandbox-client-secret`). */
  clientId?: string;
  clientSecret?: string;
  /** The sandbox's time (token expiry, rate-limit windows, new uploads). Default: system time plus `advanceTime`. */
  clock?: Clock;
  /**
   * App-wide rate limit, answered with 429 when exceeded: the overall limits (`limit`, `dailyLimit`) count
   * every API request, the "non-upload" ones (`readLimit`, `readDailyLimit`, default the overall ones) every
   * request but uploads. `windowMs` defaults to Strava's 15 minutes (windows aligned on the clock, like
   * :00/:15/:30/:45). Defaults are generous (1,000 per window, 100,000 a day) so benchmarks run; pass
   * `{ limit: 200, dailyLimit: 2000, readLimit: 100, readDailyLimit: 1000 }` for Strava's real numbers.
   */
  rateLimit?: SandboxRateLimit;
  faults?: SandboxFaults;
  /** The push subscription's `hub.verify_token` and id used by `createProvider` and `webhookRequest`. */
  verifyToken?: string;
  subscriptionId?: number;
  /** Answer oldest first when only `after` is given (the community-reported Strava behaviour). Default newest first. */
  ascendingWithAfter?: boolean;
  /** The fetch used to call webhook callbacks (`sendWebhook`, subscription validation). */
  fetch?: FetchFunction;
  /** Where `sendWebhook` posts when given no URL and no push subscription exists (the CLI's `--webhook-url`). */
  webhookUrl?: string;
  /**
   * Activities the list endpoint drops AFTER paginating, as Strava does with what a token may not see: they
   * still take their place in `page`/`per_page` offsets, so a page can hold fewer than `per_page` items
   * while later pages still exist (a short page is not the last). Private activities for a token without
   * `activity:read_all` are always dropped this way; this predicate hides more (they stay readable by id
   * and are not part of `listedActivityIds`). Change it at run time with `setHideFromList`.
   */
  hideFromList?: (activity: SandboxActivity) => boolean;
}

/** The switches as the API answered before the developer program (all off). */
export const PROGRAM_BEFORE_2026: StravaProgramSwitches = {
  appInactive: false,
  athleteCap: null,
  retireDeauthorize: false,
  headerTokensOnly: false,
};
