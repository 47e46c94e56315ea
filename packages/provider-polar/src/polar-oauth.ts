import {
  type AfterAuthorizeResult,
  type AuthorizationResult,
  type AuthorizationUrlParams,
  type ConnectionContext,
  type ExchangeCodeParams,
  type NormalizedProfile,
  type ProviderContext,
  ReauthorizationRequiredError,
  requestToken,
  tokenSetFromResponse,
  validatePayload,
} from '@trainlytics/core';
import { mapPolarProfile } from './map-polar-profile';
import { polarTokenResponseSchema, polarUserSchema } from './polar-api';
import { withConsentCheck } from './polar-error';
import type { PolarSettings } from './polar-settings';

const PROVIDER = 'polar';
const NAME = 'Polar';

export interface PolarOAuthOptions {
  /**
   * Send `redirect_uri` to the authorization endpoint (default true). Polar requires it at the token
   * endpoint exactly when it was sent to authorize; set false to rely on the default URL registered in
   * Polar's admin and leave it out of both.
   */
  sendRedirectUri?: boolean;
}

/** `https://flow.polar.com/oauth2/authorization?response_type=code&client_id=…&scope=accesslink.read_all&state=…` */
export function polarAuthorizationUrl(
  settings: PolarSettings,
  options: PolarOAuthOptions,
  params: AuthorizationUrlParams,
): URL {
  const url = new URL(settings.authorizeUrl());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', settings.clientId());
  if (options.sendRedirectUri !== false) url.searchParams.set('redirect_uri', params.redirectUri);
  if (params.scopes.length > 0) url.searchParams.set('scope', params.scopes.join(' '));
  url.searchParams.set('state', params.state);
  return url;
}

/**
 * Exchanges the code with HTTP Basic client authentication. Polar issues no refresh token; `x_user_id` is
 * the Polar user id. Never retried: reusing a Polar code revokes every token of the user.
 */
export async function exchangePolarCode(
  settings: PolarSettings,
  options: PolarOAuthOptions,
  params: ExchangeCodeParams,
  ctx: ProviderContext,
): Promise<AuthorizationResult> {
  const response = await requestToken(ctx, {
    provider: PROVIDER,
    providerName: NAME,
    url: settings.tokenUrl(),
    form: {
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: options.sendRedirectUri !== false ? params.redirectUri : undefined,
    },
    auth: { basic: { username: settings.clientId(), password: settings.clientSecret() } },
    operation: 'token exchange',
  });
  const body = await validatePayload(polarTokenResponseSchema, response.raw, {
    provider: PROVIDER,
    entity: 'token response',
  });
  return {
    tokens: { ...tokenSetFromResponse(response, ctx.clock.now()), refreshToken: null },
    providerUserId: String(body.x_user_id),
  };
}

function userUrl(settings: PolarSettings, polarUserId: string): string {
  return `${settings.apiUrl()}/users/${encodeURIComponent(polarUserId)}`;
}

/**
 * Registers the user with AccessLink (`POST /v3/users`, `member-id` = the host app's user id), which Polar
 * requires before any data is available. 409 (already registered) is success; 403 means the user has not
 * accepted Polar's mandatory consents and must do so, then connect again.
 */
export async function registerPolarUser(
  settings: PolarSettings,
  ctx: ConnectionContext,
  result: AuthorizationResult,
): Promise<AfterAuthorizeResult> {
  const auth = { bearer: result.tokens.accessToken };
  const response = await withConsentCheck(() =>
    ctx.http.request({
      method: 'POST',
      url: `${settings.apiUrl()}/users`,
      json: { 'member-id': String(ctx.connection.userId) },
      auth,
      acceptStatuses: [409],
      operation: 'register user',
    }),
  );
  const providerUserId = result.providerUserId ?? ctx.connection.providerUserId;
  if (response.status !== 409) {
    const user = await validatePayload(polarUserSchema, response.data, {
      provider: PROVIDER,
      entity: 'user',
    });
    const profile = mapPolarProfile(user, response.data);
    return { providerUserId: profile.providerUserId, profile };
  }
  if (!providerUserId) return {};
  ctx.logger.info('Polar user was already registered', { provider: PROVIDER });
  const profile = await fetchPolarProfile(settings, ctx, providerUserId, auth);
  return { providerUserId, profile };
}

/** `GET /v3/users/{user-id}`: the profile (names, no avatar). 204 means Polar no longer knows the user. */
export async function fetchPolarProfile(
  settings: PolarSettings,
  ctx: ConnectionContext,
  polarUserId: string,
  auth: 'user' | { bearer: string } = 'user',
): Promise<NormalizedProfile> {
  const response = await withConsentCheck(() =>
    ctx.http.request({ url: userUrl(settings, polarUserId), auth, operation: 'get user' }),
  );
  if (response.status === 204 || response.data === undefined) {
    throw new ReauthorizationRequiredError(`Polar does not know user ${polarUserId} (it was deregistered)`, {
      provider: PROVIDER,
    });
  }
  const user = await validatePayload(polarUserSchema, response.data, { provider: PROVIDER, entity: 'user' });
  return mapPolarProfile(user, response.data);
}

/** Deregisters the user (`DELETE /v3/users/{id}`), which also revokes the token. Already gone is fine. */
export async function deregisterPolarUser(settings: PolarSettings, ctx: ConnectionContext): Promise<void> {
  const polarUserId = ctx.connection.providerUserId;
  if (!polarUserId) return;
  await ctx.http.request({
    method: 'DELETE',
    url: userUrl(settings, polarUserId),
    auth: 'user',
    acceptStatuses: [401, 404],
    operation: 'deregister user',
  });
}
