import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/**
 * Missing or invalid configuration: credentials, an unknown provider id, a missing store function, or an
 * encryption key that is absent, malformed or not the one the stored tokens were encrypted with (was
 * `EncryptionError`). Only whoever runs the app can fix it; retrying does not help.
 */
export class ConfigurationError extends TrainlyticsError {
  /**
   * The setting to fix, when the thrower knows it: an environment variable or option, e.g.
   * `TRAINLYTICS_ENCRYPTION_KEY` for every failure to decrypt a stored token.
   */
  readonly setting: string | undefined;
  constructor(message: string, options: TrainlyticsErrorOptions & { setting?: string } = {}) {
    super('ConfigurationError', message, options);
    this.setting = options.setting;
  }
  /** Also true for an `EncryptionError` thrown by an older copy of core (the name merged into this class). */
  static override isInstance(error: unknown): error is ConfigurationError {
    return isNamedError(error, 'ConfigurationError', 'EncryptionError');
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), setting: this.setting };
  }
}
