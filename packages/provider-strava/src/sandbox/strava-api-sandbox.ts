import type { Server } from 'node:http';
import type { Clock } from '@trainlytics/core';
import type { SandboxFaults, SandboxStreamsControl, SandboxWebhookResponse } from '@trainlytics/core/testing';
import type { ActivityPatch, SeedAthleteOptions } from './athlete-store';
import type { SandboxActivity } from './generate-history';
import { streamsControl } from './recorded-activity';
import type { SandboxRequestRecord } from './request-log';
import { approveAtConsentPage } from './routes/consent';
import type { StravaApiSandboxOptions, StravaProgramSwitches } from './sandbox-options';
import { routeRequest } from './sandbox-router';
import { listenStravaSandbox, SandboxServers } from './sandbox-server';
import { type ListActivitiesCall, SandboxState } from './sandbox-state';
import { type StravaSandboxWebhookEvent, sendWebhook, webhookBody, webhookRequest } from './sandbox-webhooks';

/**
 * A Strava API v3 sandbox: a real HTTP server on 127.0.0.1 with the real API's paths (so a plugin only
 * swaps base URLs), the OAuth consent page, token exchange/refresh with rotation, 6-hour tokens on a
 * controllable clock, `/athlete`, `/athlete/activities`, `/activities/{id}`, deauthorization, push
 * subscriptions, rate-limit headers and 429s, webhook deliveries and fault knobs. It imitates Strava from
 * its documentation alone and imports nothing of the plugin: the `./sandbox` entry's `StravaSandbox`
 * adds what needs the plugin (`createProvider`).
 */
export class StravaApiSandbox {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly verifyToken: string;
  readonly subscriptionId: number;
  readonly clock: Clock;

  private readonly state: SandboxState;
  private readonly servers: SandboxServers;
  private readonly apiOrigin: string | null;

  /** The detail suite's control (see `streamsControl`). */
  readonly streams: SandboxStreamsControl;

  /** @internal use `startStravaSandbox` */
  constructor(
    server: Server,
    baseUrl: string,
    options: StravaApiSandboxOptions,
    api: { server: Server; origin: string } | null = null,
  ) {
    this.baseUrl = baseUrl;
    this.apiOrigin = api?.origin ?? null;
    this.state = new SandboxState(options);
    this.streams = streamsControl(this.state.athletes);
    ({ clientId: this.clientId, clientSecret: this.clientSecret, clock: this.clock } = this.state);
    ({ verifyToken: this.verifyToken, subscriptionId: this.subscriptionId } = this.state);
    const origins = { baseUrl, apiOrigin: this.apiOrigin, env: () => this.env() };
    this.servers = new SandboxServers(server, api?.server ?? null, (req, res, origin) =>
      routeRequest(this.state, origins, req, res, origin),
    );
  }

  /** The API base: `<origin>/api/v3`, or the second origin's root with `apiBase: 'api-v3'`. */
  get apiUrl(): string {
    return this.apiOrigin ?? `${this.baseUrl}/api/v3`;
  }
  /** The OAuth origin (authorize, token, revoke). */
  get oauthUrl(): string {
    return this.baseUrl;
  }
  get revokeUrl(): string {
    return `${this.baseUrl}/oauth/revoke`;
  }
  get authorizeUrl(): string {
    return `${this.baseUrl}/oauth/authorize`;
  }
  get tokenUrl(): string {
    return `${this.baseUrl}/oauth/token`;
  }

  /** The environment variables that point the plugin (or `trainlytics serve`) at this sandbox. */
  env(): Record<string, string> {
    return {
      STRAVA_CLIENT_ID: this.clientId,
      STRAVA_CLIENT_SECRET: this.clientSecret,
      STRAVA_API_URL: this.apiUrl,
      STRAVA_OAUTH_URL: this.oauthUrl,
      STRAVA_AUTHORIZE_URL: this.authorizeUrl,
      STRAVA_TOKEN_URL: this.tokenUrl,
      STRAVA_WEBHOOK_VERIFY_TOKEN: this.verifyToken,
      STRAVA_WEBHOOK_SUBSCRIPTION_ID: String(this.subscriptionId),
    };
  }

