import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/** The user declined, or granted less than the plugin needs (e.g. Strava without `activity:read`). */
export class InsufficientScopeError extends TrainlyticsError {
  readonly granted: string[];
  readonly required: string[];
  /**
   * Whether the connection can do nothing without it (the default). `false` when only part of the work
   * needs it — Garmin's history backfill needs "Historical data", new activities do not — so the run
   * fails but the connection is not marked `reauth_required` and keeps syncing the rest.
   */
  readonly blocking: boolean;
  constructor(
    message: string,
    options: TrainlyticsErrorOptions & { granted: string[]; required: string[]; blocking?: boolean },
  ) {
    super('InsufficientScopeError', message, options);
    this.granted = options.granted;
    this.required = options.required;
    this.blocking = options.blocking ?? true;
  }
  static override isInstance(error: unknown): error is InsufficientScopeError {
    return isNamedError(error, 'InsufficientScopeError');
  }
}
