import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

const name = 'ProviderApiError';

export interface ProviderApiErrorOptions extends TrainlyticsErrorOptions {
  url: string;
  method?: string;
  status?: number;
  responseHeaders?: Record<string, string>;
  /** The response body, truncated; never contains a request's tokens. */
  responseBody?: string;
  /** Whether retrying the same request may succeed (408, 409, 425, 429, 5xx, network errors). */
  isRetryable?: boolean;
}

/** A provider answered with an unexpected status, or could not be reached. */
export class ProviderApiError extends TrainlyticsError {
  readonly url: string;
  readonly method: string;
  readonly status: number | undefined;
  readonly responseHeaders: Record<string, string> | undefined;
  readonly responseBody: string | undefined;
  readonly isRetryable: boolean;

  constructor(message: string, options: ProviderApiErrorOptions, errorName: string = name) {
    super(errorName, message, options);
    this.url = options.url;
    this.method = options.method ?? 'GET';
    this.status = options.status;
    this.responseHeaders = options.responseHeaders;
    this.responseBody = options.responseBody;
    this.isRetryable = options.isRetryable ?? isRetryableStatus(options.status);
  }

  static override isInstance(error: unknown): error is ProviderApiError {
    return (
      isNamedError(error, name) ||
      (TrainlyticsError.isInstance(error) && 'url' in error && 'isRetryable' in error && 'status' in error)
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, method: this.method, url: redactUrl(this.url) };
  }
}

export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return true; // network error, timeout
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** Strips query values that may hold secrets (tokens, client secrets, codes) from a URL. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    for (const key of [...parsed.searchParams.keys()]) {
      if (/token|secret|code|key|password|signature/i.test(key)) parsed.searchParams.set(key, '[redacted]');
    }
    return parsed.toString();
  } catch {
    return url;
  }
}
