import { randomBytes } from 'node:crypto';
import type { Clock } from '@trainlytics/core';

const ACCESS_TOKEN_TTL_MS = 6 * 3600_000;
const CODE_TTL_MS = 10 * 60_000;
const SAME_TOKEN_THRESHOLD_MS = 3600_000;

export interface SandboxAccessToken {
  athleteId: string;
  expiresAtMs: number;
  scopes: string[];
}

interface Grant {
  scopes: string[];
  accessToken: string;
  refreshToken: string;
}

const newToken = () => randomBytes(20).toString('hex');

/**
 * The sandbox's OAuth state, with Strava's rules: single-use 10-minute codes; 6-hour access tokens; a
 * refresh returns the same access token while it has more than an hour left; every refresh rotates the
 * refresh token and the presented one dies at once; deauthorization revokes everything of the athlete.
 */
export class SandboxTokens {
  private readonly codes = new Map<string, { athleteId: string; scopes: string[]; expiresAtMs: number }>();
  private readonly accessTokens = new Map<string, SandboxAccessToken>();
  private readonly refreshTokens = new Map<string, string>();
  private readonly grants = new Map<string, Grant>();
  /** Every access token ever issued or registered (revoked and expired ones too): leak detection. */
  private readonly issued = new Set<string>();

  constructor(private readonly clock: Clock) {}

  private now(): number {
    return this.clock.now().getTime();
  }

  private issueAccessToken(athleteId: string, scopes: string[]): string {
    const token = newToken();
    const expiresAtMs = Math.floor((this.now() + ACCESS_TOKEN_TTL_MS) / 1000) * 1000;
    this.accessTokens.set(token, { athleteId, expiresAtMs, scopes });
    this.issued.add(token);
    return token;
  }

  createCode(athleteId: string, scopes: string[]): string {
    const code = newToken();
    this.codes.set(code, { athleteId, scopes, expiresAtMs: this.now() + CODE_TTL_MS });
    return code;
  }

  /** A valid access token's record, or null (unknown, expired or revoked). */
  authenticate(accessToken: string | null): SandboxAccessToken | null {
    const token = accessToken ? this.accessTokens.get(accessToken) : undefined;
    return token && token.expiresAtMs > this.now() ? token : null;
  }

  /** Exchanges a code (once): new tokens for the athlete, or null. */
  exchangeCode(code: string): { athleteId: string; accessToken: string; refreshToken: string } | null {
    const record = this.codes.get(code);
    this.codes.delete(code);
    if (!record || record.expiresAtMs <= this.now()) return null;
    const accessToken = this.issueAccessToken(record.athleteId, record.scopes);
    const refreshToken = newToken();
    const previous = this.grants.get(record.athleteId);
    if (previous) this.refreshTokens.delete(previous.refreshToken);
    this.refreshTokens.set(refreshToken, record.athleteId);
    this.grants.set(record.athleteId, { scopes: record.scopes, accessToken, refreshToken });
    return { athleteId: record.athleteId, accessToken, refreshToken };
  }

  /** A refresh-token grant, or null when the presented token is unknown or already rotated. */
  refresh(presented: string): { accessToken: string; refreshToken: string } | null {
    const athleteId = this.refreshTokens.get(presented);
    const grant = athleteId === undefined ? undefined : this.grants.get(athleteId);
    if (athleteId === undefined || !grant) return null;
    const current = this.accessTokens.get(grant.accessToken);
    const accessToken =
      current && current.expiresAtMs - this.now() > SAME_TOKEN_THRESHOLD_MS
        ? grant.accessToken
        : this.issueAccessToken(athleteId, grant.scopes);
    const refreshToken = newToken();
    this.refreshTokens.delete(presented);
    this.refreshTokens.set(refreshToken, athleteId);
    this.grants.set(athleteId, { ...grant, accessToken, refreshToken });
    return { accessToken, refreshToken };
  }

  /** The token endpoint's JSON for a pair of tokens. */
  tokenResponse(accessToken: string, refreshToken: string): Record<string, unknown> {
    const expiresAt = Math.floor(this.accessTokens.get(accessToken)!.expiresAtMs / 1000);
    return {
      token_type: 'Bearer',
      expires_at: expiresAt,
      expires_in: Math.max(0, expiresAt - Math.floor(this.now() / 1000)),
      refresh_token: refreshToken,
      access_token: accessToken,
    };
  }

  /** Makes tokens issued before (a legacy connection) valid here. */
  register(
    athleteId: string,
    tokens: { accessToken: string; refreshToken: string; expiresAt: Date; scopes: string[] },
  ) {
    this.issued.add(tokens.accessToken);
    this.accessTokens.set(tokens.accessToken, {
      athleteId,
      expiresAtMs: tokens.expiresAt.getTime(),
      scopes: tokens.scopes,
    });
    this.refreshTokens.set(tokens.refreshToken, athleteId);
    this.grants.set(athleteId, {
      scopes: tokens.scopes,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
    });
  }

  expireAccessTokens(athleteId: string): void {
    const now = this.now();
    for (const token of this.accessTokens.values()) {
      if (token.athleteId === athleteId) token.expiresAtMs = Math.min(token.expiresAtMs, now);
    }
  }

  /** Deauthorization: every access and refresh token of the athlete stops working. */
  revokeAthlete(athleteId: string): void {
    for (const [t, record] of this.accessTokens)
      if (record.athleteId === athleteId) this.accessTokens.delete(t);
    for (const [t, owner] of this.refreshTokens) if (owner === athleteId) this.refreshTokens.delete(t);
    this.grants.delete(athleteId);
  }

  /**
   * RFC 7009 revocation of an access or a refresh token: every token of its grant (the athlete's) stops
   * working. Returns false for a token the sandbox does not know (still a 200 at the endpoint).
   */
  revokeToken(token: string): boolean {
    const athleteId = this.accessTokens.get(token)?.athleteId ?? this.refreshTokens.get(token);
    if (athleteId === undefined) return false;
    this.revokeAthlete(athleteId);
    return true;
  }

  /** Athletes who currently hold a grant (connected to the app): what Strava's athlete cap counts. */
  connectedAthletes(): string[] {
    return [...this.grants.keys()];
  }

  /** Whether the exchange of this code would connect an athlete who holds no grant yet. */
  codeAthlete(code: string): string | null {
    return this.codes.get(code)?.athleteId ?? null;
  }

  /** Consumes a code without issuing tokens (an exchange Strava refused). */
  discardCode(code: string): void {
    this.codes.delete(code);
  }

  /** Every access token ever issued (for asserting none travels outside a header). */
  issuedAccessTokens(): ReadonlySet<string> {
    return this.issued;
  }

  currentRefreshToken(athleteId: string): string | null {
    return this.grants.get(athleteId)?.refreshToken ?? null;
  }
}
