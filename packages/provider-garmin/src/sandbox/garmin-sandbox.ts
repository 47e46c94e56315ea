import type { Server } from 'node:http';
import type {
  ConformanceSandbox,
  SandboxFaults,
  SandboxRecordedActivity,
  SandboxRecording,
  SandboxStreamsControl,
} from '@trainlytics/core/testing';
import { approveAtConsentPage } from './consent-client';
import { closeHttp, listenHttp } from './http-listener';
import type { AddedGarminActivity, SeedOptions } from './sandbox-accounts';
import type { GarminSummaryPayload } from './sandbox-history';
import { GarminSandboxNotifications } from './sandbox-notification-api';
import type { GarminSandboxOptions } from './sandbox-options';
import { SANDBOX_API_PATH, SANDBOX_AUTHORIZE_PATH, SANDBOX_TOKEN_PATH } from './sandbox-paths';
import { createSandboxRouter } from './sandbox-router';
import { SandboxState } from './sandbox-state';
import { activityCountOf } from './sandbox-user';
import type { GarminSandboxEvent } from './webhook-events';

/**
 * A local Garmin Health/Activity API: OAuth 2.0 PKCE (consent page, token endpoint with rotation), user id
 * and permissions, deregistration, the upload-time pull (at most 24 h per request), backfill (202, 409 on
 * duplicates, delivered later by push or ping), notifications, rate limits and fault knobs.
 *
 * Standalone: written from Garmin's documentation and nothing of the plugin, so the plugin is tested
 * against Garmin's behaviour, not against itself. The package's `GarminSandbox` adds `createProvider`.
 */
export class GarminSandboxServer
  extends GarminSandboxNotifications
  implements Omit<ConformanceSandbox, 'createProvider'>
{
  private readonly state: SandboxState;
  private server: Server | null = null;
  private listening: Promise<this> | null = null;

  constructor(private readonly options: GarminSandboxOptions = {}) {
    const state = new SandboxState(options);
    super(state);
    this.state = state;
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
