import { ProviderApiError, type ProviderApiErrorOptions } from './provider-api-error';
import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

/**
 * The access token was refused (401) and could not be refreshed. When `reauthorizationRequired` is true,
 * the user must reconnect: the connection has been marked `reauth_required`.
 */
export class TokenExpiredError extends ProviderApiError {
  readonly connectionId: number | undefined;
  constructor(message: string, options: ProviderApiErrorOptions & { connectionId?: number }) {
    super(message, { ...options, isRetryable: false }, 'TokenExpiredError');
    this.connectionId = options.connectionId;
  }
  static override isInstance(error: unknown): error is TokenExpiredError {
    return isNamedError(error, 'TokenExpiredError');
  }
}

/**
 * The provider refused the refresh token, or the connection cannot be used until the user goes through
 * the OAuth flow again (revoked access, missing consents, a provider without refresh tokens).
 */
export class ReauthorizationRequiredError extends TrainlyticsError {
  readonly connectionId: number | undefined;
  constructor(message: string, options: TrainlyticsErrorOptions & { connectionId?: number } = {}) {
    super('ReauthorizationRequiredError', message, {
      hint: 'the user must reconnect this provider',
      ...options,
    });
    this.connectionId = options.connectionId;
  }
  static override isInstance(error: unknown): error is ReauthorizationRequiredError {
    return isNamedError(error, 'ReauthorizationRequiredError');
  }
}

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

export interface ValidationIssue {
  /** Dotted path of the field, e.g. `start_date` or `heart_rate.average`. */
  path: string;
  message: string;
}

/** A provider payload (or an item in it) did not have the shape the plugin expects. */
export class ValidationError extends TrainlyticsError {
  /** The provider's id of the rejected item, when it could be read. */
  readonly itemId: string | undefined;
  /** What was being validated: `activity`, `profile`, `token response`, `webhook`, … */
  readonly entity: string;
  readonly issues: ValidationIssue[];
  constructor(
    message: string,
    options: TrainlyticsErrorOptions & { itemId?: string; entity: string; issues: ValidationIssue[] },
  ) {
    super('ValidationError', message, options);
    this.itemId = options.itemId;
    this.entity = options.entity;
    this.issues = options.issues;
  }
  static override isInstance(error: unknown): error is ValidationError {
    return isNamedError(error, 'ValidationError');
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), entity: this.entity, itemId: this.itemId, issues: this.issues };
  }
}

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

/** The OAuth `state` of a callback is missing, unknown, expired, already used, or for another provider. */
export class OAuthStateError extends TrainlyticsError {
  readonly reason: 'missing' | 'unknown' | 'expired' | 'reused' | 'mismatch';
  constructor(message: string, options: TrainlyticsErrorOptions & { reason: OAuthStateError['reason'] }) {
    super('OAuthStateError', message, { hint: 'start the connection again', ...options });
    this.reason = options.reason;
  }
  static override isInstance(error: unknown): error is OAuthStateError {
    return isNamedError(error, 'OAuthStateError');
  }
}

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

/**
 * The connection was disconnected (`disconnect`, a deauthorization): nothing is synced for it. A sync of it is
 * recorded as failed with this name in `sync_history.error_name`; the user must connect the account again.
 */
export class ConnectionInactiveError extends TrainlyticsError {
  readonly connectionId: number | undefined;
  constructor(message: string, options: TrainlyticsErrorOptions & { connectionId?: number } = {}) {
    super('ConnectionInactiveError', message, {
      hint: 'the user must connect the account again',
      ...options,
    });
    this.connectionId = options.connectionId;
  }
  static override isInstance(error: unknown): error is ConnectionInactiveError {
    return isNamedError(error, 'ConnectionInactiveError');
  }
}

/** The provider account is already linked to another user of this app. */
export class ConnectionConflictError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('ConnectionConflictError', message, options);
  }
  static override isInstance(error: unknown): error is ConnectionConflictError {
    return isNamedError(error, 'ConnectionConflictError');
  }
}

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

/** Missing or invalid configuration: credentials, an unknown provider id, a bad encryption key. */
export class ConfigurationError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('ConfigurationError', message, options);
  }
  static override isInstance(error: unknown): error is ConfigurationError {
    return isNamedError(error, 'ConfigurationError');
  }
}

/** A connection, sync or other record does not exist. */
export class NotFoundError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('NotFoundError', message, options);
  }
  static override isInstance(error: unknown): error is NotFoundError {
    return isNamedError(error, 'NotFoundError');
  }
}

/**
 * Two activities cannot be linked as one workout: they are the same activity, belong to two users, or come
 * from the same connection (docs/decisions/0024-cross-provider-dedupe.md). Nothing was changed.
 */
export class MatchDecisionError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('MatchDecisionError', message, options);
  }
  static override isInstance(error: unknown): error is MatchDecisionError {
    return isNamedError(error, 'MatchDecisionError');
  }
}

/** Another sync of the same connection is running (only thrown with `ifLocked: 'skip'` or a lock timeout). */
export class SyncInProgressError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('SyncInProgressError', message, options);
  }
  static override isInstance(error: unknown): error is SyncInProgressError {
    return isNamedError(error, 'SyncInProgressError');
  }
}

/** Tokens could not be decrypted (wrong or missing `TRAINLYTICS_ENCRYPTION_KEY`). */
export class EncryptionError extends TrainlyticsError {
  constructor(message: string, options: TrainlyticsErrorOptions = {}) {
    super('EncryptionError', message, options);
  }
  static override isInstance(error: unknown): error is EncryptionError {
    return isNamedError(error, 'EncryptionError');
  }
}

/** The database failed a store call (connection lost, constraint, timeout). Carries the SQLSTATE when known. */
export class StoreError extends TrainlyticsError {
  readonly code: string | undefined;
  constructor(message: string, options: TrainlyticsErrorOptions & { code?: string } = {}) {
    super('StoreError', message, options);
    this.code = options.code;
  }
  static override isInstance(error: unknown): error is StoreError {
    return isNamedError(error, 'StoreError');
  }
}

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

/**
 * The app already has as many connected accounts as the provider allows it (Strava's Standard tier: 10
 * athletes), so one more cannot connect. Thrown by `connect.start` when the provider declares `maxConnections`
 * and it is reached, or by the code exchange when the provider refuses the athlete.
 */
export class ConnectionLimitError extends TrainlyticsError {
  /** The app's limit when known. */
  readonly limit: number | undefined;
  /** The provider's HTTP status when the provider refused it (403 at Strava). */
  readonly status: number | undefined;
  constructor(message: string, options: TrainlyticsErrorOptions & { limit?: number; status?: number } = {}) {
    super('ConnectionLimitError', message, options);
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
