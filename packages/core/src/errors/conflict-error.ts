import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/** What the request contradicts. Informative: the caller's answer is the same (HTTP 409, tell the person). */
export type ConflictReason =
  /** The provider account is already linked to another user of this app (was `ConnectionConflictError`). */
  | 'account-linked'
  /**
   * Two activities cannot be linked as one workout: they are the same activity, belong to two users, or come
   * from the same connection (docs/decisions/0024-cross-provider-dedupe.md) (was `MatchDecisionError`).
   */
  | 'match-refused'
  /** The app has as many connected accounts as the provider allows (`ConnectionLimitError`). */
  | 'connection-limit';

/**
 * The request contradicts what is stored: nothing was changed, and the same request fails the same way until
 * a person changes that state (disconnects the account from the other user, links other activities, frees a
 * connection). Not for a sync already running: that is `SyncInProgressError`, which a retry later fixes.
 */
export class ConflictError extends TrainlyticsError {
  readonly reason: ConflictReason;
  constructor(
    message: string,
    options: TrainlyticsErrorOptions & { reason: ConflictReason },
    errorName = 'ConflictError',
  ) {
    super(errorName, message, options);
    this.reason = options.reason;
  }
  /**
   * Also true for `ConnectionLimitError`, and for `ConnectionConflictError` and `MatchDecisionError` thrown by an
   * older copy of core (the names merged into this class).
   */
  static override isInstance(error: unknown): error is ConflictError {
    return isNamedError(
      error,
      'ConflictError',
      'ConnectionLimitError',
      'ConnectionConflictError',
      'MatchDecisionError',
    );
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason };
  }
}
