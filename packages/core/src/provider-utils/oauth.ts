import { createHash, randomBytes } from 'node:crypto';
import { AppSuspendedError, ConnectionLimitError, OAuthError, ValidationError } from '../errors/errors';
import { ProviderApiError } from '../errors/provider-api-error';
import type { ProviderContext } from '../provider/v1/context';
import type { HttpAuth } from '../provider/v1/http';
import type { TokenSet } from '../provider/v1/tokens';

/** A random URL-safe string (default 32 bytes of entropy): OAuth `state` values and PKCE verifiers. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** The S256 PKCE challenge of a verifier. */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** The fields every OAuth token response may carry; anything else is kept in `raw`. */
export interface TokenResponse {
  access_token: string;
  token_type?: string;
  refresh_token?: string;
  expires_in?: number;
  expires_at?: number;
  refresh_token_expires_in?: number;
  scope?: string;
  raw: Record<string, unknown>;
}

/** An OAuth error read from a token endpoint's error body: RFC 6749 §5.2's `error` and `error_description`. */
export interface OAuthErrorBody {
  /** The error code (`invalid_grant`, `invalid_client`, …, or the provider's own code). */
  error: string;
  description?: string;
}

/**
 * Reads a token endpoint's error body as a plugin knows it (`requestToken`'s `describeTokenError` option).
 * Returns undefined for a body it does not recognise: core then reads it as RFC 6749 (`readOAuthErrorBody`).
 */
export type DescribeTokenError = (info: { status: number; body: string }) => OAuthErrorBody | undefined;

/**
 * Reads an RFC 6749 §5.2 error body (`{"error": "invalid_grant", "error_description": "…"}`), or null when the
 * body is not JSON or has no string `error`. Provider-specific shapes are read by the plugin's
 * `describeTokenError`, never here.
 */
export function readOAuthErrorBody(text: string): OAuthErrorBody | null {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && typeof (body as Record<string, unknown>).error === 'string') {
      const { error, error_description: description } = body as Record<string, unknown>;
      return { error: error as string, ...(typeof description === 'string' ? { description } : {}) };
    }
  } catch {
    /* not JSON */
  }
  return null;
}

/** RFC 6749's `invalid_client`: the app's credentials, named by the design's `<PREFIX>_CLIENT_*` variables. */
function clientHint(params: { provider: string; providerName: string }): string {
  const prefix = params.provider.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return `check the ${params.providerName} client id and secret (${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET)`;
}

/**
 * POSTs a form to a token endpoint and reads the token response, following arctic: an OAuth error body
 * (read by the plugin's `describeTokenError` first, else as RFC 6749's `error`/`error_description`) becomes
 * `OAuthError`, a missing `access_token` a `ValidationError`, anything else `ProviderApiError`.
 * Never retried (authorization codes are single-use), and sent as `requestClass: 'oauth'`: it never waits
 * for the API's rate-limit budget (a code expires within minutes) and its 429 does not block API reads.
 */
