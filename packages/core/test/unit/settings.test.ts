import { ConfigurationError, resolveProviderCredentials } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';

const defaults = {
  apiUrl: 'https://api.example.com/v3',
  authorizeUrl: 'https://example.com/oauth/authorize',
  tokenUrl: 'https://example.com/oauth/token',
};

describe('resolveProviderCredentials', () => {
  it('reads options first, then <PREFIX>_* variables, then the real endpoints, lazily', () => {
    const env: Record<string, string | undefined> = {
      ACME_CLIENT_SECRET: 's',
      ACME_API_URL: 'http://127.0.0.1:9/v3/',
    };
    const settings = resolveProviderCredentials({
      envPrefix: 'ACME',
      name: 'Acme',
      defaults,
      options: { clientId: 'id', env },
    });
    env.ACME_TOKEN_URL = 'http://127.0.0.1:9/token'; // read when needed, not when resolved
    expect(settings.clientId()).toBe('id');
    expect(settings.clientSecret()).toBe('s');
    expect(settings.apiUrl()).toBe('http://127.0.0.1:9/v3');
    expect(settings.authorizeUrl()).toBe(defaults.authorizeUrl);
    expect(settings.tokenUrl()).toBe('http://127.0.0.1:9/token');
  });

  it('a missing credential is a ConfigurationError naming the option and the variable', () => {
    const settings = resolveProviderCredentials({
      envPrefix: 'ACME',
      name: 'Acme',
      defaults,
      options: { env: {} },
    });
    const error = (() => {
      try {
        settings.clientSecret();
      } catch (e) {
        return e;
      }
    })();
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as ConfigurationError).userMessage).toBe(
      'The Acme client secret is missing (pass it as an option or set the ACME_CLIENT_SECRET environment variable)',
    );
  });
});