  // ---------------------------------------------------------------- athletes and activities

  /** Creates an athlete with a generated history. */
  async seedAthlete(options: SeedAthleteOptions): Promise<{ providerUserId: string }> {
    return { providerUserId: this.state.athletes.seed(options) };
  }

  seedAccount(options: { activityCount: number; seed?: number }): Promise<{ providerUserId: string }> {
    return this.seedAthlete(options);
  }

  /**
   * Registers an athlete that already connected before (a legacy `strava_connections` row): the given
   * tokens are valid at the sandbox, the access token expiring at `expiresAt`.
   */
  async registerAthlete(
    options: SeedAthleteOptions & {
      athleteId: string | number;
      accessToken: string;
      refreshToken: string;
      expiresAt: Date;
      scopes?: string[];
    },
  ): Promise<{ providerUserId: string }> {
    const { providerUserId } = await this.seedAthlete(options);
    this.state.tokens.register(providerUserId, {
      accessToken: options.accessToken,
      refreshToken: options.refreshToken,
      expiresAt: options.expiresAt,
      scopes: options.scopes ?? ['read', 'activity:read_all'],
    });
    return { providerUserId };
  }

  /** Adds `count` activities uploaded now, each starting after every earlier one. Returns their ids. */
  async addActivities(providerUserId: string, count: number): Promise<string[]> {
    return this.state.athletes.addUploadedNow(providerUserId, count);
  }

  /**
   * Adds one activity with a chosen start: a late upload with an old start time (a manual entry, an
   * import), or one sharing a start second with others. `fields` override the generated SummaryActivity.
   * Returns its id.
   */
  async addActivity(
    providerUserId: string,
    options: { startDate: Date | number; fields?: ActivityPatch },
  ): Promise<string> {
    const { startDate } = options;
    const ms = typeof startDate === 'number' ? startDate * 1000 : startDate.getTime();
    return this.state.athletes.addStartingAt(providerUserId, ms, options.fields ?? {});
  }

  /**
   * Edits an activity (any SummaryActivity fields; `start_date` moves it in the list) as an athlete would,
   * e.g. between two page requests of a backfill. Throws when it does not exist.
   */
  async updateActivity(providerUserId: string, activityId: string, patch: ActivityPatch): Promise<void> {
    this.state.athletes.update(providerUserId, activityId, patch);
  }

  /** Deletes an activity at the "provider" (then send an `activity.deleted` webhook). */
  async deleteActivity(providerUserId: string, activityId: string): Promise<void> {
    this.state.athletes.delete(providerUserId, activityId);
  }

  async activityCount(providerUserId: string): Promise<number> {
    return this.state.athletes.count(providerUserId);
  }

  /** An activity's SummaryActivity as the API serves it (ids as strings), or null. */
  getActivity(providerUserId: string, activityId: string): SandboxActivity | null {
    return this.state.athletes.activity(providerUserId, activityId);
  }

  /** Ids of an athlete's activities, newest first (streams: stops after `limit`). */
  activityIds(providerUserId: string, options: { limit?: number } = {}): string[] {
    return this.state.athletes.ids(providerUserId, { limit: options.limit ?? Number.POSITIVE_INFINITY });
  }

  /**
   * Ids the list endpoint shows (with `activity:read_all` unless `includePrivate: false`), newest first:
   * the provider's side of a "stored equals provider" check.
   */
  listedActivityIds(providerUserId: string, options: { includePrivate?: boolean } = {}): string[] {
    const includePrivate = options.includePrivate ?? true;
    return this.state.athletes.ids(providerUserId, { where: (a) => this.state.listed(a, includePrivate) });
  }

  /**
   * Runs `hook` before every `GET /athlete/activities` is answered (after authentication): a test can edit,
   * add or delete activities between the page requests of a backfill. `null` removes it.
   */
  onListActivities(hook: ((call: ListActivitiesCall) => void | Promise<void>) | null): void {
    this.state.listHook = hook;
  }

