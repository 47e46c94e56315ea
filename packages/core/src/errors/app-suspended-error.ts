import { ProviderApiError, type ProviderApiErrorOptions } from './provider-api-error';
import { isNamedError } from './trainlytics-error';

/**
 * The provider refuses every call of this app, whoever the user (Strava: a Standard-tier app whose owner has
 * no active subscription is `Inactive`). An app-wide condition, not a user's: no connection is marked for
 * reauthorization; syncs of the provider end `deferred` until `retryAt` and resume by themselves once a call
 * succeeds again. The hint says what the app owner must do.
 */
export class AppSuspendedError extends ProviderApiError {
  /** When Trainlytics calls the provider again to see whether the app works again. */
  readonly retryAt: Date;
  /** The provider's reason, e.g. `inactive`. */
  readonly reason: string;
  constructor(message: string, options: ProviderApiErrorOptions & { retryAt: Date; reason: string }) {
    super(message, { ...options, isRetryable: true }, 'AppSuspendedError');
    this.retryAt = options.retryAt;
    this.reason = options.reason;
  }
  static override isInstance(error: unknown): error is AppSuspendedError {
    return isNamedError(error, 'AppSuspendedError');
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), reason: this.reason, retryAt: this.retryAt.toISOString() };
  }
}
