import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/** The OAuth `state` of a callback is missing, unknown, expired, already used, or for another provider. */
export class OAuthStateError extends TrainlyticsError {
  readonly reason: 'missing' | 'unknown' | 'expired' | 'reused' | 'mismatch';
  constructor(message: string, options: TrainlyticsErrorOptions & { reason: OAuthStateError['reason'] }) {
    super('OAuthStateError', message, { hint: 'start the connection again', ...options });
    this.reason = options.reason;
  }
  static override isInstance(error: unknown): error is OAuthStateError {
    return isNamedError(error, 'OAuthStateError');
  }
}