  /** Replaces the `hideFromList` predicate (see the option). */
  setHideFromList(predicate: ((activity: SandboxActivity) => boolean) | null): void {
    this.state.hideFromList = predicate;
  }

  // ---------------------------------------------------------------- OAuth

  approve(
    authorizationUrl: string,
    options: { providerUserId: string; deny?: boolean; scopes?: string[] },
  ): Promise<URL> {
    return approveAtConsentPage(this.baseUrl, authorizationUrl, options);
  }

  async expireAccessTokens(providerUserId: string): Promise<void> {
    this.state.tokens.expireAccessTokens(providerUserId);
  }

  /** Moves the sandbox's own clock forward (tokens expire, windows reset). Needs the default clock or one with `advance`. */
  advanceTime(ms: number): void {
    const clock = this.clock as Clock & { advance?: (ms: number) => void };
    if (!clock.advance) throw new Error('The sandbox clock was injected without an advance() method');
    clock.advance(ms);
  }

  /** The refresh token the sandbox currently accepts for an athlete (rotation tests). */
  currentRefreshToken(providerUserId: string): string | null {
    return this.state.tokens.currentRefreshToken(providerUserId);
  }

  // ---------------------------------------------------------------- developer program

  /** Changes developer-program switches at run time (see `StravaProgramSwitches`). */
  setProgram(program: Partial<StravaProgramSwitches>): void {
    this.state.program = { ...this.state.program, ...program };
  }
  getProgram(): StravaProgramSwitches {
    return { ...this.state.program };
  }
  /** Athletes holding a grant now (what the athlete cap counts). */
  connectedAthletes(): string[] {
    return this.state.tokens.connectedAthletes();
  }

  // ---------------------------------------------------------------- requests, faults and counters

  /** Every request received, in order (method, origin, URL with query, body, auth scheme). */
  requestLog(): SandboxRequestRecord[] {
    return this.state.requests.all();
  }

  /**
   * Requests that carried an access token the sandbox issued anywhere but the `Authorization` header: in
   * the URL, or in the body (revoke's `token` field excepted, the one place Strava wants a token there).
   * After 2027-06-01 Strava refuses every one of them; a plugin must make this empty.
   */
  tokenLeaks(): SandboxRequestRecord[] {
    return this.state.requests.tokenLeaks();
  }

  setFaults(faults: SandboxFaults): void {
    this.state.faults.set(faults);
  }
  resetFaults(): void {
    this.state.faults.reset();
  }
  requestCount(filter: { pathPrefix?: string; method?: string } = {}): number {
    return this.state.requests.count(filter);
  }
  resetCounters(): void {
    this.state.requests.clear();
    this.state.listCalls = 0;
  }

  // ---------------------------------------------------------------- webhooks

  /** The JSON body Strava would POST for an event (ids written as JSON numbers, like Strava). */
  webhookBody(event: StravaSandboxWebhookEvent): string {
    return webhookBody(this.state, event);
  }

  async webhookRequest(event: StravaSandboxWebhookEvent, options: { url?: string } = {}): Promise<Request> {
    return webhookRequest(this.state, event, options);
  }

  /**
   * POSTs an event to `url` (default: the push subscription's callback, then `webhookUrl`) as Strava does;
   * resolves with the app's answer. Never null: Strava has a webhook for every event here (the type is the
   * one all three sandboxes share, where null means the provider sends nothing).
   */
  async sendWebhook(event: StravaSandboxWebhookEvent, url?: string): Promise<SandboxWebhookResponse | null> {
    return sendWebhook(this.state, event, url);
  }

  /** The sandbox listens from the start: this only answers the sandbox (idempotent, like the others'). */
  async listen(): Promise<this> {
    return this;
  }

  close(): Promise<void> {
    return this.servers.close();
  }
}

/** Starts the sandbox alone (no plugin bound: what the independence test and the CLI need). */
export async function startStravaApiSandbox(
  options: StravaApiSandboxOptions = {},
): Promise<StravaApiSandbox> {
  const { oauth, api } = await listenStravaSandbox(options);
  return new StravaApiSandbox(oauth.server, oauth.origin, options, api);
}
