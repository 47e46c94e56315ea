import { randomBytes } from 'node:crypto';
import type { Clock } from '@trainlytics/core';

/** Garmin's OAuth 2.0 lifetimes: a 24-hour access token, a refresh token of about 90 days. */
const ACCESS_TOKEN_TTL_S = 86_400;
const REFRESH_TOKEN_TTL_S = 7_775_998;
const CODE_TTL_MS = 10 * 60_000;

/** A code the consent page issued, waiting for the token endpoint (single use). */
export interface AuthorizationCode {
  userId: string;
  clientId: string;
  redirectUri: string;
  /** The PKCE `code_challenge` (S256) the authorization request carried. */
  challenge: string;
  expiresAt: number;
}

interface IssuedToken {
  userId: string;
  expiresAt: number;
}

/** The token endpoint's answer, as Garmin's reads (`expires_in` a second short of the lifetime). */
export interface TokenResponseBody {
  access_token: string;
  token_type: 'bearer';
  refresh_token: string;
  expires_in: number;
  scope: string;
  jti: string;
  refresh_token_expires_in: number;
}

/**
 * The sandbox's OAuth state: authorization codes, access and refresh tokens (a refresh token is spent by
 * its use: rotation). Times are on the sandbox clock, in milliseconds.
 */
export class SandboxTokens {
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, IssuedToken>();

  constructor(private readonly clock: Clock) {}

  /** Issues a code for an approved consent; returns it. */
  createCode(grant: Omit<AuthorizationCode, 'expiresAt'>): string {
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { ...grant, expiresAt: this.clock.now().getTime() + CODE_TTL_MS });
    return code;
  }

  /** The code's grant, which it no longer is (a code is used once, even when the exchange then fails). */
  takeCode(code: string): AuthorizationCode | undefined {
    const grant = this.codes.get(code);
    if (grant) this.codes.delete(code);
    return grant;
  }

  /** A new access and refresh token pair for the user. */
  issue(userId: string): TokenResponseBody {
    const now = this.clock.now().getTime();
    const access = randomBytes(24).toString('base64url');
    const refresh = randomBytes(24).toString('base64url');
    this.accessTokens.set(access, { userId, expiresAt: now + ACCESS_TOKEN_TTL_S * 1000 });
    this.refreshTokens.set(refresh, { userId, expiresAt: now + REFRESH_TOKEN_TTL_S * 1000 });
    return {
      access_token: access,
      token_type: 'bearer',
      refresh_token: refresh,
      expires_in: ACCESS_TOKEN_TTL_S - 1,
      scope: 'PARTNER_WRITE PARTNER_READ CONNECT_READ CONNECT_WRITE',
      jti: randomBytes(8).toString('hex'),
      refresh_token_expires_in: REFRESH_TOKEN_TTL_S,
    };
  }

  /** The refresh token's holder, without spending it. */
  refreshToken(token: string): IssuedToken | undefined {
    return this.refreshTokens.get(token);
  }

  /** Spends a refresh token (rotation: it is never accepted again). */
  spendRefreshToken(token: string): void {
    this.refreshTokens.delete(token);
  }

  /** The access token's holder and expiry, expired or not. */
  accessToken(token: string): IssuedToken | undefined {
    return this.accessTokens.get(token);
  }

  /** The user's latest access token (notifications carry it as `userAccessToken`). */
  latestAccessToken(userId: string): string | undefined {
    let latest: string | undefined;
    for (const [token, t] of this.accessTokens) if (t.userId === userId) latest = token;
    return latest;
  }

  /** Makes every access token of the user expire at `expiresAt`. */
  expireAccessTokens(userId: string, expiresAt: number): void {
    for (const token of this.accessTokens.values()) if (token.userId === userId) token.expiresAt = expiresAt;
  }

  /** Revokes every token of the user (a deregistration). */
  revokeUser(userId: string): void {
    for (const [t, v] of this.accessTokens) if (v.userId === userId) this.accessTokens.delete(t);
    for (const [t, v] of this.refreshTokens) if (v.userId === userId) this.refreshTokens.delete(t);
  }
}
