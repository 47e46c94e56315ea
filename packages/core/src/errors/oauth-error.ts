import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/** An OAuth endpoint answered with an OAuth error body (`error`, `error_description`). */
export class OAuthError extends TrainlyticsError {
  readonly code: string;
  readonly description: string | undefined;
  readonly status: number | undefined;
  constructor(
    message: string,
    options: TrainlyticsErrorOptions & { code: string; description?: string; status?: number },
  ) {
    super('OAuthError', message, options);
    this.code = options.code;
    this.description = options.description;
    this.status = options.status;
  }
  static override isInstance(error: unknown): error is OAuthError {
    return isNamedError(error, 'OAuthError');
  }
}
