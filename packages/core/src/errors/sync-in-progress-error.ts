import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/**
 * Another sync (or token refresh) of the same connection is running (only thrown with `ifLocked: 'skip'` or a
 * lock timeout). Unlike a `ConflictError`, it goes away by itself: skip, or retry later.
 */
export class SyncInProgressError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('SyncInProgressError', message, options);
  }
  static override isInstance(error: unknown): error is SyncInProgressError {
    return isNamedError(error, 'SyncInProgressError');
  }
}
