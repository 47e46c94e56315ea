import { ConfigurationError } from '../errors/errors';

export type Environment = Record<string, string | undefined>;

/**
 * Reads a plugin setting lazily: the option when given, else the environment variable. A missing
 * required setting throws a `ConfigurationError` that names both, when a request needs it (not at import).
 */
export function loadSetting(params: {
  value: string | undefined;
  envVar: string;
  description: string;
  env?: Environment;
}): string {
  if (params.value !== undefined && params.value !== '') return params.value;
  const env = params.env ?? (typeof process === 'undefined' ? {} : process.env);
  const fromEnv = env[params.envVar];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  throw new ConfigurationError(`${params.description} is missing`, {
    hint: `pass it as an option or set the ${params.envVar} environment variable`,
  });
}

/** Like `loadSetting`, with a default instead of an error (base-URL overrides). */
export function loadOptionalSetting(params: {
  value: string | undefined;
  envVar: string;
  defaultValue: string;
  env?: Environment;
}): string {
  if (params.value !== undefined && params.value !== '') return params.value;
  const env = params.env ?? (typeof process === 'undefined' ? {} : process.env);
  const fromEnv = env[params.envVar];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : params.defaultValue;
}

/** Removes trailing slashes so endpoint paths can be appended: `${base}/athlete`. */
export function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The options every OAuth plugin takes for its credentials and endpoints. */
export interface ProviderCredentialOptions {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  apiUrl?: string | undefined;
  authorizeUrl?: string | undefined;
  tokenUrl?: string | undefined;
  env?: Environment | undefined;
}

/** Credentials and endpoints, each read lazily (when a request needs it) from the option, else the environment. */
export interface ProviderCredentialSettings {
  clientId(): string;
  clientSecret(): string;
  /** The API base without a trailing slash: endpoint paths are appended. */
  apiUrl(): string;
  authorizeUrl(): string;
  tokenUrl(): string;
  /**
   * Throws one `ConfigurationError` naming every missing credential and its variable (`The Strava client
   * secret is missing: set STRAVA_CLIENT_SECRET …`). For `ProviderOAuthV1.checkConfiguration`: the code
   * exchange needs both, and a missing one must be refused before the user is sent to the consent page.
   */
  checkCredentials(): void;
}

/**
 * Resolves the design's `<PREFIX>_CLIENT_ID`, `_CLIENT_SECRET`, `_API_URL`, `_AUTHORIZE_URL` and `_TOKEN_URL`
 * settings for a plugin: options win, then the environment, then the real endpoints. A missing credential
 * throws a `ConfigurationError` naming the option and the variable, when it is first needed.
 */
export function resolveProviderCredentials(params: {
  /** `STRAVA`, `GARMIN`, `POLAR`. */
  envPrefix: string;
  /** How errors name the credentials: `Strava` → "The Strava client id is missing". */
  name: string;
  defaults: { apiUrl: string; authorizeUrl: string; tokenUrl: string };
  options: ProviderCredentialOptions;
}): ProviderCredentialSettings {
  const { envPrefix, name, defaults, options } = params;
  const withEnv = options.env ? { env: options.env } : {};
  const required = (value: string | undefined, key: string, what: string) => () =>
    loadSetting({ value, envVar: `${envPrefix}_${key}`, description: `The ${name} ${what}`, ...withEnv });
  const url = (value: string | undefined, key: string, defaultValue: string) => () =>
    withoutTrailingSlash(
      loadOptionalSetting({ value, envVar: `${envPrefix}_${key}`, defaultValue, ...withEnv }),
    );
  const clientId = required(options.clientId, 'CLIENT_ID', 'client id');
  const clientSecret = required(options.clientSecret, 'CLIENT_SECRET', 'client secret');
  return {
    clientId,
    clientSecret,
    checkCredentials() {
      const missing = (
        [
          [clientId, 'client id', 'CLIENT_ID', 'clientId'],
          [clientSecret, 'client secret', 'CLIENT_SECRET', 'clientSecret'],
        ] as const
      ).filter(([read]) => {
        try {
          read();
          return false;
        } catch (error) {
          if (ConfigurationError.isInstance(error)) return true;
          throw error;
        }
      });
      if (missing.length === 0) return;
      const what = missing.map(([, description]) => description).join(' and ');
      const variables = missing.map(([, , key]) => `${envPrefix}_${key}`).join(' and ');
      const optionNames = missing.map(([, , , option]) => option).join(' / ');
      throw new ConfigurationError(
        `The ${name} ${what} ${missing.length > 1 ? 'are' : 'is'} missing: set ${variables}`,
        {
          hint: `or pass ${optionNames} to the plugin; connecting a user needs ${missing.length > 1 ? 'them' : 'it'} to exchange the code after the user approves`,
        },
      );
    },
    apiUrl: url(options.apiUrl, 'API_URL', defaults.apiUrl),
    authorizeUrl: url(options.authorizeUrl, 'AUTHORIZE_URL', defaults.authorizeUrl),
    tokenUrl: url(options.tokenUrl, 'TOKEN_URL', defaults.tokenUrl),
  };
}
