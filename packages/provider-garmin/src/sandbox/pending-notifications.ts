/**
 * The summary types the sandbox delivers: activity summaries, and Activity Details (samples and laps,
 * ADR 0033), each with its pull endpoint, backfill, push envelope and ping `callbackURL`.
 */
export type GarminSummaryType = 'activities' | 'activityDetails';

/** A notification Garmin owes the app: a requested backfill (summary time `start…end`), a deregistration. */
export type PendingNotification =
  | { kind: 'backfill'; summaryType: GarminSummaryType; userId: string; start: number; end: number }
  | { kind: 'deregistration'; userId: string };

/** The notifications not delivered yet, oldest first; each is taken once (delivered, or put back). */
export class PendingNotifications {
  private items: PendingNotification[] = [];

  get size(): number {
    return this.items.length;
  }

  push(notification: PendingNotification): void {
    this.items.push(notification);
  }

  includes(notification: PendingNotification): boolean {
    return this.items.includes(notification);
  }

  /** Takes one (e.g. to deliver it); false when it was already taken. */
  take(notification: PendingNotification): boolean {
    const before = this.items.length;
    this.items = this.items.filter((p) => p !== notification);
    return this.items.length !== before;
  }

  /** Takes every notification that matches (all without a predicate), in order. */
  takeAll(matches: (p: PendingNotification) => boolean = () => true): PendingNotification[] {
    const taken = this.items.filter(matches);
    this.items = this.items.filter((p) => !taken.includes(p));
    return taken;
  }
}
