import { TrainlyticsError } from '../errors/trainlytics-error';

/** The name and the message a person can act on, for `sync_history` and `last_error`. */
export function describeFailure(error: unknown): { name: string; message: string } {
  if (TrainlyticsError.isInstance(error)) return { name: error.name, message: error.userMessage };
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message };
  return { name: 'Error', message: String(error) };
}
