import { ConflictError } from './conflict-error';
import { isNamedError, type TrainlyticsErrorOptions } from './trainlytics-error';

/**
 * The app already has as many connected accounts as the provider allows it (Strava's Standard tier: 10
 * athletes), so one more cannot connect. Thrown by `connect.start` when the provider declares `maxConnections`
 * and it is reached, or by the code exchange when the provider refuses the athlete. A `ConflictError`
 * (reason `connection-limit`) that keeps its own name and fields: the app owner, not the user, can act.
 */
export class ConnectionLimitError extends ConflictError {
  /** The app's limit when known. */
  readonly limit: number | undefined;
  /** The provider's HTTP status when the provider refused it (403 at Strava). */
  readonly status: number | undefined;
  constructor(message: string, options: TrainlyticsErrorOptions & { limit?: number; status?: number } = {}) {
    super(message, { ...options, reason: 'connection-limit' }, 'ConnectionLimitError');
    this.limit = options.limit;
    this.status = options.status;
  }
  static override isInstance(error: unknown): error is ConnectionLimitError {
    return isNamedError(error, 'ConnectionLimitError');
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), limit: this.limit, status: this.status };
  }
}