export async function requestToken(
  ctx: ProviderContext,
  params: {
    provider: string;
    providerName: string;
    url: string;
    form: Record<string, string | undefined>;
    auth?: HttpAuth;
    operation: string;
    /** Parses the body instead of `JSON.parse` (see `HttpRequest.parse`). */
    parse?: (text: string) => unknown;
    /**
     * Reads the endpoint's 4xx error body when it is not RFC 6749's (Strava's `{"message", "errors"}`); its
     * answer becomes the `OAuthError`'s `code` and `description`. Undefined falls back to RFC 6749.
     */
    describeTokenError?: DescribeTokenError;
  },
): Promise<TokenResponse> {
  let data: unknown;
  try {
    const res = await ctx.http.request({
      method: 'POST',
      url: params.url,
      form: params.form,
      auth: params.auth ?? 'none',
      operation: params.operation,
      // the token endpoint is not an API read: never waits for (nor blocks) the API's rate-limit budget
      requestClass: 'oauth',
      retry: false,
      ...(params.parse ? { parse: params.parse } : {}),
    });
    data = res.data;
  } catch (error) {
    // app-wide conditions the plugin recognised stay what they are: never a refusal of this user's grant
    if (AppSuspendedError.isInstance(error) || ConnectionLimitError.isInstance(error)) throw error;
    if (
      ProviderApiError.isInstance(error) &&
      error.status !== undefined &&
      error.status >= 400 &&
      error.status < 500 &&
      error.status !== 429
    ) {
      const text = error.responseBody ?? '';
      const body =
        params.describeTokenError?.({ status: error.status, body: text }) ?? readOAuthErrorBody(text);
      if (body) {
        // the plugin's hint (e.g. "check STRAVA_CLIENT_ID and STRAVA_CLIENT_SECRET" for a wrong secret) goes
        // into the message itself, not only onto `.cause`, so a host that shows `message` shows it too
        const refused = `${params.providerName} refused the ${params.operation}: ${body.error}${body.description ? ` (${body.description})` : ''}`;
        // invalid_client is always the app's credentials (a 401's generic hint would say "reconnect")
        const hint = body.error === 'invalid_client' ? clientHint(params) : error.hint;
        throw new OAuthError(hint ? `${refused}: ${hint}` : refused, {
          provider: params.provider,
          code: body.error,
          ...(body.description ? { description: body.description } : {}),
          status: error.status,
          ...(hint ? { hint } : {}),
          cause: error,
        });
      }
    }
    throw error;
  }
  if (
    !data ||
    typeof data !== 'object' ||
    typeof (data as Record<string, unknown>).access_token !== 'string' ||
    ((data as Record<string, unknown>).access_token as string).trim() === ''
  ) {
    throw new ValidationError(`${params.providerName} ${params.operation} response has no access_token`, {
      provider: params.provider,
      entity: 'token response',
      issues: [{ path: 'access_token', message: 'expected a non-empty string' }],
    });
  }
  const raw = data as Record<string, unknown>;
  const num = (v: unknown) =>
    typeof v === 'number' && Number.isFinite(v)
      ? v
      : typeof v === 'string' && /^\d+$/.test(v)
        ? Number(v)
        : undefined;
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const out: TokenResponse = { access_token: raw.access_token as string, raw };
  const tokenType = str(raw.token_type);
  if (tokenType) out.token_type = tokenType;
  const refresh = str(raw.refresh_token);
  if (refresh) out.refresh_token = refresh;
  const expiresIn = num(raw.expires_in);
  if (expiresIn !== undefined) out.expires_in = expiresIn;
  const expiresAt = num(raw.expires_at);
  if (expiresAt !== undefined) out.expires_at = expiresAt;
  const rtExpires = num(raw.refresh_token_expires_in);
  if (rtExpires !== undefined) out.refresh_token_expires_in = rtExpires;
  const scope = str(raw.scope);
  if (scope) out.scope = scope;
  return out;
}

/**
 * Builds a `TokenSet` from a token response: `expires_at` (epoch seconds) wins over `expires_in`;
 * `scopeSeparator` splits `scope` (Strava uses commas, most providers spaces).
 */
export function tokenSetFromResponse(
  response: TokenResponse,
  now: Date,
  options: { scopeSeparator?: string | RegExp; fallbackRefreshToken?: string | null } = {},
): TokenSet {
  const expiresAt =
    response.expires_at !== undefined
      ? new Date(response.expires_at * 1000)
      : response.expires_in !== undefined
        ? new Date(now.getTime() + response.expires_in * 1000)
        : null;
  const century = 100 * 365 * 86_400_000;
  const plausible = (d: Date) => Math.abs(d.getTime() - now.getTime()) < century; // NaN compares false
  if (expiresAt && !plausible(expiresAt)) {
    throw new ValidationError('token response has an expiry that is not a valid time', {
      entity: 'token response',
      issues: [
        {
          path: response.expires_at !== undefined ? 'expires_at' : 'expires_in',
          message: `${response.expires_at ?? response.expires_in} is out of range`,
        },
      ],
    });
  }
  const set: TokenSet = {
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? options.fallbackRefreshToken ?? null,
    expiresAt,
  };
  if (response.refresh_token_expires_in !== undefined) {
    const refreshExpiry = new Date(now.getTime() + response.refresh_token_expires_in * 1000);
    // an unreadable refresh-token expiry is dropped: the refresh itself tells when the token is dead
    if (plausible(refreshExpiry)) set.refreshTokenExpiresAt = refreshExpiry;
  }
  if (response.scope !== undefined) {
    set.scopes = response.scope.split(options.scopeSeparator ?? /[\s,]+/).filter(Boolean);
  }
  return set;
}
