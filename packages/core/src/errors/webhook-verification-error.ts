import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/** A webhook request could not be proven to come from the provider. Nothing was processed. */
export class WebhookVerificationError extends TrainlyticsError {
  /** The HTTP status to answer with (401, 403, 413, …). */
  readonly status: number;
  constructor(message: string, options: TrainlyticsErrorOptions & { status?: number } = {}) {
    super('WebhookVerificationError', message, options);
    this.status = options.status ?? 401;
  }
  static override isInstance(error: unknown): error is WebhookVerificationError {
    return isNamedError(error, 'WebhookVerificationError');
  }
}
