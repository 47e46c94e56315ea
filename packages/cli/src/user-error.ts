import { TrainlyticsError } from '@trainlytics/core';
import { describeConnectionFailure, MigrationError } from '@trainlytics/migrations';

/**
 * A mistake the person running the command can fix (bad input, missing configuration, an unreachable
 * database). The CLI prints its message as one line and exits non-zero, without a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * The one line printed for an error. Errors a person can act on (ours, core's typed errors, the migration
 * runner's) print their message; anything else is reported as unexpected (with the stack only when
 * `TRAINLYTICS_DEBUG` is set).
 */
export function describeError(error: unknown, env: Record<string, string | undefined> = {}): string {
  if (error instanceof UserError) return error.message;
  if (TrainlyticsError.isInstance(error)) return firstLine(error.userMessage);
  if (MigrationError.isInstance(error)) return firstLine(error.message);
  const reason = describeConnectionFailure(error); // the same words as `migrate`
  if (reason !== null) return `Could not reach ${describeTarget(error)}: ${reason}`;
  const message = error instanceof Error ? error.message : String(error);
  if (env.TRAINLYTICS_DEBUG && error instanceof Error && error.stack) return error.stack;
  return `Unexpected error: ${firstLine(message)} (set TRAINLYTICS_DEBUG=1 for details)`;
}

function describeTarget(error: unknown): string {
  const e = error as { address?: unknown; port?: unknown };
  return typeof e.address === 'string' ? `${e.address}:${String(e.port ?? '')}` : 'the server';
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
