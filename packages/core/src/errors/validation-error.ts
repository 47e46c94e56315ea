import { isNamedError, TrainlyticsError, type TrainlyticsErrorOptions } from './trainlytics-error';

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
