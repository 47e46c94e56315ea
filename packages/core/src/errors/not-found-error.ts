import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/** A connection, sync, user or other record does not exist. */
export class NotFoundError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('NotFoundError', message, options);
  }
  static override isInstance(error: unknown): error is NotFoundError {
    return isNamedError(error, 'NotFoundError');
  }
}
