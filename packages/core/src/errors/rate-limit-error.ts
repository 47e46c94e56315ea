import { ProviderApiError, type ProviderApiErrorOptions } from './provider-api-error';
import { isNamedError } from './trainlytics-error';

/** The provider's rate limit was reached and the wait is longer than Trainlytics may wait. */
export class RateLimitError extends ProviderApiError {
  /** When the provider will accept requests again. */
  readonly retryAt: Date;
  constructor(message: string, options: ProviderApiErrorOptions & { retryAt: Date }) {
    super(message, { ...options, isRetryable: true }, 'RateLimitError');
    this.retryAt = options.retryAt;
  }
  static override isInstance(error: unknown): error is RateLimitError {
    return isNamedError(error, 'RateLimitError');
  }
}
