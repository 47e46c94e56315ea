import {
  type AfterAuthorizeResult,
  type AuthorizationResult,
  type AuthorizationUrlParams,
  ConfigurationError,
  type ConnectionContext,
  type ExchangeCodeParams,
  InsufficientScopeError,
  type ProviderContext,
  requestToken,
  type TokenSet,
  tokenSetFromResponse,
} from '@trainlytics/core';
import { garminPermissionsSchema, garminUserIdSchema } from './garmin-api';
import type { GarminSettings } from './garmin-settings';
import { mapGarminProfile } from './map-garmin-profile';

const PROVIDER = 'garmin';
const NAME = 'Garmin';

/**
 * OAuth 2.0 with PKCE (S256). Garmin's consent page takes no scope: the data types are configured in the
 * developer portal, and the user can un-share them (read back from `/user/permissions`).
 */
export function garminAuthorizationUrl(settings: GarminSettings, params: AuthorizationUrlParams): URL {
  if (!params.codeChallenge) {
    throw new ConfigurationError('Garmin authorization needs a PKCE code challenge (capabilities.pkce)');
  }
  const url = new URL(settings.authorizeUrl());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', settings.clientId());
  url.searchParams.set('code_challenge', params.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('redirect_uri', params.redirectUri);
  url.searchParams.set('state', params.state);
  return url;
}

/** Exchanges the callback's code with the PKCE verifier. Access tokens last 24 h, refresh tokens ~90 days. */
export async function garminExchangeCode(
  settings: GarminSettings,
  params: ExchangeCodeParams,
  ctx: ProviderContext,
): Promise<AuthorizationResult> {
  if (!params.codeVerifier) {
    throw new ConfigurationError('Garmin token exchange needs the PKCE code verifier');
  }
  const response = await requestToken(ctx, {
    provider: PROVIDER,
    providerName: NAME,
    url: settings.tokenUrl(),
    operation: 'token exchange',
    form: {
      grant_type: 'authorization_code',
      client_id: settings.clientId(),
      client_secret: settings.clientSecret(),
      code: params.code,
      code_verifier: params.codeVerifier,
      redirect_uri: params.redirectUri,
    },
  });
  return { tokens: withoutOAuthScopes(tokenSetFromResponse(response, ctx.clock.now())) };
}

/** Refreshes the access token. Garmin rotates the refresh token on every refresh: the new one is returned. */
export async function garminRefresh(
  settings: GarminSettings,
  params: { refreshToken: string },
  ctx: ProviderContext,
): Promise<TokenSet> {
  const response = await requestToken(ctx, {
    provider: PROVIDER,
    providerName: NAME,
    url: settings.tokenUrl(),
    operation: 'token refresh',
    form: {
      grant_type: 'refresh_token',
      client_id: settings.clientId(),
      client_secret: settings.clientSecret(),
      refresh_token: params.refreshToken,
    },
  });
  return withoutOAuthScopes(
    tokenSetFromResponse(response, ctx.clock.now(), { fallbackRefreshToken: params.refreshToken }),
  );
}

/**
 * The token response's `scope` lists Garmin's OAuth scopes (`PARTNER_READ …`), not what the user shares:
 * the connection's scopes are the permissions read in `afterAuthorize`.
 */
function withoutOAuthScopes(tokens: TokenSet): TokenSet {
  const { scopes: _scopes, ...rest } = tokens;
  return rest;
}

/** Deregisters the user (`DELETE /user/registration`); Garmin then sends a deregistration notification. */
export async function garminRevoke(settings: GarminSettings, ctx: ConnectionContext): Promise<void> {
  await ctx.http.request({
    method: 'DELETE',
    url: `${settings.apiUrl()}/user/registration`,
    auth: 'user',
    operation: 'deregistration',
  });
}

export async function fetchGarminUserId(settings: GarminSettings, ctx: ConnectionContext) {
  const res = await ctx.http.request({
    url: `${settings.apiUrl()}/user/id`,
    auth: 'user',
    operation: 'user id',
    schema: garminUserIdSchema,
  });
  return res.data;
}

/** The permissions the user shares now (`GET /user/permissions`). `retry: false` for a quick probe. */
export async function fetchGarminPermissions(
  settings: GarminSettings,
  ctx: ConnectionContext,
  options: { retry?: boolean } = {},
): Promise<string[]> {
  const res = await ctx.http.request({
    url: `${settings.apiUrl()}/user/permissions`,
    auth: 'user',
    operation: 'user permissions',
    schema: garminPermissionsSchema,
    ...(options.retry === false ? { retry: false } : {}),
  });
  return res.data;
}

/** Throws an `InsufficientScopeError` naming what the user did not share and what to do about it. */
export function assertGarminPermissions(
  granted: string[],
  required: string[],
  options: { blocking?: boolean } = {},
): void {
  const missing = required.filter((p) => !granted.includes(p));
  if (missing.length === 0) return;
  const blocking = options.blocking ?? true;
  throw new InsufficientScopeError(
    `The Garmin user does not share ${missing.join(', ')} with this app (granted: ${granted.length > 0 ? granted.join(', ') : 'nothing'})`,
    {
      provider: PROVIDER,
      granted,
      required,
      blocking,
      hint: blocking
        ? 'ask the user to reconnect Garmin and keep "Activities" shared, or to enable it in Garmin Connect > Settings > Connected Apps'
        : 'new activities keep syncing; for the history, ask the user to share "Historical data" in Garmin Connect > Settings > Connected Apps (or reconnect and keep it shared)',
    },
  );
}

/**
 * After the code exchange: the Garmin `userId` becomes the connection's `provider_user_id` and the
 * permissions its scopes. A user who did not share activities is refused with a clear error.
 */
export async function garminAfterAuthorize(
  settings: GarminSettings,
  ctx: ConnectionContext,
): Promise<AfterAuthorizeResult> {
  const user = await fetchGarminUserId(settings, ctx);
  const permissions = await fetchGarminPermissions(settings, ctx);
  assertGarminPermissions(permissions, settings.requiredPermissions);
  return { providerUserId: user.userId, scopes: permissions, profile: mapGarminProfile(user) };
}
