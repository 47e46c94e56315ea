import type { Server } from 'node:http';
import type { Clock } from '@trainlytics/core';
import {
  type ConformanceSandbox,
  type SandboxFaults,
  type SandboxRecordedActivity,
  type SandboxRecording,
  type SandboxStreamsControl,
  type SandboxWebhookResponse,
  toSandboxWebhookResponse,
} from '@trainlytics/core/testing';
import type { BackfillDelivery } from './backfill-delivery';
import { approveAtConsentPage } from './consent-client';
import { closeHttp, listenHttp } from './http-listener';
import { notificationRequest } from './notification-bodies';
import { type NotificationOptions, requestsFor } from './notification-requests';
import type { AddedGarminActivity, SeedOptions } from './sandbox-accounts';
import type { GarminSummaryPayload } from './sandbox-history';
import type { GarminSandboxOptions } from './sandbox-options';
import { SANDBOX_API_PATH, SANDBOX_AUTHORIZE_PATH, SANDBOX_TOKEN_PATH } from './sandbox-paths';
import { createSandboxRouter } from './sandbox-router';
import { SandboxState } from './sandbox-state';
import { activityCountOf } from './sandbox-user';
import { inWindow } from './summary-windows';
import { type GarminSandboxEvent, webhookRequestFor } from './webhook-events';

/**
 * A local Garmin Health/Activity API: OAuth 2.0 PKCE (consent page, token endpoint with rotation), user id
 * and permissions, deregistration, the upload-time pull (at most 24 h per request), backfill (202, 409 on
 * duplicates, delivered later by push or ping), notifications, rate limits and fault knobs.
 *
 * Standalone: written from Garmin's documentation and nothing of the plugin, so the plugin is tested
 * against Garmin's behaviour, not against itself. The package's `GarminSandbox` adds `createProvider`.
 */
export class StandaloneGarminSandbox implements Omit<ConformanceSandbox, 'createProvider'> {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clock: Clock;
  private readonly state: SandboxState;
  private server: Server | null = null;
  private listening: Promise<this> | null = null;

  constructor(private readonly options: GarminSandboxOptions = {}) {
    this.state = new SandboxState(options);
    this.clientId = this.state.clientId;
    this.clientSecret = this.state.clientSecret;
    this.clock = this.state.clock;
  }

  /** Where notifications go by default; with it a requested backfill is delivered by itself. */
  get webhookUrl(): string | undefined {
    return this.state.settings.webhookUrl;
  }
  set webhookUrl(url: string | undefined) {
    this.state.settings.webhookUrl = url;
  }
  /** How activity notifications are sent: full summaries (`push`) or a `callbackURL` (`ping`). */
  get notificationMode(): 'push' | 'ping' {
    return this.state.settings.notificationMode;
  }
  set notificationMode(mode: 'push' | 'ping') {
    this.state.settings.notificationMode = mode;
  }
  /** The app-wide rate limit (429 over it). */
  get rateLimit(): { windowMs: number; limit: number } {
    return this.state.settings.rateLimit;
  }
  set rateLimit(limit: { windowMs: number; limit: number }) {
    this.state.settings.rateLimit = limit;
  }

  /**
   * Starts listening; `startGarminSandbox` does this for you. Idempotent: a second call (even a concurrent one)
   * resolves with the same sandbox on the same address, without opening another port.
   */
  listen(): Promise<this> {
    this.listening ??= this.startListening().catch((error: unknown) => {
      this.listening = null;
      throw error;
    });
    return this.listening;
  }

  private async startListening(): Promise<this> {
    const control = {
      hasAccount: (id: string) => this.state.accounts.has(id),
      addActivities: (id: string, count: number) => this.addActivities(id, count),
      sendWebhook: (event: GarminSandboxEvent, to?: string) => this.sendWebhook(event, to),
    };
    const { server, origin } = await listenHttp(createSandboxRouter(this.state, control), {
      port: this.options.port ?? 0,
      host: this.options.host ?? '127.0.0.1',
    });
    this.server = server;
    this.state.origin = origin;
    this.state.listening = true;
    for (const account of this.options.accounts ?? []) await this.seedAccount(account);
    return this;
  }

  get baseUrl(): string {
    return this.state.origin;
  }
  get apiUrl(): string {
    return `${this.state.origin}${SANDBOX_API_PATH}`;
  }
  get authorizeUrl(): string {
    return `${this.state.origin}${SANDBOX_AUTHORIZE_PATH}`;
  }
  get tokenUrl(): string {
    return `${this.state.origin}${SANDBOX_TOKEN_PATH}`;
  }

