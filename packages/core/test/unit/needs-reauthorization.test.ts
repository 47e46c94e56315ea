import { describe, expect, it } from 'vitest';
import { InsufficientScopeError, ReauthorizationRequiredError } from '../../src/errors/errors';
import { needsReauthorization } from '../../src/errors/needs-reauthorization';
import { ProviderApiError } from '../../src/errors/provider-api-error';

describe('needsReauthorization', () => {
  const scope = (blocking?: boolean) =>
    new InsufficientScopeError('missing', {
      provider: 'garmin',
      granted: ['ACTIVITY_EXPORT'],
      required: ['HISTORICAL_DATA_EXPORT'],
      ...(blocking === undefined ? {} : { blocking }),
    });

  it('is true for what only the user can fix: refused tokens and a missing scope', () => {
    expect(
      needsReauthorization(
        new ReauthorizationRequiredError('refused', {
          provider: 'strava',
          reason: 'token-refused',
          status: 401,
        }),
      ),
    ).toBe(true);
    expect(needsReauthorization(new ReauthorizationRequiredError('refused', { provider: 'polar' }))).toBe(
      true,
    );
    expect(needsReauthorization(scope())).toBe(true);
    expect(scope().blocking).toBe(true);
  });

  it('is false for a scope only part of the work needs, and for anything else', () => {
    expect(scope(false).blocking).toBe(false);
    expect(needsReauthorization(scope(false))).toBe(false);
    expect(
      needsReauthorization(
        new ProviderApiError('503', { provider: 'strava', status: 503, url: 'https://api.example/x' }),
      ),
    ).toBe(false);
    expect(needsReauthorization(new Error('network'))).toBe(false);
    expect(needsReauthorization(undefined)).toBe(false);
  });
});
