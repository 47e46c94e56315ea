import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/** The database failed a store call (connection lost, constraint, timeout). Carries the SQLSTATE when known. */
export class StoreError extends TrainlyticsError {
  readonly code: string | undefined;
  constructor(message: string, options: TrainlyticsErrorOptions & { code?: string } = {}) {
    super('StoreError', message, options);
    this.code = options.code;
  }
  static override isInstance(error: unknown): error is StoreError {
    return isNamedError(error, 'StoreError');
  }
}