  /** The `GARMIN_*` variables that point a plugin at this sandbox. */
  env(): Record<string, string> {
    return {
      GARMIN_CLIENT_ID: this.clientId,
      GARMIN_CLIENT_SECRET: this.clientSecret,
      GARMIN_API_URL: this.apiUrl,
      GARMIN_AUTHORIZE_URL: this.authorizeUrl,
      GARMIN_TOKEN_URL: this.tokenUrl,
    };
  }

  // ---------------------------------------------------------------- accounts (sandbox-accounts.ts)

  /**
   * Creates a user with a generated history. Small histories fit the plugin's first 7-day pull (four
   * activities a day, at most 6 days); large ones span up to a year (`days` overrides). `tieSize`: runs of
   * this many activities share a start second and an upload second (see `HistoryOptions`).
   */
  async seedAccount(options: SeedOptions): Promise<{ providerUserId: string }> {
    return { providerUserId: this.state.accounts.create(options) };
  }

  /** Adds activities that end now and are uploaded now; returns their `summaryId`s. */
  async addActivities(providerUserId: string, count: number): Promise<string[]> {
    return this.state.accounts.addActivities(providerUserId, count);
  }

  /**
   * Adds one activity with chosen upload and start times: uploaded exactly on a window boundary, uploaded
   * late with an old start, or sharing a start second with others. Returns its `summaryId`.
   */
  async addActivity(providerUserId: string, activity: AddedGarminActivity = {}): Promise<string> {
    return this.state.accounts.addActivity(providerUserId, activity);
  }

  /**
   * Edits an activity as Garmin Connect does: the changed summary is uploaded again (at
   * `uploadTimeInSeconds`, default now), so the pull returns it in the window of its new upload time.
   */
  async updateActivity(
    providerUserId: string,
    summaryId: string,
    patch: Partial<GarminSummaryPayload>,
    options: { uploadTimeInSeconds?: number } = {},
  ): Promise<void> {
    const upload = options.uploadTimeInSeconds ?? this.state.nowS();
    this.state.accounts.updateActivity(providerUserId, summaryId, patch, upload);
  }

  /**
   * The provider detail suite's side (`SandboxStreamsControl`, issue 14): `addRecordedActivity` adds an
   * activity uploaded now whose recording is of the given kind, and `deliverRequestedStreams` sends the
   * Activity Details backfill the plugin requested for it (see the methods).
   */
  readonly streams: SandboxStreamsControl = {
    addRecordedActivity: (providerUserId, { recording }) =>
      this.addRecordedActivity(providerUserId, recording),
    deliverRequestedStreams: (providerUserId, providerActivityId) =>
      this.deliverRequestedDetails(providerUserId, providerActivityId),
  };

  /**
   * Adds one activity that ends now and is uploaded now, recorded `outdoor` (GPS: any outdoor sport but a
   * pool swim), `indoor` (no GPS: a treadmill, a trainer, a pool, …) or `manual` (entered by hand: no
   * Activity Details), and returns what its Activity Details recorded in core's terms (null for manual).
   * Its sport and device come from the first generated activity of that kind from its index on whose start
   * no other added activity shares, under its own id, so consecutive calls vary sports and devices.
   * Activities longer than four hours are skipped (thousands of samples are enough). No notification is sent.
   */
  async addRecordedActivity(
    providerUserId: string,
    recording: SandboxRecording,
  ): Promise<SandboxRecordedActivity> {
    return this.state.accounts.addRecordedActivity(providerUserId, recording);
  }

  /**
   * The Activity Details Garmin sends once a backfill the plugin requested (`GET /backfill/activityDetails`)
   * for the activity's start is ready: every such pending backfill of the user is taken (not delivered
   * again) and turned into its notifications, as `takeNotifications` does — a push carrying the samples, or
   * a ping whose `callbackURL` the plugin pulls, per `notificationMode`. Nothing when none was requested.
   */
  async deliverRequestedDetails(providerUserId: string, providerActivityId: string): Promise<Request[]> {
    const { accounts, pending } = this.state;
    const user = accounts.get(providerUserId);
    const start = accounts.summary(user, providerActivityId).summary.startTimeInSeconds;
    const requested = pending.takeAll(
      (p) =>
        p.kind === 'backfill' &&
        p.summaryType === 'activityDetails' &&
        p.userId === user.userId &&
        inWindow(start, p.start, p.end, this.state.windowBounds),
    );
    return requested.flatMap((p) => requestsFor(this.state, p, {}).requests);
  }

  /** Deletes an activity in Garmin Connect (Garmin sends no notification for it). */
  async deleteActivity(providerUserId: string, summaryId: string): Promise<void> {
    this.state.accounts.deleteActivity(providerUserId, summaryId);
  }

