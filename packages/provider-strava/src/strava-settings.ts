import {
  type Environment,
  type FetchFunction,
  loadOptionalSetting,
  loadSetting,
  resolveProviderCredentials,
  withoutTrailingSlash,
} from '@trainlytics/core';

export const STRAVA_API_URL = 'https://www.strava.com/api/v3';
export const STRAVA_AUTHORIZE_URL = 'https://www.strava.com/oauth/authorize';
export const STRAVA_TOKEN_URL = 'https://www.strava.com/oauth/token';
export const STRAVA_DEAUTHORIZE_URL = 'https://www.strava.com/oauth/deauthorize';

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
  /** API base (else `STRAVA_API_URL`, else `https://www.strava.com/api/v3`). */
  apiUrl?: string;
  /** Authorize page (else `STRAVA_AUTHORIZE_URL`, else `https://www.strava.com/oauth/authorize`). */
  authorizeUrl?: string;
  /** Token endpoint (else `STRAVA_TOKEN_URL`, else `https://www.strava.com/oauth/token`). */
  tokenUrl?: string;
  /** Deauthorize endpoint (else `STRAVA_DEAUTHORIZE_URL`, else next to the token endpoint). */
  deauthorizeUrl?: string;
  /** Activities per list request (1–200, default 200). */
  pageSize?: number;
  webhooks?: StravaWebhookOptions;
  /** A custom `fetch` for every request of this plugin (core uses it instead of the host app's) and the push-subscription helpers. */
  fetch?: FetchFunction;
  /** Where settings are read from instead of `process.env` (tests). */
  env?: Environment;
}

/** The plugin's settings, each read lazily so nothing touches `process.env` at import or construction. */
export interface StravaSettings {
  clientId(): string;
  clientSecret(): string;
  /** Throws a `ConfigurationError` naming every missing credential variable (see `ProviderOAuthV1.checkConfiguration`). */
  checkCredentials(): void;
  apiUrl(): string;
  authorizeUrl(): string;
  tokenUrl(): string;
  deauthorizeUrl(): string;
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
  const settings: StravaSettings = {
    ...resolveProviderCredentials({
      envPrefix: 'STRAVA',
      name: 'Strava',
      defaults: { apiUrl: STRAVA_API_URL, authorizeUrl: STRAVA_AUTHORIZE_URL, tokenUrl: STRAVA_TOKEN_URL },
      options,
    }),
    deauthorizeUrl: () =>
      url(
        options.deauthorizeUrl,
        'STRAVA_DEAUTHORIZE_URL',
        // www.strava.com/oauth/deauthorize for either documented token URL (…/oauth/token, …/api/v3/oauth/token)
        tokenPath.test(settings.tokenUrl())
          ? settings.tokenUrl().replace(tokenPath, '/oauth/deauthorize')
          : STRAVA_DEAUTHORIZE_URL,
      ),
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
