import { ConfigurationError } from '../errors/errors';
import { defineProvider } from '../provider/define-provider';
import type { Provider } from '../provider/v1/provider-v1';

/** Checks every plugin (defineProvider rules) and indexes them by id; duplicate ids are refused. */
export function createProviderRegistry(providers: readonly Provider[]): Map<string, Provider> {
  if (!Array.isArray(providers)) {
    throw new ConfigurationError('createTrainlytics needs `providers`: an array of provider plugins', {
      hint: "e.g. providers: [strava({ clientId, clientSecret })] from '@trainlytics/provider-strava'",
    });
  }
  const byId = new Map<string, Provider>();
  for (const provider of providers) {
    if (!provider || typeof provider !== 'object') {
      throw new ConfigurationError('createTrainlytics got a provider that is not an object', {
        hint: 'call the plugin factory: strava({ ... }), not strava',
      });
    }
    defineProvider(provider);
    if (byId.has(provider.id)) {
      throw new ConfigurationError(`Provider "${provider.id}" is registered twice`, {
        hint: `list each provider once (registered: ${[...byId.keys()].join(', ')})`,
      });
    }
    byId.set(provider.id, provider);
  }
  return byId;
}

/** Reads a provider by id; an unknown id is a ConfigurationError listing the registered ones. */
export function lookupProvider(providers: ReadonlyMap<string, Provider>, id: string): Provider {
  const provider = providers.get(id);
  if (!provider) {
    const known = [...providers.keys()];
    throw new ConfigurationError(
      `Provider "${id}" is not registered${known.length ? ` (registered: ${known.join(', ')})` : ' (no providers are registered)'}`,
      { hint: 'add its plugin to the `providers` option of createTrainlytics' },
    );
  }
  return provider;
}
