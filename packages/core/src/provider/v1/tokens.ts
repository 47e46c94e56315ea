/** Tokens as a provider issues them. Core encrypts them at rest and never hands them to the host app. */
export interface TokenSet {
  accessToken: string;
  /** Null for providers without refresh tokens (Polar) or when none was issued. */
  refreshToken: string | null;
  /** When the access token expires; null when it never does. */
  expiresAt: Date | null;
  /** When the refresh token expires, when the provider says (Garmin: ~90 days). */
  refreshTokenExpiresAt?: Date | null;
  /** Scopes or permissions granted, when the token response says. */
  scopes?: string[];
}
