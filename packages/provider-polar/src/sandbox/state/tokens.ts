import { randomBytes } from 'node:crypto';

/** Polar's access tokens last about a year (`expires_in` 31535999) and come with no refresh token. */
export const TOKEN_TTL_S = 31_535_999;
/** An authorization code expires in 10 minutes. */
const CODE_TTL_MS = 10 * 60_000;

export interface CodeRecord {
  polarUserId: number;
  redirectUri: string | null;
  expiresAt: number;
  used: boolean;
}

interface TokenRecord {
  polarUserId: number;
  revoked: boolean;
}

/** Authorization codes and access tokens the sandbox issued, and their revocation. */
export class SandboxTokens {
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly codes = new Map<string, CodeRecord>();

  issueCode(polarUserId: number, redirectUri: string | null, now: number): string {
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { polarUserId, redirectUri, expiresAt: now + CODE_TTL_MS, used: false });
    return code;
  }

  /** The record of a code (used or not), or undefined for a code never issued. */
  code(code: string): CodeRecord | undefined {
    return this.codes.get(code);
  }

  issueAccessToken(polarUserId: number): string {
    const accessToken = randomBytes(24).toString('hex');
    this.tokens.set(accessToken, { polarUserId, revoked: false });
    return accessToken;
  }

  /** The Polar user a live access token was issued for; null for an unknown or revoked token. */
  userOf(accessToken: string | undefined): number | null {
    const record = accessToken ? this.tokens.get(accessToken) : undefined;
    return record && !record.revoked ? record.polarUserId : null;
  }

  /** Revokes every access token issued for the user. */
  revokeAll(polarUserId: number): void {
    for (const record of this.tokens.values()) if (record.polarUserId === polarUserId) record.revoked = true;
  }
}
