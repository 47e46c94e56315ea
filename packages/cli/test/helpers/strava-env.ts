import type { StravaSandbox } from '@trainlytics/provider-strava/sandbox';

/** The `STRAVA_*` variables that point a subprocess's Strava plugin at `sandbox`. */
export function stravaEnv(sandbox: StravaSandbox): Record<string, string> {
  const o = sandbox.providerOptions();
  return {
    STRAVA_CLIENT_ID: o.clientId!,
    STRAVA_CLIENT_SECRET: o.clientSecret!,
    STRAVA_API_URL: o.apiUrl!,
    STRAVA_AUTHORIZE_URL: o.authorizeUrl!,
    STRAVA_TOKEN_URL: o.tokenUrl!,
    STRAVA_WEBHOOK_VERIFY_TOKEN: o.webhooks?.verifyToken ?? '',
    STRAVA_WEBHOOK_SUBSCRIPTION_ID: String(o.webhooks?.subscriptionId ?? ''),
  };
}
