import { ValidationError, type ValidationIssue } from '../errors/errors';
import type { NormalizedActivity } from '../model/activity';
import type { ActivityBatch } from '../provider/v1/activities';
import type { StandardSchemaV1 } from '../provider/v1/schema';

function issuePath(issue: StandardSchemaV1.Issue): string {
  if (!issue.path || issue.path.length === 0) return '(root)';
  return issue.path
    .map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String(p.key) : String(p)))
    .join('.');
}

export function toValidationIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationIssue[] {
  return issues.map((issue) => ({ path: issuePath(issue), message: issue.message }));
}

/**
 * Validates `value` against a Standard Schema (zod 4, valibot, …). Throws a `ValidationError` naming the
 * provider, the entity, the item id and each failing field.
 */
export async function validatePayload<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
  context: { provider: string; entity: string; itemId?: string },
): Promise<T> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (!result.issues) return result.value;
  const issues = toValidationIssues(result.issues);
  const fields = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  const item = context.itemId ? ` ${context.itemId}` : '';
  throw new ValidationError(`${context.provider} ${context.entity}${item} is malformed: ${fields}`, {
    provider: context.provider,
    entity: context.entity,
    ...(context.itemId === undefined ? {} : { itemId: context.itemId }),
    issues,
  });
}

/** Reads a likely id from a raw item so a rejection can name it. */
function guessId(item: unknown, idKeys: string[]): string | undefined {
  if (!item || typeof item !== 'object') return undefined;
  for (const key of idKeys) {
    const v = (item as Record<string, unknown>)[key];
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return String(v);
  }
  return undefined;
}

/**
 * Validates and maps each item of a list independently: one malformed item is rejected with a
 * `ValidationError` (provider, item id, field) while the others are mapped.
 */
export async function mapActivityItems<T>(
  items: readonly unknown[],
  options: {
    provider: string;
    schema: StandardSchemaV1<unknown, T>;
    map: (item: T, raw: unknown) => NormalizedActivity;
    /** Keys to read the item id from for error messages (default `id`). */
    idKeys?: string[];
  },
): Promise<ActivityBatch> {
  const batch: ActivityBatch = { activities: [], rejected: [] };
  const idKeys = options.idKeys ?? ['id'];
  for (const raw of items) {
    const itemId = guessId(raw, idKeys);
    try {
      const parsed = await validatePayload(options.schema, raw, {
        provider: options.provider,
        entity: 'activity',
        ...(itemId === undefined ? {} : { itemId }),
      });
      batch.activities.push(options.map(parsed, raw));
    } catch (error) {
      if (ValidationError.isInstance(error)) batch.rejected.push(error);
      else if (error instanceof Error) {
        batch.rejected.push(
          new ValidationError(
            `${options.provider} activity${itemId ? ` ${itemId}` : ''} could not be mapped: ${error.message}`,
            {
              provider: options.provider,
              entity: 'activity',
              ...(itemId === undefined ? {} : { itemId }),
              issues: [{ path: '(root)', message: error.message }],
              cause: error,
            },
          ),
        );
      } else throw error;
    }
  }
  return batch;
}
