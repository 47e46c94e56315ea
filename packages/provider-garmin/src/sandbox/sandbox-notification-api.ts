import type { Clock } from '@trainlytics/core';
import { type SandboxWebhookResponse, toSandboxWebhookResponse } from '@trainlytics/core/testing';
import type { BackfillDelivery } from './backfill-delivery';
import { notificationRequest } from './notification-bodies';
import { type NotificationOptions, requestsFor, takeRequestedDetails } from './notification-requests';
import type { SandboxState } from './sandbox-state';
import { type GarminSandboxEvent, webhookRequestFor } from './webhook-events';

/**
 * The sandbox's credentials and settings, and what Garmin sends the app: notifications for events, the
 * pending ones (requested backfills, deregistrations) taken or flushed, the automatic deliveries made. The
 * rest of the sandbox (`GarminSandboxServer`) extends it.
 */
export class GarminSandboxNotifications {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clock: Clock;
  /** The sandbox's state, shared with the subclass (which keeps its own private reference). */
  private readonly sandboxState: SandboxState;

  constructor(state: SandboxState) {
    this.sandboxState = state;
    this.clientId = state.clientId;
    this.clientSecret = state.clientSecret;
    this.clock = state.clock;
  }

  /** Where notifications go by default; with it a requested backfill is delivered by itself. */
  get webhookUrl(): string | undefined {
    return this.sandboxState.settings.webhookUrl;
  }
  set webhookUrl(url: string | undefined) {
    this.sandboxState.settings.webhookUrl = url;
  }
  /** How activity notifications are sent: full summaries (`push`) or a `callbackURL` (`ping`). */
  get notificationMode(): 'push' | 'ping' {
    return this.sandboxState.settings.notificationMode;
  }
  set notificationMode(mode: 'push' | 'ping') {
    this.sandboxState.settings.notificationMode = mode;
  }
  /** The app-wide rate limit (429 over it). */
  get rateLimit(): { windowMs: number; limit: number } {
    return this.sandboxState.settings.rateLimit;
  }
  set rateLimit(limit: { windowMs: number; limit: number }) {
    this.sandboxState.settings.rateLimit = limit;
  }

  /**
   * The Activity Details Garmin sends once a backfill the plugin requested (`GET /backfill/activityDetails`)
   * for the activity's start is ready: every such pending backfill of the user is taken (not delivered
   * again) and turned into its notifications, as `takeNotifications` does — a push carrying the samples, or
   * a ping whose `callbackURL` the plugin pulls, per `notificationMode`. Nothing when none was requested.
   */
  async deliverRequestedDetails(providerUserId: string, providerActivityId: string): Promise<Request[]> {
    return takeRequestedDetails(this.sandboxState, providerUserId, providerActivityId);
  }

  /** A notification as Garmin posts it: JSON, with the `garmin-client-id` header. */
  notificationRequest(body: unknown, url?: string): Request {
    return notificationRequest(this.sandboxState, body, url);
  }

  /**
   * A delivery exactly as Garmin would send it: `activity.created` as a push (full summary) or a ping
   * (`callbackURL`, per `notificationMode`), `activity.details` likewise with the activity's Activity
   * Details, `deauthorized` as `deregistrations`, `permissions.changed` as `userPermissionsChange` (the
   * user's permissions are updated). Garmin has no deletion notification.
   */
  async webhookRequest(
    event: GarminSandboxEvent,
    options: NotificationOptions = {},
  ): Promise<Request | null> {
    return webhookRequestFor(this.sandboxState, event, options);
  }

  /**
   * Posts `webhookRequest(event)` to `url` (default `webhookUrl`) and resolves with the app's answer, or null
   * when Garmin sends no notification for the event (`activity.deleted`).
   */
  async sendWebhook(event: GarminSandboxEvent, url?: string): Promise<SandboxWebhookResponse | null> {
    const target = url ?? this.webhookUrl;
    if (!target) throw new Error('Garmin sandbox: no webhook URL (pass one or set webhookUrl)');
    const request = await this.webhookRequest(event, { url: target });
    if (!request) return null;
    return toSandboxWebhookResponse(await fetch(request));
  }

  /** Notifications waiting to be delivered (requested backfills, deregistrations). */
  pendingNotifications(): number {
    return this.sandboxState.pending.size;
  }

  /**
   * Turns every pending notification into the Requests Garmin would send and clears them: a backfill's
   * summaries as push notifications of at most `maxItemsPerNotification` (or one ping), deregistrations.
   */
  takeNotifications(options: NotificationOptions = {}): Request[] {
    return this.sandboxState.pending
      .takeAll()
      .flatMap((p) => requestsFor(this.sandboxState, p, options).requests);
  }

  /** The automatic backfill deliveries made so far, oldest first. */
  deliveries(): BackfillDelivery[] {
    return this.sandboxState.deliveries.list();
  }

  /** Delivers every pending notification to `url` (default `webhookUrl`); returns the response statuses. */
  async flushNotifications(options: NotificationOptions = {}): Promise<number[]> {
    const url = options.url ?? this.webhookUrl;
    if (!url) throw new Error('Garmin sandbox: no webhook URL (pass one or set webhookUrl)');
    const statuses: number[] = [];
    for (const request of this.takeNotifications({ ...options, url })) {
      const res = await fetch(request);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    return statuses;
  }
}
