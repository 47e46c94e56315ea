import {
  ConfigurationError,
  type Environment,
  type FetchFunction,
  loadOptionalSetting,
  loadSetting,
  type ProviderCredentialSettings,
  resolveProviderCredentials,
  withoutTrailingSlash,
} from '@trainlytics/core';

/**
 * The API base this version ships with (`www.strava.com/api/v3`, served since API v3 began; no shutdown
 * date is announced).
 */
export const STRAVA_API_URL = 'https://www.strava.com/api/v3';
/**
 * Strava's new API base (no `/api/v3` prefix), served from 2027-01-04. Switching is one line:
 * `strava({ apiUrl: STRAVA_API_V3_URL })` or `STRAVA_API_URL=https://api-v3.strava.com`. OAuth stays on
 * `www.strava.com` either way (`oauthUrl`).
 */
export const STRAVA_API_V3_URL = 'https://api-v3.strava.com';
/** The origin of Strava's OAuth endpoints (authorize, token, revoke), whichever API base is used. */
export const STRAVA_OAUTH_URL = 'https://www.strava.com';
export const STRAVA_AUTHORIZE_URL = `${STRAVA_OAUTH_URL}/oauth/authorize`;
export const STRAVA_TOKEN_URL = `${STRAVA_OAUTH_URL}/oauth/token`;
/** RFC 7009 revocation (since 2026-06-01); replaces `/oauth/deauthorize`, retired on 2027-06-01. */
export const STRAVA_REVOKE_URL = `${STRAVA_OAUTH_URL}/oauth/revoke`;

export interface StravaWebhookOptions {
  /** The `hub.verify_token` you chose when creating the subscription (else `STRAVA_WEBHOOK_VERIFY_TOKEN`). */
  verifyToken?: string;
  /** The id of your push subscription: events with another `subscription_id` are refused (else `STRAVA_WEBHOOK_SUBSCRIPTION_ID`). */
  subscriptionId?: string | number;
}

export interface StravaProviderOptions {
  /** Your app's client id (else `STRAVA_CLIENT_ID`, read when first needed). */
  clientId?: string;
  /** Your app's client secret (else `STRAVA_CLIENT_SECRET`, read when first needed). */
  clientSecret?: string;
  /** Scopes requested by default (default `read,activity:read_all`). */
  scopes?: string[];
  /** `force` shows the consent page even to athletes who already approved (default `auto`). */
  approvalPrompt?: 'auto' | 'force';
  /**
   * API base, every endpoint path appended to it (else `STRAVA_API_URL`, else `STRAVA_API_URL`'s constant
   * `https://www.strava.com/api/v3`). Strava's new base is `STRAVA_API_V3_URL` (`https://api-v3.strava.com`,
   * from 2027-01-04).
   */
  apiUrl?: string;
  /**
   * Origin of the OAuth endpoints (else `STRAVA_OAUTH_URL`, else `https://www.strava.com`): the defaults of
   * `authorizeUrl`, `tokenUrl` and `revokeUrl` are its `/oauth/authorize`, `/oauth/token` and `/oauth/revoke`.
   */
  oauthUrl?: string;
  /** Authorize page (else `STRAVA_AUTHORIZE_URL`, else `<oauthUrl>/oauth/authorize`). */
  authorizeUrl?: string;
  /** Token endpoint (else `STRAVA_TOKEN_URL`, else `<oauthUrl>/oauth/token`). */
  tokenUrl?: string;
  /** Revocation endpoint called by `disconnect` (else `STRAVA_REVOKE_URL`, else `/oauth/revoke` next to the token endpoint). */
  revokeUrl?: string;
  /**
   * The most athletes Strava lets this app connect (Standard tier: 10; else `STRAVA_ATHLETE_CAP`; unset:
   * unknown, not checked). `connect.start` refuses one more with `ConnectionLimitError` instead of sending
   * the athlete to Strava's own 403 page, and the dashboard warns as it is approached.
   */
  athleteCap?: number;
  /** Activities per list request (1–200, default 200). */
  pageSize?: number;
  webhooks?: StravaWebhookOptions;
  /** A custom `fetch` for every request of this plugin (core uses it instead of the host app's) and the push-subscription helpers. */
  fetch?: FetchFunction;
  /** Where settings are read from instead of `process.env` (tests). */
  env?: Environment;
}

/** The plugin's settings, each read lazily so nothing touches `process.env` at import or construction. */
export interface StravaSettings extends ProviderCredentialSettings {
  oauthUrl(): string;
  revokeUrl(): string;
  /** The configured athlete cap, or undefined. */
  athleteCap(): number | undefined;
  verifyToken(): string;
  subscriptionId(): string;
}

const tokenPath = /(\/api\/v3)?\/oauth\/token$/;

export function resolveStravaSettings(options: StravaProviderOptions): StravaSettings {
  const env = options.env;
  const url = (value: string | undefined, envVar: string, defaultValue: string) =>
    withoutTrailingSlash(loadOptionalSetting({ value, envVar, defaultValue, ...(env ? { env } : {}) }));
  const required = (value: string | undefined, envVar: string, description: string) =>
    loadSetting({ value, envVar, description, ...(env ? { env } : {}) });
  const oauthUrl = () => url(options.oauthUrl, 'STRAVA_OAUTH_URL', STRAVA_OAUTH_URL);
  const credentials = resolveProviderCredentials({
    envPrefix: 'STRAVA',
    name: 'Strava',
    defaults: { apiUrl: STRAVA_API_URL, authorizeUrl: STRAVA_AUTHORIZE_URL, tokenUrl: STRAVA_TOKEN_URL },
    options,
  });
  const settings: StravaSettings = {
    ...credentials,
    oauthUrl,
    authorizeUrl: () => url(options.authorizeUrl, 'STRAVA_AUTHORIZE_URL', `${oauthUrl()}/oauth/authorize`),
    tokenUrl: () => url(options.tokenUrl, 'STRAVA_TOKEN_URL', `${oauthUrl()}/oauth/token`),
    revokeUrl: () =>
      url(
        options.revokeUrl,
        'STRAVA_REVOKE_URL',
        // <origin>/oauth/revoke for either documented token URL (…/oauth/token, …/api/v3/oauth/token)
        tokenPath.test(settings.tokenUrl())
          ? settings.tokenUrl().replace(tokenPath, '/oauth/revoke')
          : `${oauthUrl()}/oauth/revoke`,
      ),
    athleteCap: () => {
      const raw =
        options.athleteCap ??
        loadOptionalSetting({
          value: undefined,
          envVar: 'STRAVA_ATHLETE_CAP',
          defaultValue: '',
          ...(env ? { env } : {}),
        });
      if (raw === '' || raw === undefined) return undefined;
      const cap = Number(raw);
      if (!Number.isInteger(cap) || cap < 1) {
        throw new ConfigurationError(`The Strava athlete cap must be a positive integer, got "${raw}"`, {
          provider: 'strava',
          hint: 'set athleteCap (or STRAVA_ATHLETE_CAP) to the number of athletes your Strava app may connect, e.g. 10',
        });
      }
      return cap;
    },
    verifyToken: () =>
      required(
        options.webhooks?.verifyToken,
        'STRAVA_WEBHOOK_VERIFY_TOKEN',
        'The Strava webhook verify token',
      ),
    subscriptionId: () =>
      required(
        options.webhooks?.subscriptionId === undefined ? undefined : String(options.webhooks.subscriptionId),
        'STRAVA_WEBHOOK_SUBSCRIPTION_ID',
        'The Strava push subscription id',
      ),
  };
  return settings;
}
