import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/**
 * Why the user must reconnect, when the thrower knows. Informative only: whatever the reason, the caller's
 * answer is the same (send the user through the provider's consent again).
 */
export type ReauthorizationReason =
  /** The provider refused the access token (HTTP 401) and a refresh did not help, or none was possible (was `TokenExpiredError`). */
  | 'token-refused'
  /** The provider refused the refresh token (revoked, expired, already used). */
  | 'refresh-refused'
  /** The access token expired and the connection has no refresh token (or the provider issues none). */
  | 'cannot-refresh';

export interface ReauthorizationRequiredErrorOptions extends TrainlyticsErrorOptions {
  connectionId?: number;
  reason?: ReauthorizationReason;
  /** The provider's HTTP status when its answer showed it (401 for a refused access token). */
  status?: number;
}

/**
 * The connection cannot be used until the user goes through the provider's consent again: the provider
 * refused the access token even after a refresh, refused the refresh token, or the access was withdrawn
 * (revoked access, missing consents, a provider without refresh tokens). An expired access token that a
 * refresh fixes is never surfaced. The connection is marked `reauth_required` (see `needsReauthorization`).
 */
export class ReauthorizationRequiredError extends TrainlyticsError {
  readonly connectionId: number | undefined;
  /** Why, when known (`undefined`: the connection was already marked, or the thrower did not say). */
  readonly reason: ReauthorizationReason | undefined;
  readonly status: number | undefined;
  constructor(message: string, options: ReauthorizationRequiredErrorOptions = {}) {
    super('ReauthorizationRequiredError', message, {
      hint: 'the user must reconnect this provider',
      ...options,
    });
    this.connectionId = options.connectionId;
    this.reason = options.reason;
    this.status = options.status;
  }
  /** Also true for a `TokenExpiredError` thrown by an older copy of core (the name it was merged from). */
  static override isInstance(error: unknown): error is ReauthorizationRequiredError {
    return isNamedError(error, 'ReauthorizationRequiredError', 'TokenExpiredError');
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), connectionId: this.connectionId, reason: this.reason, status: this.status };
  }
}
