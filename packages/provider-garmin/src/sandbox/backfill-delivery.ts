import { requestsFor } from './notification-requests';
import type { GarminSummaryType, PendingNotification } from './pending-notifications';
import type { SandboxScheduler } from './sandbox-scheduler';
import type { SandboxState } from './sandbox-state';

/** Automatic backfill deliveries are attempted this many times before they are left pending. */
export const MAX_DELIVERY_ATTEMPTS = 5;

/** One automatic delivery of a requested backfill (see `deliveries()`). */
export interface BackfillDelivery {
  providerUserId: string;
  summaryType: GarminSummaryType;
  start: number;
  end: number;
  attempt: number;
  /** The statuses the app answered, one per notification (0 when it could not be reached). */
  statuses: number[];
  /** Summaries sent (push) or announced (ping). */
  summaries: number;
}

/**
 * Garmin delivering a requested backfill by itself (option `deliverBackfills: 'auto'`): `backfillDelayMs`
 * after the request, to `webhookUrl`; a delivery the app does not answer 2xx is put back and retried, the
 * delay doubling, `MAX_DELIVERY_ATTEMPTS` in all. Nothing is scheduled without a webhook URL, with
 * `manual`, or while the sandbox is not listening; `cancelAll` (on close) drops what is scheduled.
 */
export class BackfillDeliveries {
  private readonly scheduled = new Set<{ cancel(): void }>();
  private readonly log: BackfillDelivery[] = [];

  constructor(
    private readonly state: SandboxState,
    private readonly scheduler: SandboxScheduler,
  ) {}

  /** Schedules attempt number `attempt` of the delivery of `p`. */
  schedule(p: PendingNotification, attempt: number): void {
    const { options, settings } = this.state;
    if ((options.deliverBackfills ?? 'auto') !== 'auto' || !settings.webhookUrl || !this.state.listening)
      return;
    const delay = (options.backfillDelayMs ?? 1000) * 2 ** (attempt - 1);
    const handle = this.scheduler.schedule(async () => {
      this.scheduled.delete(handle);
      await this.deliver(p, attempt);
    }, delay);
    this.scheduled.add(handle);
  }

  /** The automatic deliveries made so far, oldest first (copies). */
  list(): BackfillDelivery[] {
    return this.log.map((d) => ({ ...d, statuses: [...d.statuses] }));
  }

  cancelAll(): void {
    for (const handle of this.scheduled) handle.cancel();
    this.scheduled.clear();
  }

  /** Posts one pending backfill to `webhookUrl`; one the app did not take stays pending and is retried. */
  private async deliver(p: PendingNotification, attempt: number): Promise<void> {
    const url = this.state.settings.webhookUrl;
    // taken by flushNotifications/takeNotifications meanwhile, or the sandbox closed
    if (!url || !this.state.listening || !this.state.pending.includes(p)) return;
    this.state.pending.take(p);
    const { requests, summaries } = requestsFor(this.state, p, { url });
    const statuses: number[] = [];
    for (const request of requests) {
      try {
        const res = await fetch(request);
        await res.arrayBuffer();
        statuses.push(res.status);
      } catch {
        statuses.push(0);
      }
    }
    if (p.kind === 'backfill') {
      this.log.push({
        providerUserId: p.userId,
        summaryType: p.summaryType,
        start: p.start,
        end: p.end,
        attempt,
        statuses,
        summaries,
      });
    }
    if (statuses.every((s) => s >= 200 && s < 300)) return;
    this.state.pending.push(p);
    if (attempt < MAX_DELIVERY_ATTEMPTS) this.schedule(p, attempt + 1);
  }
}
