import { randomBytes } from 'node:crypto';
import type { GarminSummaryType } from './pending-notifications';
import type { StoredSummary } from './sandbox-history';

/** What a ping's `callbackURL` returns: the user's summaries of one type, as they were announced. */
export interface PingCallback {
  userId: string;
  summaryType: GarminSummaryType;
  summaries: () => StoredSummary[];
}

/** The callbacks of the pings sent so far, by the `token` of their `callbackURL`. */
export class PingCallbacks {
  private readonly callbacks = new Map<string, PingCallback>();

  /** Registers a callback; returns its token. */
  register(callback: PingCallback): string {
    const token = randomBytes(12).toString('hex');
    this.callbacks.set(token, callback);
    return token;
  }

  get(token: string): PingCallback | undefined {
    return this.callbacks.get(token);
  }
}
