const marker = 'trainlytics.error';
const symbol = Symbol.for(marker);

export interface TrainlyticsErrorOptions {
  /** The provider id the error is about (`strava`, `garmin`, …), when there is one. */
  provider?: string;
  /** What a person can do about it. */
  hint?: string;
  cause?: unknown;
}

/**
 * Base class of every error Trainlytics throws.
 *
 * Recognise errors with the static `isInstance()` helpers rather than `instanceof`: they work across
 * copies of `@trainlytics/core` (a plugin built against another copy still throws errors core knows).
 * `name` is stable and safe to store (it is written to `sync_history.error_name`).
 */
export class TrainlyticsError extends Error {
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through the registered symbol by isInstance()
  private readonly [symbol] = true;
  readonly provider: string | undefined;
  readonly hint: string | undefined;

  constructor(name: string, message: string, options: TrainlyticsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
    this.provider = options.provider;
    this.hint = options.hint;
  }

  static isInstance(error: unknown): error is TrainlyticsError {
    return error != null && typeof error === 'object' && (error as Record<symbol, unknown>)[symbol] === true;
  }

  /** A one-line message a person can act on: the message followed by the hint (unless it already says it). */
  get userMessage(): string {
    return this.hint && !this.message.includes(this.hint) ? `${this.message} (${this.hint})` : this.message;
  }

  /** A JSON form with no secrets, for logs and API responses. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, provider: this.provider, hint: this.hint };
  }
}

/**
 * Whether `error` is a marked Trainlytics error (from any copy of core) named `name` or one of `others`: a
 * class's `isInstance` lists its own name, its subclasses' and the names merged into it (an older copy of
 * core still throws those).
 */
export function isNamedError<T extends TrainlyticsError>(
  error: unknown,
  name: string,
  ...others: string[]
): error is T {
  return TrainlyticsError.isInstance(error) && (error.name === name || others.includes(error.name));
}
