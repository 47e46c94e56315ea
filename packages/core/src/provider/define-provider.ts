import { ConfigurationError } from '../errors/errors';
import type { ProviderV1 } from './v1/provider-v1';

const idPattern = /^[a-z][a-z0-9_]{1,30}$/;

/**
 * Declares a provider plugin. Returns the object unchanged after checking it is a well-formed `ProviderV1`,
 * so mistakes surface when the plugin is built rather than in the middle of a sync.
 */
export function defineProvider<const T extends ProviderV1>(provider: T): T {
  if (provider.specificationVersion !== 'v1') {
    throw new ConfigurationError(
      `Provider "${provider.id}" has unsupported specificationVersion "${provider.specificationVersion}"`,
    );
  }
  if (!idPattern.test(provider.id)) {
    throw new ConfigurationError(
      `Provider id "${provider.id}" must be lower-case letters, digits or _ (it is a provider_type enum value)`,
    );
  }
  if (provider.capabilities.refresh && typeof provider.oauth.refresh !== 'function') {
    throw new ConfigurationError(
      `Provider "${provider.id}" declares capabilities.refresh but has no oauth.refresh`,
    );
  }
  if (provider.capabilities.webhooks && !provider.webhooks) {
    throw new ConfigurationError(
      `Provider "${provider.id}" declares capabilities.webhooks but has no webhooks`,
    );
  }
  if (provider.capabilities.backfill === 'async' && !provider.capabilities.webhooks) {
    throw new ConfigurationError(
      `Provider "${provider.id}" declares capabilities.backfill 'async' (delivered by webhook) but not capabilities.webhooks`,
    );
  }
  if (provider.capabilities.registration && typeof provider.afterAuthorize !== 'function') {
    throw new ConfigurationError(
      `Provider "${provider.id}" declares capabilities.registration but has no afterAuthorize to register the user in`,
    );
  }
  return provider;
}
