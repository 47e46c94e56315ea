import { defineProvider, type FetchFunction } from '@trainlytics/core';
import { describeGarminError } from './garmin-error';
import {
  fetchGarminUserId,
  garminAfterAuthorize,
  garminAuthorizationUrl,
  garminExchangeCode,
  garminRefresh,
  garminRevoke,
} from './garmin-oauth';
import { garminRateLimit } from './garmin-rate-limit';
import { type GarminProviderOptions, resolveGarminSettings } from './garmin-settings';
import { createGarminStreams } from './garmin-streams';
import { fetchGarminChanged, listGarminActivities } from './garmin-sync';
import { garminWebhooks } from './garmin-webhooks';
import { mapGarminProfile } from './map-garmin-profile';
import { VERSION } from './version';

/**
 * The Garmin Health/Activity API plugin.
 *
 * ```ts
 * createTrainlytics({ store, providers: [garmin({ clientId, clientSecret })] });
 * ```
 * Settings not given are read from `GARMIN_*` when first needed, never at import.
 */
export function garmin(options: GarminProviderOptions = {}) {
  const settings = resolveGarminSettings(options);
  return defineProvider({
    specificationVersion: 'v1',
    id: 'garmin',
    name: 'Garmin',
    capabilities: { refresh: true, pkce: true, webhooks: true, backfill: 'async', registration: false },
    userAgent: `provider-garmin/${VERSION}`,
    /** The fetch this provider's requests should go through, when the host app gave one. */
    fetch: options.fetch as FetchFunction | undefined,
    oauth: {
      defaultScopes: settings.requiredPermissions,
      // Access tokens last 24 h: refresh 10 minutes before they expire.
      refreshMarginSeconds: 600,
      checkConfiguration: () => settings.checkCredentials(),
      authorizationUrl: (params) => garminAuthorizationUrl(settings, params),
      exchangeCode: (params, ctx) => garminExchangeCode(settings, params, ctx),
      refresh: (params, ctx) => garminRefresh(settings, params, ctx),
      revoke: (ctx) => garminRevoke(settings, ctx),
    },
    afterAuthorize: (ctx) => garminAfterAuthorize(settings, ctx),
    fetchProfile: async (ctx) => mapGarminProfile(await fetchGarminUserId(settings, ctx)),
    listActivities: (ctx, request) => listGarminActivities(settings, ctx, request),
    fetchChanged: (ctx, ref) => fetchGarminChanged(settings, ctx, ref),
    webhooks: garminWebhooks(settings),
    streams: createGarminStreams(settings),
    rateLimit: garminRateLimit,
    describeError: describeGarminError,
  });
}

export type GarminProvider = ReturnType<typeof garmin>;
