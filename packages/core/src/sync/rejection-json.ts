import type { ValidationError } from '../errors/errors';
import type { JsonValue } from '../model/json';

/** How a rejected item is recorded in `sync_history.errors`. */
export function rejectionToJson(error: ValidationError): JsonValue {
  return {
    name: error.name,
    message: error.message,
    itemId: error.itemId ?? null,
    issues: (error.issues ?? []).map((issue) => ({ path: issue.path, message: issue.message })),
  };
}
