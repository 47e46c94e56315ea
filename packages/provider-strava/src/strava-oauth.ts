import {
  type AuthorizationResult,
  type AuthorizationUrlParams,
  type ConnectionContext,
  type ExchangeCodeParams,
  InsufficientScopeError,
  OAuthError,
  type ProviderContext,
  type ProviderOAuthV1,
  requestToken,
  type TokenSet,
  tokenSetFromResponse,
  validatePayload,
} from '@trainlytics/core';
import { mapStravaProfile } from './map-strava-profile';
import { parseStravaJson, stravaTokenResponseSchema } from './strava-api';
import { describeStravaTokenError } from './strava-error';
import type { StravaProviderOptions, StravaSettings } from './strava-settings';

export const STRAVA_DEFAULT_SCOPES = ['read', 'activity:read_all'];

/** Either grants reading activities; without one, Trainlytics cannot sync anything. */
const ACTIVITY_SCOPES = ['activity:read', 'activity:read_all'];

/** Strava's `scope` query parameter: comma-separated. */
export function parseStravaScopes(value: string | null | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Checks the scopes the athlete actually granted (they can untick boxes on the consent page). Throws
 * `InsufficientScopeError` unless `activity:read` or `activity:read_all` is among them.
 */
export function checkGrantedScopes(granted: string[]): void {
  if (granted.some((s) => ACTIVITY_SCOPES.includes(s))) return;
  throw new InsufficientScopeError(
    `The athlete did not allow Trainlytics to read activities on Strava (granted: ${granted.length > 0 ? granted.join(',') : 'nothing'})`,
    {
      provider: 'strava',
      granted,
      required: ['activity:read'],
      hint: 'ask the athlete to connect again and keep "View data about your activities" ticked',
    },
  );
}

/**
 * Strava OAuth 2 (https://developers.strava.com/docs/authentication/): comma-separated scopes, no PKCE,
 * 6-hour access tokens, and refresh tokens that rotate (the old one dies as soon as a new one is issued,
 * so core persists the returned one after every token call).
 */
export function createStravaOAuth(options: StravaProviderOptions, settings: StravaSettings): ProviderOAuthV1 {
  const token = async (ctx: ProviderContext, form: Record<string, string>, operation: string) =>
    requestToken(ctx, {
      provider: 'strava',
      providerName: 'Strava',
      url: settings.tokenUrl(),
      form: { client_id: settings.clientId(), client_secret: settings.clientSecret(), ...form },
      operation,
      parse: parseStravaJson,
      describeTokenError: describeStravaTokenError,
    });

  return {
    defaultScopes: options.scopes ?? STRAVA_DEFAULT_SCOPES,
    // Refresh 5 minutes before expiry (Strava only issues a new access token within the last hour anyway).
    refreshMarginSeconds: 300,
    checkConfiguration: () => settings.checkCredentials(),

    authorizationUrl(params: AuthorizationUrlParams): URL {
      const url = new URL(settings.authorizeUrl());
      url.searchParams.set('client_id', settings.clientId());
      url.searchParams.set('redirect_uri', params.redirectUri);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('approval_prompt', options.approvalPrompt ?? 'auto');
      url.searchParams.set('scope', params.scopes.join(','));
      url.searchParams.set('state', params.state);
      return url;
    },

    async exchangeCode(params: ExchangeCodeParams, ctx: ProviderContext): Promise<AuthorizationResult> {
      const denied = params.callbackParams.get('error');
      if (denied) {
        throw new OAuthError(`The athlete declined to connect Strava (${denied})`, {
          provider: 'strava',
          code: denied,
          hint: 'the athlete can connect again at any time',
        });
      }
      if (!params.callbackParams.has('scope')) {
        throw new InsufficientScopeError(
          'The Strava callback carried no `scope`: the granted scopes cannot be checked',
          {
            provider: 'strava',
            granted: [],
            required: ['activity:read'],
            hint: "pass every query parameter of Strava's redirect (callbackParams), not just code and state",
          },
        );
      }
      const granted = parseStravaScopes(params.callbackParams.get('scope'));
      checkGrantedScopes(granted);

      const response = await token(
        ctx,
        { code: params.code, grant_type: 'authorization_code' },
        'token exchange',
      );
      const extra = await validatePayload(stravaTokenResponseSchema, response.raw, {
        provider: 'strava',
        entity: 'token response',
      });
      const tokens = { ...tokenSetFromResponse(response, ctx.clock.now()), scopes: granted };
      const result: AuthorizationResult = { tokens };
      if (extra.athlete) {
        const profile = mapStravaProfile(extra.athlete, response.raw.athlete);
        result.providerUserId = profile.providerUserId;
        result.profile = profile;
      }
      return result;
    },

    async refresh(params: { refreshToken: string }, ctx: ProviderContext): Promise<TokenSet> {
      const response = await token(
        ctx,
        { grant_type: 'refresh_token', refresh_token: params.refreshToken },
        'token refresh',
      );
      // Strava returns the refresh token on every call (rotated or not): keep the old one only if absent.
      return tokenSetFromResponse(response, ctx.clock.now(), { fallbackRefreshToken: params.refreshToken });
    },

    async revoke(ctx: ConnectionContext): Promise<void> {
      // RFC 7009 revocation (`/oauth/deauthorize` is retired on 2027-06-01): the app authenticates with HTTP
      // Basic, the token travels in the form body; revoking the access token revokes the refresh token too.
      // 200 whether or not the token was still valid; a 401 from an older deployment means it already was.
      await ctx.http.request({
        method: 'POST',
        url: settings.revokeUrl(),
        auth: { basic: { username: settings.clientId(), password: settings.clientSecret() } },
        userTokenField: 'token',
        form: { token_type_hint: 'access_token' },
        acceptStatuses: [401],
        operation: 'revoke',
        retry: false,
      });
    },
  };
}
