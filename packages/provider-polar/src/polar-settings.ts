import {
  type Environment,
  type FetchFunction,
  loadSetting,
  type ProviderCredentialSettings,
  resolveProviderCredentials,
} from '@trainlytics/core';

export const POLAR_DEFAULT_API_URL = 'https://www.polaraccesslink.com/v3';
export const POLAR_DEFAULT_AUTHORIZE_URL = 'https://flow.polar.com/oauth2/authorization';
export const POLAR_DEFAULT_TOKEN_URL = 'https://polarremote.com/v2/oauth2/token';
export const POLAR_SCOPE_READ_ALL = 'accesslink.read_all';

export interface PolarSettingsOptions {
  /** The AccessLink client id (default: `POLAR_CLIENT_ID`). */
  clientId?: string;
  /** The AccessLink client secret (default: `POLAR_CLIENT_SECRET`). */
  clientSecret?: string;
  /** The API base, to which `/users`, `/exercises`, … are appended (default: `POLAR_API_URL`, else the real one). */
  apiUrl?: string;
  /** The full authorization URL (default: `POLAR_AUTHORIZE_URL`, else `https://flow.polar.com/oauth2/authorization`). */
  authorizeUrl?: string;
  /** The full token URL (default: `POLAR_TOKEN_URL`, else `https://polarremote.com/v2/oauth2/token`). */
  tokenUrl?: string;
  /** The webhook's `signature_secret_key` (default: `POLAR_WEBHOOK_SECRET`); needed to accept deliveries. */
  webhookSecret?: string;
  /** Used by the webhook management helpers (core's HTTP client carries the host's fetch for everything else). */
  fetch?: FetchFunction;
  /** Where settings are read from instead of `process.env` (tests). */
  env?: Environment;
}

/** Settings read lazily, when a call needs them: never at import or construction time. */
export interface PolarSettings extends ProviderCredentialSettings {
  webhookSecret(): string;
}

export function createPolarSettings(options: PolarSettingsOptions): PolarSettings {
  const env = options.env;
  const withEnv = env ? { env } : {};
  return {
    ...resolveProviderCredentials({
      envPrefix: 'POLAR',
      name: 'Polar AccessLink',
      defaults: {
        apiUrl: POLAR_DEFAULT_API_URL,
        authorizeUrl: POLAR_DEFAULT_AUTHORIZE_URL,
        tokenUrl: POLAR_DEFAULT_TOKEN_URL,
      },
      options,
    }),
    webhookSecret: () =>
      loadSetting({
        value: options.webhookSecret,
        envVar: 'POLAR_WEBHOOK_SECRET',
        description: "The Polar webhook's signature_secret_key",
        ...withEnv,
      }),
  };
}
