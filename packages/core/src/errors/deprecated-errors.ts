import { ConfigurationError } from './configuration-error';
import { ConflictError } from './conflict-error';
import type { ProviderApiErrorOptions } from './provider-api-error';
import { ReauthorizationRequiredError } from './reauthorization-required-error';
import { isNamedError, type TrainlyticsErrorOptions } from './trainlytics-error';

// The classes merged away by ADR 0043, kept for one minor version (removed in core 0.3). Core throws none of
// them. Each constructs the class it was merged into (so the error's `name` is the new one), and its
// `isInstance` and `instanceof` recognise what core now throws in its place: an old catch keeps catching.

/**
 * @deprecated since core 0.2: catch `ReauthorizationRequiredError` (its `reason` is `token-refused` where this
 * was thrown). Removed in 0.3.
 */
export class TokenExpiredError extends ReauthorizationRequiredError {
  constructor(message: string, options: Partial<ProviderApiErrorOptions> & { connectionId?: number } = {}) {
    super(message, {
      ...pick(options),
      ...(options.connectionId === undefined ? {} : { connectionId: options.connectionId }),
      reason: 'token-refused',
      status: options.status ?? 401,
    });
  }
  static override isInstance(error: unknown): error is ReauthorizationRequiredError {
    return (
      isNamedError(error, 'TokenExpiredError') ||
      (ReauthorizationRequiredError.isInstance(error) && error.reason === 'token-refused')
    );
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return TokenExpiredError.isInstance(value);
  }
}

/** @deprecated since core 0.2: catch `ConflictError` (reason `account-linked`). Removed in 0.3. */
export class ConnectionConflictError extends ConflictError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super(message, { ...options, reason: 'account-linked' });
  }
  static override isInstance(error: unknown): error is ConflictError {
    return (
      isNamedError(error, 'ConnectionConflictError') ||
      (ConflictError.isInstance(error) && error.reason === 'account-linked')
    );
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return ConnectionConflictError.isInstance(value);
  }
}

/** @deprecated since core 0.2: catch `ConflictError` (reason `match-refused`). Removed in 0.3. */
export class MatchDecisionError extends ConflictError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super(message, { ...options, reason: 'match-refused' });
  }
  static override isInstance(error: unknown): error is ConflictError {
    return (
      isNamedError(error, 'MatchDecisionError') ||
      (ConflictError.isInstance(error) && error.reason === 'match-refused')
    );
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return MatchDecisionError.isInstance(value);
  }
}

/** The setting every former `EncryptionError` names. */
const ENCRYPTION_KEY_SETTING = 'TRAINLYTICS_ENCRYPTION_KEY';

/**
 * @deprecated since core 0.2: catch `ConfigurationError` (its `setting` is `TRAINLYTICS_ENCRYPTION_KEY` where
 * this was thrown). Removed in 0.3.
 */
export class EncryptionError extends ConfigurationError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super(message, { ...options, setting: ENCRYPTION_KEY_SETTING });
  }
  static override isInstance(error: unknown): error is ConfigurationError {
    return (
      isNamedError(error, 'EncryptionError') ||
      (ConfigurationError.isInstance(error) && error.setting === ENCRYPTION_KEY_SETTING)
    );
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return EncryptionError.isInstance(value);
  }
}

function pick(options: TrainlyticsErrorOptions): TrainlyticsErrorOptions {
  return {
    ...(options.provider === undefined ? {} : { provider: options.provider }),
    ...(options.hint === undefined ? {} : { hint: options.hint }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  };
}
