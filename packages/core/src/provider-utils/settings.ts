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
