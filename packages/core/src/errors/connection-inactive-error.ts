import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/**
 * The connection was disconnected (`disconnect`, a deauthorization): nothing is synced for it. A sync of it is
 * recorded as failed with this name in `sync_history.error_name`; the user must connect the account again.
 * Not a `ReauthorizationRequiredError` (ADR 0037): the disconnection was meant, reconnecting is a new consent.
 */
export class ConnectionInactiveError extends TrainlyticsError {
  readonly connectionId: number | undefined;
  constructor(message: string, options: TrainlyticsErrorOptions & { connectionId?: number } = {}) {
    super('ConnectionInactiveError', message, {
      hint: 'the user must connect the account again',
      ...options,
    });
    this.connectionId = options.connectionId;
  }
  static override isInstance(error: unknown): error is ConnectionInactiveError {
    return isNamedError(error, 'ConnectionInactiveError');
  }
}
