import type { FetchFunction, Provider } from '@trainlytics/core';
import { garmin } from '@trainlytics/provider-garmin';
import { polar } from '@trainlytics/provider-polar';
import { strava } from '@trainlytics/provider-strava';
import { UserError } from './user-error';

type Env = Record<string, string | undefined>;

interface ProviderEntry {
  name: string;
  envPrefix: string;
  create(env: Env, fetch: FetchFunction | undefined): Provider;
}

/**
 * The providers the CLI knows. Each plugin reads its `<PREFIX>_*` settings (credentials, `*_API_URL`,
 * `*_AUTHORIZE_URL`, `*_TOKEN_URL`, webhook secrets) lazily from the environment it is given.
 */
const PROVIDERS: Record<string, ProviderEntry> = {
  strava: {
    name: 'Strava',
    envPrefix: 'STRAVA',
    create: (env, fetch) => strava({ env, ...(fetch ? { fetch } : {}) }),
  },
  garmin: {
    name: 'Garmin',
    envPrefix: 'GARMIN',
    create: (env, fetch) => garmin({ env, ...(fetch ? { fetch } : {}) }),
  },
  polar: {
    name: 'Polar',
    envPrefix: 'POLAR',
    create: (env, fetch) => polar({ env, ...(fetch ? { fetch } : {}) }),
  },
};

/** Every provider id the CLI supports, in display order. */
export const KNOWN_PROVIDER_IDS = Object.keys(PROVIDERS);

export function providerName(id: string): string {
  return PROVIDERS[id]?.name ?? id;
}

/** Throws a `UserError` naming the supported providers when `id` is not one of them. */
export function assertKnownProvider(id: string): void {
  if (!PROVIDERS[id]) {
    throw new UserError(`Unknown provider "${id}": expected one of ${KNOWN_PROVIDER_IDS.join(', ')}`);
  }
}

/** Whether both `<PREFIX>_CLIENT_ID` and `<PREFIX>_CLIENT_SECRET` are set. */
export function hasCredentials(id: string, env: Env): boolean {
  const entry = PROVIDERS[id];
  if (!entry) return false;
  return Boolean(env[`${entry.envPrefix}_CLIENT_ID`] && env[`${entry.envPrefix}_CLIENT_SECRET`]);
}

/** Throws a `UserError` naming the variables to set when a provider's credentials are missing. */
export function assertCredentials(id: string, env: Env): void {
  assertKnownProvider(id);
  const entry = PROVIDERS[id]!;
  if (!hasCredentials(id, env)) {
    throw new UserError(
      `Missing ${entry.name} credentials: set ${entry.envPrefix}_CLIENT_ID and ${entry.envPrefix}_CLIENT_SECRET`,
    );
  }
}

/**
 * Throws a `UserError` naming the missing variable when a provider has only half of its credentials (e.g.
 * `STRAVA_CLIENT_ID` without `STRAVA_CLIENT_SECRET`): without it that provider would be left out silently,
 * or found broken only after a user approved on its consent page.
 */
export function assertCompleteCredentials(env: Env): void {
  for (const { name, envPrefix } of Object.values(PROVIDERS)) {
    const id = `${envPrefix}_CLIENT_ID`;
    const secret = `${envPrefix}_CLIENT_SECRET`;
    if (Boolean(env[id]) === Boolean(env[secret])) continue;
    const [set, missing] = env[id] ? [id, secret] : [secret, id];
    throw new UserError(
      `${set} is set but ${missing} is not: set both to use the real ${name} API (connecting exchanges the code with them after the user approves), or neither`,
    );
  }
}

/** The ids of the providers whose credentials are configured (half-set credentials are a `UserError`). */
export function configuredProviderIds(env: Env): string[] {
  assertCompleteCredentials(env);
  return KNOWN_PROVIDER_IDS.filter((id) => hasCredentials(id, env));
}

/**
 * Builds the plugins of the providers that have credentials in `env` (base-URL overrides included), or of
 * exactly `only` (each must have credentials).
 */
export function providersFromEnv(
  env: Env,
  options: { only?: string[]; fetch?: FetchFunction } = {},
): Provider[] {
  const ids = options.only ?? configuredProviderIds(env);
  for (const id of ids) assertCredentials(id, env);
  return ids.map((id) => PROVIDERS[id]!.create(env, options.fetch));
}

/**
 * Every known plugin, credentials or not (they read them lazily, when a request is made): for what needs
 * only a plugin's declarations, such as the streams backfill estimate of `connections list`.
 */
export function declaredProviders(env: Env): Provider[] {
  return KNOWN_PROVIDER_IDS.map((id) => PROVIDERS[id]!.create(env, undefined));
}