  /** Every current summary id of a user (parents included): the provider's side of an equality check. */
  summaryIds(providerUserId: string): string[] {
    const user = this.state.accounts.get(providerUserId);
    return this.state.uploadedBetween(user, 0, this.state.nowS() + 1, '[]').map((s) => s.summary.summaryId);
  }

  /** Activities (multisport legs included, their parent summaries not). */
  async activityCount(providerUserId: string): Promise<number> {
    return activityCountOf(this.state.accounts.get(providerUserId));
  }

  /** The user's shared permissions; changing them does not notify (see `webhookRequest`). */
  setPermissions(providerUserId: string, permissions: string[]): void {
    this.state.accounts.get(providerUserId).permissions = [...permissions];
  }

  permissionsOf(providerUserId: string): string[] {
    return [...this.state.accounts.get(providerUserId).permissions];
  }

  /**
   * The user removes the app (in Garmin Connect, or through `DELETE /user/registration`): every token of
   * the user is revoked, so the API answers 401 and the refresh grant `invalid_grant`. Queues nothing; the
   * deregistration notification is `webhookRequest({ type: 'deauthorized' })` or the pending one of the API.
   */
  deregister(providerUserId: string): void {
    this.state.deregister(providerUserId);
  }

  isRegistered(providerUserId: string): boolean {
    return this.state.accounts.get(providerUserId).registered;
  }

  /** The summaries of a user in `[fromS, toS)` of start time, as the API returns them (for tests). */
  summariesStartedBetween(providerUserId: string, fromS: number, toS: number): GarminSummaryPayload[] {
    const user = this.state.accounts.get(providerUserId);
    return this.state.startedBetween(user, fromS, toS).map((s) => s.summary);
  }

  // ---------------------------------------------------------------- knobs (sandbox-faults.ts)

  setFaults(faults: SandboxFaults): void {
    this.state.faults = { ...this.state.faults, ...faults };
  }
  resetFaults(): void {
    this.state.faults = {};
  }
  requestCount(filter: { pathPrefix?: string; method?: string } = {}): number {
    return this.state.requests.count(filter);
  }
  resetCounters(): void {
    this.state.requests.reset();
  }

  async expireAccessTokens(providerUserId: string): Promise<void> {
    this.state.tokens.expireAccessTokens(providerUserId, this.clock.now().getTime() - 1000);
  }

  // ---------------------------------------------------------------- OAuth, as the user (consent-client.ts)

  /** Loads the consent page, then approves (or denies) as `providerUserId`; returns the callback URL. */
  async approve(
    authorizationUrl: string,
    options: { providerUserId: string; deny?: boolean; scopes?: string[] },
  ): Promise<URL> {
    return approveAtConsentPage(this.authorizeUrl, authorizationUrl, {
      providerUserId: options.providerUserId,
      permissions: () => options.scopes ?? this.state.accounts.get(options.providerUserId).permissions,
      ...(options.deny === undefined ? {} : { deny: options.deny }),
    });
  }

  // ---------------------------------------------------------------- notifications (webhook-events.ts, …)

  /** A notification as Garmin posts it: JSON, with the `garmin-client-id` header. */
  notificationRequest(body: unknown, url?: string): Request {
    return notificationRequest(this.state, body, url);
  }

  /**
   * A delivery exactly as Garmin would send it: `activity.created` as a push (full summary) or a ping
   * (`callbackURL`, per `notificationMode`), `activity.details` likewise with the activity's Activity Details, `deauthorized` as `deregistrations`, `permissions.changed` as
   * `userPermissionsChange` (the user's permissions are updated). Garmin has no deletion notification.
   */
  async webhookRequest(
    event: GarminSandboxEvent,
    options: NotificationOptions = {},
  ): Promise<Request | null> {
    return webhookRequestFor(this.state, event, options);
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
    return this.state.pending.size;
  }

  /**
   * Turns every pending notification into the Requests Garmin would send and clears them: a backfill's
   * summaries as push notifications of at most `maxItemsPerNotification` (or one ping), deregistrations.
   */
  takeNotifications(options: NotificationOptions = {}): Request[] {
    return this.state.pending.takeAll().flatMap((p) => requestsFor(this.state, p, options).requests);
  }

  /** The automatic backfill deliveries made so far, oldest first. */
  deliveries(): BackfillDelivery[] {
    return this.state.deliveries.list();
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

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.listening = null;
    this.state.listening = false;
    this.state.deliveries.cancelAll();
    await closeHttp(server);
  }
}
