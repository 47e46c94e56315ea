import {
  type Environment,
  type FetchFunction,
  type ProviderCredentialSettings,
  resolveProviderCredentials,
} from '@trainlytics/core';

export const GARMIN_API_URL = 'https://apis.garmin.com/wellness-api/rest';
export const GARMIN_AUTHORIZE_URL = 'https://connect.garmin.com/oauth2Confirm';
export const GARMIN_TOKEN_URL = 'https://diauth.garmin.com/di-oauth2-service/oauth/token';

/** The permission without which no activity can be read. */
export const ACTIVITY_EXPORT = 'ACTIVITY_EXPORT';
/** The permission backfill requests need. */
export const HISTORICAL_DATA_EXPORT = 'HISTORICAL_DATA_EXPORT';

export interface GarminProviderOptions {
  /** The app's OAuth 2.0 client id (consumer key); default `GARMIN_CLIENT_ID`, read when first needed. */
  clientId?: string | undefined;
  /** Default `GARMIN_CLIENT_SECRET`, read when first needed. */
  clientSecret?: string | undefined;
  /**
   * The Garmin permissions the app needs (default `['ACTIVITY_EXPORT']`). Garmin's consent page has no
   * scope parameter (data types are chosen in the developer portal and the user may un-share them), so
   * these are checked against `/user/permissions` after authorization and before each sync.
   */
  scopes?: string[] | undefined;
  /** Default `GARMIN_API_URL`, else `https://apis.garmin.com/wellness-api/rest`. */
  apiUrl?: string | undefined;
  /** Default `GARMIN_AUTHORIZE_URL`, else `https://connect.garmin.com/oauth2Confirm`. */
  authorizeUrl?: string | undefined;
  /** Default `GARMIN_TOKEN_URL`, else `https://diauth.garmin.com/di-oauth2-service/oauth/token`. */
  tokenUrl?: string | undefined;
  /** Where settings are read from (default `process.env`, read lazily). */
  env?: Environment | undefined;
  /** A custom fetch for this provider's requests. */
  fetch?: FetchFunction | undefined;
  /** How far back the first incremental sync pulls (upload time), in days (default 7). */
  initialSyncDays?: number | undefined;
  /** How far back a full sync requests backfill (summary time), in days (default 730). */
  backfillDays?: number | undefined;
  webhooks?:
    | {
        /**
         * Check the `garmin-client-id` header of notifications against the client id (default true).
         * Garmin does not sign notifications: also use an unguessable endpoint path.
         */
        verifyClientId?: boolean | undefined;
        /** The largest notification body accepted (default 100 MiB; Garmin requires at least 10 MB). */
        maxBodyBytes?: number | undefined;
      }
    | undefined;
}

/** Settings resolved lazily: nothing is read from the environment before a request needs it. */
export interface GarminSettings extends ProviderCredentialSettings {
  requiredPermissions: string[];
  initialSyncDays: number;
  backfillDays: number;
  verifyClientId: boolean;
  maxBodyBytes: number;
}

export function resolveGarminSettings(options: GarminProviderOptions): GarminSettings {
  return {
    ...resolveProviderCredentials({
      envPrefix: 'GARMIN',
      name: 'Garmin',
      defaults: { apiUrl: GARMIN_API_URL, authorizeUrl: GARMIN_AUTHORIZE_URL, tokenUrl: GARMIN_TOKEN_URL },
      options,
    }),
    requiredPermissions: options.scopes ?? [ACTIVITY_EXPORT],
    initialSyncDays: options.initialSyncDays ?? 7,
    backfillDays: options.backfillDays ?? 730,
    verifyClientId: options.webhooks?.verifyClientId ?? true,
    maxBodyBytes: options.webhooks?.maxBodyBytes ?? 100 * 1024 * 1024,
  };
}
