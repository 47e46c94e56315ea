import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Clock,
  type FetchFunction,
  pkceChallenge,
  systemClock,
  toEpochSeconds,
} from '@trainlytics/core';
import {
  type ConformanceSandbox,
  type ConformanceWebhookEvent,
  handleSandboxControl,
  type SandboxFaults,
  type SandboxRecordedActivity,
  type SandboxRecording,
  type SandboxStreamsControl,
  type SandboxWebhookResponse,
  toSandboxWebhookResponse,
} from '@trainlytics/core/testing';
import { type GarminProvider, garmin } from '../garmin-provider';
import { generateActivityDetails, recordedActivityDetail } from './generate-activity-details';
import { GARMIN_PERMISSIONS, renderConsentPage, renderErrorPage } from './sandbox-consent-page';
import { type GarminSummaryPayload, GeneratedHistory, type StoredSummary } from './sandbox-history';

export const SANDBOX_API_PATH = '/wellness-api/rest';
export const SANDBOX_AUTHORIZE_PATH = '/oauth2Confirm';
export const SANDBOX_TOKEN_PATH = '/di-oauth2-service/oauth/token';

const DAY_S = 86_400;
const ACCESS_TOKEN_TTL_S = 86_400;
const REFRESH_TOKEN_TTL_S = 7_775_998;
const CODE_TTL_MS = 10 * 60_000;

export interface GarminSandboxOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** The sandbox's time: token expiry, upload times, rate-limit windows. Share a `FakeClock` with the plugin in tests. */
  clock?: Clock;
  /** Seeds generated users and histories (default 1). */
  seed?: number;
  /**
   * Where notifications go by default (`flushNotifications`, `sendWebhook` without a URL). With it, a
   * requested backfill is delivered there by the sandbox itself (see `deliverBackfills`).
   */
  webhookUrl?: string;
  /**
   * `auto` (default): as Garmin does, a backfill request answered 202 is delivered to `webhookUrl` by the
   * sandbox itself, `backfillDelayMs` later, without any call; a delivery the app does not answer 2xx is
   * retried (the delay doubling, `MAX_DELIVERY_ATTEMPTS` in all), then left pending. Without a
   * `webhookUrl`, or with `manual`, it waits for `flushNotifications`/`takeNotifications`.
   */
  deliverBackfills?: 'auto' | 'manual';
  /** How long after a backfill request its notifications are sent (default 1000 ms). */
  backfillDelayMs?: number;
  /** Runs the automatic deliveries (default: timers); a test passes one it drives by hand. */
  scheduler?: SandboxScheduler;
  /** How activity notifications are sent: full summaries (`push`, default) or a `callbackURL` (`ping`). */
  notificationMode?: 'push' | 'ping';
  /** An app-wide rate limit answering 429 when exceeded (default 10,000 requests per minute). */
  rateLimit?: { windowMs: number; limit: number };
  /**
   * Garmin's backfill allowance: days of history requested per minute, app-wide (an evaluation key has 100,
   * production 10,000; default unlimited). Over it, a backfill request gets a 429 whose rate-limit headers
   * describe this allowance.
   */
  backfillDaysPerMinute?: number;
  faults?: SandboxFaults;
  /** Accounts created at start. */
  accounts?: Array<{ activityCount: number; seed?: number; days?: number }>;
  /** Activities of an account created on the consent page ("Create a new Garmin account"), default 30. */
  newAccountActivities?: number;
  /** Summaries per push notification (default 200). */
  maxItemsPerNotification?: number;
  /**
   * How the pull's `uploadStartTimeInSeconds`/`uploadEndTimeInSeconds` (and the backfill's
   * `summaryStartTimeInSeconds`/`summaryEndTimeInSeconds`) bounds are read: `[)` (default) includes the
   * start second and excludes the end one, `[]` includes both, `()` excludes both, `(]` the reverse of
   * `[)`. Garmin does not document it; a plugin must lose nothing (and count nothing twice) under each.
   */
  windowBounds?: WindowBounds;
}

/**
 * Runs a task after a delay. The default uses timers; a test passes its own and runs the tasks when it
 * chooses (`ManualScheduler` in the tests), so nothing waits on the wall clock.
 */
export interface SandboxScheduler {
  schedule(task: () => Promise<void>, delayMs: number): { cancel(): void };
}

/** The default scheduler: a timer per task that does not keep the process alive by itself. */
export const timerScheduler: SandboxScheduler = {
  schedule(task, delayMs) {
    const timer = setTimeout(() => void task(), delayMs);
    timer.unref?.();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** Automatic backfill deliveries are attempted this many times before they are left pending. */
export const MAX_DELIVERY_ATTEMPTS = 5;

/**
 * The summary types the sandbox delivers: activity summaries, and Activity Details (samples and laps,
 * ADR 0033), each with its pull endpoint, backfill, push envelope and ping `callbackURL`.
 */
export type GarminSummaryType = 'activities' | 'activityDetails';

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

/** Inclusive (`[`, `]`) or exclusive (`(`, `)`) window bounds. */
export type WindowBounds = '[)' | '[]' | '()' | '(]';

/** An activity added with `addActivity`: chosen upload and start times (a late upload, a tie), any fields. */
export interface AddedGarminActivity {
  /** Upload time (epoch seconds); default now. */
  uploadTimeInSeconds?: number;
  /** Start time (epoch seconds); default: it ends a minute before its upload. */
  startTimeInSeconds?: number;
  /** Any other summary fields (`activityType`, `activityName`, …). */
  fields?: Partial<GarminSummaryPayload>;
  /** An `activityId` beyond 2^53, kept exact as a decimal string and written as a JSON number. */
  largeActivityId?: bigint;
}

/** A sandbox event: the conformance events plus Garmin's permission change. */
export type GarminSandboxEvent =
  | ConformanceWebhookEvent
  /** The activity's Activity Details, pushed (or pinged) on their own (e.g. before the summary). */
  | { type: 'activity.details'; providerUserId: string; providerActivityId: string }
  | { type: 'permissions.changed'; providerUserId: string; permissions: string[] };

interface SandboxUser {
  userId: string;
  history: GeneratedHistory;
  /** Activities added (or re-uploaded after an edit) after seeding. */
  extras: StoredSummary[];
  /** Generated summaries that were deleted, or edited (their new version is in `extras`). */
  hidden: Set<string>;

  permissions: string[];
  registered: boolean;
  backfills: Set<string>;
}

interface AuthorizationCode {
  userId: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  expiresAt: number;
}

interface IssuedToken {
  userId: string;
  expiresAt: number;
}

type PendingNotification =
  | { kind: 'backfill'; summaryType: GarminSummaryType; userId: string; start: number; end: number }
  | { kind: 'deregistration'; userId: string };

interface CallbackDelivery {
  userId: string;
  summaryType: GarminSummaryType;
  summaries: () => StoredSummary[];
}

/** JSON as Garmin writes it: an `activityId` kept as a digit string (beyond 2^53) becomes a bare number. */
const json = (value: unknown) =>
  JSON.stringify(value, (key, v) =>
    key === 'activityId' && typeof v === 'string' && /^\d+$/.test(v) ? `\u0000int:${v}` : v,
  ).replace(/"\\u0000int:(\d+)"/g, '$1');

/**
 * A local Garmin Health/Activity API: OAuth 2.0 PKCE (consent page, token endpoint with rotation), user id
 * and permissions, deregistration, the upload-time pull (at most 24 h per request), backfill (202, 409 on
 * duplicates, delivered later by push or ping), notifications, rate limits and fault knobs.
 */
export class GarminSandbox implements ConformanceSandbox {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clock: Clock;
  private server: Server | null = null;
  private origin = '';
  private readonly seed: number;
  private readonly users = new Map<string, SandboxUser>();
  private userCounter = 0;
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly accessTokens = new Map<string, IssuedToken>();
  private readonly refreshTokens = new Map<string, IssuedToken>();
  private readonly callbacks = new Map<string, CallbackDelivery>();
  private pending: PendingNotification[] = [];
  private faults: SandboxFaults = {};
  private readonly log: Array<{ method: string; path: string }> = [];
  private rateWindow = { startedAt: 0, count: 0 };
  private backfillWindow = { startedAt: 0, days: 0 };
  private notificationCounter = 0;
  private readonly scheduler: SandboxScheduler;
  private readonly scheduled = new Set<{ cancel(): void }>();
  private readonly deliveryLog: BackfillDelivery[] = [];
  webhookUrl: string | undefined;
  notificationMode: 'push' | 'ping';
  rateLimit: { windowMs: number; limit: number };

  constructor(private readonly options: GarminSandboxOptions = {}) {
    this.clientId = options.clientId ?? 'garmin-sandbox-client';
    this.clientSecret = options.clientSecret ?? 'garmin-sandbox-secret';
    this.clock = options.clock ?? systemClock;
    this.seed = options.seed ?? 1;
    this.webhookUrl = options.webhookUrl;
    this.notificationMode = options.notificationMode ?? 'push';
    this.rateLimit = options.rateLimit ?? { windowMs: 60_000, limit: 10_000 };
    this.faults = { ...(options.faults ?? {}) };
    this.scheduler = options.scheduler ?? timerScheduler;
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

  private listening: Promise<this> | null = null;

  private async startListening(): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) this.send(res, 500, { errorMessage: `sandbox error: ${String(error)}` });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = server.address() as AddressInfo;
    this.server = server;
    this.origin = `http://${address.address}:${address.port}`;
    for (const account of this.options.accounts ?? []) await this.seedAccount(account);
    return this;
  }

  get baseUrl(): string {
    return this.origin;
  }
  get apiUrl(): string {
    return `${this.origin}${SANDBOX_API_PATH}`;
  }
  get authorizeUrl(): string {
    return `${this.origin}${SANDBOX_AUTHORIZE_PATH}`;
  }
  get tokenUrl(): string {
    return `${this.origin}${SANDBOX_TOKEN_PATH}`;
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

  createProvider(options: { fetch?: FetchFunction } = {}): GarminProvider {
    return garmin({
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      apiUrl: this.apiUrl,
      authorizeUrl: this.authorizeUrl,
      tokenUrl: this.tokenUrl,
      env: {},
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  private nowS(): number {
    return toEpochSeconds(this.clock.now());
  }

  // ---------------------------------------------------------------- accounts

  /**
   * Creates a user with a generated history. Small histories fit the plugin's first 7-day pull (four
   * activities a day, at most 6 days); large ones span up to a year (`days` overrides).
   */
  async seedAccount(options: {
    activityCount: number;
    seed?: number;
    days?: number;
    /** Runs of this many activities share a start second and an upload second (see `HistoryOptions`). */
    tieSize?: number;
  }): Promise<{ providerUserId: string }> {
    const number = ++this.userCounter;
    const seed = options.seed ?? this.seed * 1000 + number;
    const userId = createHash('sha256')
      .update(`garmin-sandbox-user:${this.seed}:${number}:${seed}`)
      .digest('hex')
      .slice(0, 32);
    const days = options.days ?? Math.min(365, Math.max(1, Math.ceil(options.activityCount / 4)));
    const history = new GeneratedHistory({
      userId,
      idBase: (1000 + number) * 10_000_000,
      seed,
      count: options.activityCount,
      endS: this.nowS() - 60,
      days,
      ...(options.tieSize === undefined ? {} : { tieSize: options.tieSize }),
    });
    this.users.set(userId, {
      userId,
      history,
      extras: [],
      hidden: new Set(),
      permissions: [...GARMIN_PERMISSIONS],
      registered: true,
      backfills: new Set(),
    });
    return { providerUserId: userId };
  }

  private user(userId: string): SandboxUser {
    const user = this.users.get(userId);
    if (!user) throw new Error(`Garmin sandbox has no user ${userId}`);
    return user;
  }

  /** Adds activities that end now and are uploaded now; returns their `summaryId`s. */
  async addActivities(providerUserId: string, count: number): Promise<string[]> {
    const user = this.user(providerUserId);
    const now = this.nowS();
    const ids: string[] = [];
    for (let k = 0; k < count; k++) {
      const index = user.history.count + user.extras.length;
      const summary = user.history.activityEndingAt(index, now - 60 * (count - k));
      user.extras.push({ summary, uploadTimeInSeconds: now });
      ids.push(summary.summaryId);
    }
    return ids;
  }

  /**
   * Adds one activity with chosen upload and start times: uploaded exactly on a window boundary, uploaded
   * late with an old start, or sharing a start second with others. Returns its `summaryId`.
   */
  async addActivity(providerUserId: string, activity: AddedGarminActivity = {}): Promise<string> {
    const user = this.user(providerUserId);
    const upload = activity.uploadTimeInSeconds ?? this.nowS();
    const index = user.history.count + user.extras.length;
    const generated = user.history.activityEndingAt(index, upload - 60);
    const start = activity.startTimeInSeconds ?? generated.startTimeInSeconds;
    const summary: GarminSummaryPayload = { ...generated, startTimeInSeconds: start, ...activity.fields };
    if (activity.largeActivityId !== undefined) {
      // kept exact in memory, written as a JSON number (see `json`)
      (summary as { activityId: unknown }).activityId = activity.largeActivityId.toString();
    }
    user.extras.push({ summary, uploadTimeInSeconds: upload });
    return summary.summaryId;
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
    const user = this.user(providerUserId);
    const found = this.findSummary(user, summaryId);
    if (!found) throw new Error(`Garmin sandbox user ${user.userId} has no summary ${summaryId}`);
    user.extras = user.extras.filter((s) => s.summary.summaryId !== summaryId);
    user.hidden.add(summaryId);
    user.extras.push({
      summary: { ...found.summary, ...patch, summaryId },
      uploadTimeInSeconds: options.uploadTimeInSeconds ?? this.nowS(),
    });
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
   * no other added activity shares, under its own id, so consecutive calls vary sports and devices. Activities longer than four hours are skipped
   * (thousands of samples are enough). No notification is sent.
   */
  async addRecordedActivity(
    providerUserId: string,
    recording: SandboxRecording,
  ): Promise<SandboxRecordedActivity> {
    const user = this.user(providerUserId);
    const now = this.nowS();
    const index = user.history.count + user.extras.length;
    const own = user.history.activityEndingAt(index, now - 60);
    for (let k = index; k < index + 1000; k++) {
      const candidate = user.history.activityEndingAt(k, now - 60);
      const kind: SandboxRecording = candidate.manual
        ? 'manual'
        : candidate.startingLatitudeInDegree !== undefined && candidate.activityType !== 'LAP_SWIMMING'
          ? 'outdoor'
          : 'indoor';
      if (kind !== recording || candidate.durationInSeconds > 4 * 3600) continue;
      // a start no other added activity has (within the plugin's backfill window), so the backfill
      // requested for this activity's details delivers this activity's only
      const start = candidate.startTimeInSeconds;
      if (user.extras.some((s) => Math.abs(s.summary.startTimeInSeconds - start) <= 2)) continue;
      const summary = { ...candidate, summaryId: own.summaryId, activityId: own.activityId };
      user.extras.push({ summary, uploadTimeInSeconds: now });
      const detail = generateActivityDetails(summary);
      return {
        providerActivityId: summary.summaryId,
        recorded: detail ? recordedActivityDetail(detail) : null,
      };
    }
    throw new Error(`Garmin sandbox: no ${recording} activity among the next generated ones`);
  }

  /**
   * The Activity Details Garmin sends once a backfill the plugin requested (`GET /backfill/activityDetails`)
   * for the activity's start is ready: every such pending backfill of the user is taken (not delivered
   * again) and turned into its notifications, as `takeNotifications` does — a push carrying the samples, or
   * a ping whose `callbackURL` the plugin pulls, per `notificationMode`. Nothing when none was requested.
   */
  async deliverRequestedDetails(providerUserId: string, providerActivityId: string): Promise<Request[]> {
    const user = this.user(providerUserId);
    const found = this.findSummary(user, providerActivityId);
    if (!found) throw new Error(`Garmin sandbox user ${user.userId} has no summary ${providerActivityId}`);
    const start = found.summary.startTimeInSeconds;
    const bounds = this.options.windowBounds ?? '[)';
    const requested = this.pending.filter(
      (p) =>
        p.kind === 'backfill' &&
        p.summaryType === 'activityDetails' &&
        p.userId === user.userId &&
        this.inWindow(start, p.start, p.end, bounds),
    );
    this.pending = this.pending.filter((p) => !requested.includes(p));
    return requested.flatMap((p) => this.requestsFor(p, {}).requests);
  }

  /** Deletes an activity in Garmin Connect (Garmin sends no notification for it). */
  async deleteActivity(providerUserId: string, summaryId: string): Promise<void> {
    const user = this.user(providerUserId);
    user.extras = user.extras.filter((s) => s.summary.summaryId !== summaryId);
    user.hidden.add(summaryId);
  }

  /** Every current summary id of a user (parents included): the provider's side of an equality check. */
  summaryIds(providerUserId: string): string[] {
    const user = this.user(providerUserId);
    return this.uploadedBetween(user, 0, this.nowS() + 1, '[]').map((s) => s.summary.summaryId);
  }

  /** Activities (multisport legs included, their parent summaries not). */
  async activityCount(providerUserId: string): Promise<number> {
    const user = this.user(providerUserId);
    const hiddenGenerated = [...user.hidden].filter((id) => user.history.find(id) !== null).length;
    return user.history.count - hiddenGenerated + user.extras.length;
  }

  /** The user's shared permissions; changing them does not notify (see `webhookRequest`). */
  setPermissions(providerUserId: string, permissions: string[]): void {
    this.user(providerUserId).permissions = [...permissions];
  }

  permissionsOf(providerUserId: string): string[] {
    return [...this.user(providerUserId).permissions];
  }

  /**
   * The user removes the app (in Garmin Connect, or through `DELETE /user/registration`): every token of
   * the user is revoked, so the API answers 401 and the refresh grant `invalid_grant`. Queues nothing; the
   * deregistration notification is `webhookRequest({ type: 'deauthorized' })` or the pending one of the API.
   */
  deregister(providerUserId: string): void {
    const user = this.user(providerUserId);
    user.registered = false;
    for (const [t, v] of this.accessTokens) if (v.userId === user.userId) this.accessTokens.delete(t);
    for (const [t, v] of this.refreshTokens) if (v.userId === user.userId) this.refreshTokens.delete(t);
  }

  isRegistered(providerUserId: string): boolean {
    return this.user(providerUserId).registered;
  }

  /** The summaries of a user in `[fromS, toS)` of start time, as the API returns them (for tests). */
  summariesStartedBetween(providerUserId: string, fromS: number, toS: number): GarminSummaryPayload[] {
    return this.startedBetween(this.user(providerUserId), fromS, toS).map((s) => s.summary);
  }

  /** Whether `t` is in the window `from…to` under `bounds` (see `windowBounds`). */
  private inWindow(t: number, fromS: number, toS: number, bounds: WindowBounds): boolean {
    const afterStart = bounds[0] === '[' ? t >= fromS : t > fromS;
    const beforeEnd = bounds[1] === ']' ? t <= toS : t < toS;
    return afterStart && beforeEnd;
  }

  private current(user: SandboxUser, generated: Iterable<StoredSummary>): StoredSummary[] {
    const now = this.nowS();
    const out = [...generated].filter((s) => !user.hidden.has(s.summary.summaryId));
    return [...out, ...user.extras].filter((s) => s.uploadTimeInSeconds <= now);
  }

  private uploadedBetween(
    user: SandboxUser,
    fromS: number,
    toS: number,
    bounds: WindowBounds = this.options.windowBounds ?? '[)',
  ): StoredSummary[] {
    return this.current(user, user.history.uploadedBetween(fromS, toS + 1)).filter((s) =>
      this.inWindow(s.uploadTimeInSeconds, fromS, toS, bounds),
    );
  }

  private startedBetween(user: SandboxUser, fromS: number, toS: number): StoredSummary[] {
    const bounds = this.options.windowBounds ?? '[)';
    return this.current(user, user.history.startedBetween(fromS, toS + 1)).filter((s) =>
      this.inWindow(s.summary.startTimeInSeconds, fromS, toS, bounds),
    );
  }

  private findSummary(user: SandboxUser, summaryId: string): StoredSummary | null {
    const extra = user.extras.find((s) => s.summary.summaryId === summaryId);
    if (extra) return extra;
    return user.hidden.has(summaryId) ? null : user.history.find(summaryId);
  }

  // ---------------------------------------------------------------- knobs

  setFaults(faults: SandboxFaults): void {
    this.faults = { ...this.faults, ...faults };
  }
  resetFaults(): void {
    this.faults = {};
  }
  requestCount(filter: { pathPrefix?: string; method?: string } = {}): number {
    return this.log.filter(
      (r) =>
        (!filter.pathPrefix || r.path.startsWith(filter.pathPrefix)) &&
        (!filter.method || r.method === filter.method.toUpperCase()),
    ).length;
  }
  resetCounters(): void {
    this.log.length = 0;
  }

  async expireAccessTokens(providerUserId: string): Promise<void> {
    const past = this.clock.now().getTime() - 1000;
    for (const token of this.accessTokens.values())
      if (token.userId === providerUserId) token.expiresAt = past;
  }

  // ---------------------------------------------------------------- OAuth, as the user

  /** Loads the consent page, then approves (or denies) as `providerUserId`; returns the callback URL. */
  async approve(
    authorizationUrl: string,
    options: { providerUserId: string; deny?: boolean; scopes?: string[] },
  ): Promise<URL> {
    const page = await fetch(authorizationUrl);
    const html = await page.text();
    if (page.status !== 200) throw new Error(`Garmin sandbox consent page answered ${page.status}: ${html}`);
    const query = new URL(authorizationUrl).searchParams;
    const form = new URLSearchParams();
    for (const key of [
      'response_type',
      'client_id',
      'redirect_uri',
      'state',
      'code_challenge',
      'code_challenge_method',
    ]) {
      const value = query.get(key);
      if (value !== null) form.set(key, value);
    }
    form.set('user_id', options.providerUserId);
    for (const p of options.scopes ?? this.user(options.providerUserId).permissions)
      form.append('permission', p);
    form.set('decision', options.deny ? 'deny' : 'approve');
    const res = await fetch(this.authorizeUrl, {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) {
      throw new Error(`Garmin sandbox consent answered ${res.status}: ${await res.text()}`);
    }
    return new URL(location);
  }

  // ---------------------------------------------------------------- notifications

  /** A notification as Garmin posts it: JSON, with the `garmin-client-id` header. */
  notificationRequest(body: unknown, url?: string): Request {
    return new Request(url ?? this.webhookUrl ?? `${this.origin}/__webhook/garmin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'garmin-client-id': this.clientId },
      body: json(body),
    });
  }

  private accessTokenOf(userId: string): string | undefined {
    let latest: string | undefined;
    for (const [token, t] of this.accessTokens) if (t.userId === userId) latest = token;
    return latest;
  }

  private withToken(userId: string) {
    const token = this.accessTokenOf(userId);
    return token ? { userAccessToken: token } : {};
  }

  /** The items of a summary type for stored summaries (Activity Details: none for manual activities). */
  private itemsOf(summaryType: GarminSummaryType, summaries: StoredSummary[]): unknown[] {
    if (summaryType === 'activities') return summaries.map((s) => s.summary);
    return summaries.flatMap((s) => {
      const detail = generateActivityDetails(s.summary);
      return detail ? [{ userId: s.summary.userId, ...detail }] : [];
    });
  }

  private pushBody(
    user: SandboxUser,
    summaries: StoredSummary[],
    summaryType: GarminSummaryType = 'activities',
  ) {
    return {
      [summaryType]: this.itemsOf(summaryType, summaries).map((item) => ({
        ...(item as object),
        ...this.withToken(user.userId),
      })),
    };
  }

  private pingBody(
    user: SandboxUser,
    window: { start: number; end: number },
    summaries: () => StoredSummary[],
    summaryType: GarminSummaryType = 'activities',
  ) {
    const token = randomBytes(12).toString('hex');
    this.callbacks.set(token, { userId: user.userId, summaries, summaryType });
    const callback = new URL(`${this.apiUrl}/${summaryType}`);
    callback.searchParams.set('uploadStartTimeInSeconds', String(window.start));
    callback.searchParams.set('uploadEndTimeInSeconds', String(window.end));
    callback.searchParams.set('token', token);
    return {
      [summaryType]: [
        {
          userId: user.userId,
          ...this.withToken(user.userId),
          uploadStartTimeInSeconds: window.start,
          uploadEndTimeInSeconds: window.end,
          callbackURL: callback.toString(),
        },
      ],
    };
  }

  /**
   * A delivery exactly as Garmin would send it: `activity.created` as a push (full summary) or a ping
   * (`callbackURL`, per `notificationMode`), `activity.details` likewise with the activity's Activity Details, `deauthorized` as `deregistrations`, `permissions.changed` as
   * `userPermissionsChange` (the user's permissions are updated). Garmin has no deletion notification.
   */
  async webhookRequest(
    event: GarminSandboxEvent,
    options: { url?: string; mode?: 'push' | 'ping' } = {},
  ): Promise<Request | null> {
    const user = this.user(event.providerUserId);
    switch (event.type) {
      case 'activity.created':
      case 'activity.details': {
        const found = this.findSummary(user, event.providerActivityId);
        if (!found)
          throw new Error(`Garmin sandbox user ${user.userId} has no summary ${event.providerActivityId}`);
        const summaryType = event.type === 'activity.created' ? 'activities' : 'activityDetails';
        const mode = options.mode ?? this.notificationMode;
        const body =
          mode === 'push'
            ? this.pushBody(user, [found], summaryType)
            : this.pingBody(
                user,
                { start: found.uploadTimeInSeconds, end: found.uploadTimeInSeconds + 1 },
                () => [found],
                summaryType,
              );
        return this.notificationRequest(body, options.url);
      }
      case 'activity.deleted':
        return null;
      case 'deauthorized': {
        // a real deregistration: the user removed the app in Garmin Connect, so the tokens stop working
        const body = { deregistrations: [{ userId: user.userId, ...this.withToken(user.userId) }] };
        this.deregister(user.userId);
        return this.notificationRequest(body, options.url);
      }
      case 'permissions.changed': {
        user.permissions = [...event.permissions];
        return this.notificationRequest(
          {
            userPermissionsChange: [
              {
                userId: user.userId,
                summaryId: `x${(++this.notificationCounter).toString(16)}-${this.nowS().toString(16)}`,
                permissions: [...event.permissions],
                changeTimeInSeconds: this.nowS(),
              },
            ],
          },
          options.url,
        );
      }
    }
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
    return this.pending.length;
  }

  /**
   * Turns every pending notification into the Requests Garmin would send and clears them: a backfill's
   * summaries as push notifications of at most `maxItemsPerNotification` (or one ping), deregistrations.
   */
  takeNotifications(options: { url?: string; mode?: 'push' | 'ping' } = {}): Request[] {
    const pending = this.pending;
    this.pending = [];
    return pending.flatMap((p) => this.requestsFor(p, options).requests);
  }

  /** The Requests of one pending notification, and how many summaries they carry. */
  private requestsFor(
    p: PendingNotification,
    options: { url?: string; mode?: 'push' | 'ping' },
  ): { requests: Request[]; summaries: number } {
    const mode = options.mode ?? this.notificationMode;
    const max = this.options.maxItemsPerNotification ?? 200;
    const user = this.user(p.userId);
    if (p.kind === 'deregistration') {
      return {
        requests: [this.notificationRequest({ deregistrations: [{ userId: user.userId }] }, options.url)],
        summaries: 0,
      };
    }
    const summaries = this.startedBetween(user, p.start, p.end);
    if (summaries.length === 0) return { requests: [], summaries: 0 };
    if (mode === 'ping') {
      return {
        requests: [
          this.notificationRequest(
            this.pingBody(user, p, () => summaries, p.summaryType),
            options.url,
          ),
        ],
        summaries: summaries.length,
      };
    }
    const requests: Request[] = [];
    // Activity Details are large (thousands of samples each): fewer per notification
    const perRequest = p.summaryType === 'activityDetails' ? Math.max(1, Math.floor(max / 20)) : max;
    for (let i = 0; i < summaries.length; i += perRequest) {
      const slice = summaries.slice(i, i + perRequest);
      if (p.summaryType === 'activityDetails' && this.itemsOf('activityDetails', slice).length === 0)
        continue;
      requests.push(this.notificationRequest(this.pushBody(user, slice, p.summaryType), options.url));
    }
    return { requests, summaries: summaries.length };
  }

  /** Schedules the automatic delivery of a requested backfill (see `deliverBackfills`). */
  private scheduleDelivery(p: PendingNotification, attempt: number): void {
    if ((this.options.deliverBackfills ?? 'auto') !== 'auto' || !this.webhookUrl || !this.server) return;
    const delay = (this.options.backfillDelayMs ?? 1000) * 2 ** (attempt - 1);
    const handle = this.scheduler.schedule(async () => {
      this.scheduled.delete(handle);
      await this.deliver(p, attempt);
    }, delay);
    this.scheduled.add(handle);
  }

  /** Posts one pending backfill to `webhookUrl`; one the app did not take stays pending and is retried. */
  private async deliver(p: PendingNotification, attempt: number): Promise<void> {
    const url = this.webhookUrl;
    // taken by flushNotifications/takeNotifications meanwhile, or the sandbox closed
    if (!url || !this.server || !this.pending.includes(p)) return;
    this.pending = this.pending.filter((x) => x !== p);
    const { requests, summaries } = this.requestsFor(p, { url });
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
      this.deliveryLog.push({
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
    this.pending.push(p);
    if (attempt < MAX_DELIVERY_ATTEMPTS) this.scheduleDelivery(p, attempt + 1);
  }

  /** The automatic backfill deliveries made so far, oldest first. */
  deliveries(): BackfillDelivery[] {
    return this.deliveryLog.map((d) => ({ ...d, statuses: [...d.statuses] }));
  }

  /** Delivers every pending notification to `url` (default `webhookUrl`); returns the response statuses. */
  async flushNotifications(options: { url?: string; mode?: 'push' | 'ping' } = {}): Promise<number[]> {
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
    for (const handle of this.scheduled) handle.cancel();
    this.scheduled.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- HTTP

  private rateLimitHeaders(): Record<string, string> {
    const nowMs = this.clock.now().getTime();
    const { windowMs, limit } = this.rateLimit;
    const resetMs = Math.max(0, this.rateWindow.startedAt + windowMs - nowMs);
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - this.rateWindow.count)),
      'x-ratelimit-reset': String(Math.ceil(resetMs / 1000)),
    };
  }

  private send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = body === undefined ? '' : typeof body === 'string' ? body : json(body);
    res.writeHead(status, {
      ...(text ? { 'content-type': 'application/json;charset=UTF-8' } : {}),
      ...headers,
    });
    res.end(text);
  }

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/_sandbox')) {
      // sandbox-only control endpoints, outside the request log, faults and rate limits
      const control = {
        hasAccount: (id: string) => this.users.has(id),
        addActivities: (id: string, count: number) => this.addActivities(id, count),
        sendWebhook: (event: ConformanceWebhookEvent, to?: string) => this.sendWebhook(event, to),
      };
      const body = await this.readBody(req);
      if (await handleSandboxControl(control, { method, path: url.pathname, body }, res)) return;
    }
    this.log.push({ method, path: url.pathname });
    if (url.pathname === SANDBOX_AUTHORIZE_PATH) return this.handleAuthorize(req, res, url, method);
    if (url.pathname === SANDBOX_TOKEN_PATH && method === 'POST') return this.handleToken(req, res);
    if (url.pathname.startsWith(`${SANDBOX_API_PATH}/`)) return this.handleApi(req, res, url, method);
    this.send(res, 404, { errorMessage: `No such endpoint: ${method} ${url.pathname}` });
  }

  private async handleAuthorize(req: IncomingMessage, res: ServerResponse, url: URL, method: string) {
    const html = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
    };
    if (method === 'GET') {
      const q = url.searchParams;
      const problem =
        q.get('client_id') !== this.clientId
          ? 'Unknown client_id'
          : q.get('response_type') !== 'code'
            ? 'response_type must be code'
            : !q.get('code_challenge')
              ? 'code_challenge is required (PKCE)'
              : q.get('code_challenge_method') !== 'S256'
                ? 'code_challenge_method must be S256'
                : !q.get('redirect_uri')
                  ? 'redirect_uri is required'
                  : null;
      if (problem) return html(400, renderErrorPage(problem));
      const users = [...this.users.keys()];
      return html(200, renderConsentPage({ query: q, users, appName: this.clientId }));
    }
    if (method !== 'POST') return html(405, renderErrorPage('Method not allowed'));
    const form = new URLSearchParams(await this.readBody(req));
    const redirectUri = form.get('redirect_uri');
    const challenge = form.get('code_challenge');
    if (form.get('client_id') !== this.clientId || !redirectUri || !challenge) {
      return html(400, renderErrorPage('The authorization request is incomplete'));
    }
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      return html(400, renderErrorPage('redirect_uri is not an absolute URL'));
    }
    const state = form.get('state');
    if (form.get('decision') !== 'approve') {
      target.searchParams.set('error', 'access_denied');
      if (state !== null) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString() });
      res.end();
      return;
    }
    let userId = form.get('user_id') ?? 'new';
    if (userId === 'new' || !this.users.has(userId)) {
      userId = (await this.seedAccount({ activityCount: this.options.newAccountActivities ?? 30 }))
        .providerUserId;
    }
    const user = this.user(userId);
    user.permissions = form.getAll('permission');
    user.registered = true;
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, {
      userId,
      clientId: this.clientId,
      redirectUri,
      challenge,
      expiresAt: this.clock.now().getTime() + CODE_TTL_MS,
    });
    target.searchParams.set('code', code);
    if (state !== null) target.searchParams.set('state', state);
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  private issueTokens(userId: string) {
    const now = this.clock.now().getTime();
    const access = randomBytes(24).toString('base64url');
    const refresh = randomBytes(24).toString('base64url');
    this.accessTokens.set(access, { userId, expiresAt: now + ACCESS_TOKEN_TTL_S * 1000 });
    this.refreshTokens.set(refresh, { userId, expiresAt: now + REFRESH_TOKEN_TTL_S * 1000 });
    return {
      access_token: access,
      token_type: 'bearer',
      refresh_token: refresh,
      expires_in: ACCESS_TOKEN_TTL_S - 1,
      scope: 'PARTNER_WRITE PARTNER_READ CONNECT_READ CONNECT_WRITE',
      jti: randomBytes(8).toString('hex'),
      refresh_token_expires_in: REFRESH_TOKEN_TTL_S,
    };
  }

  private async handleToken(req: IncomingMessage, res: ServerResponse) {
    const form = new URLSearchParams(await this.readBody(req));
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      clientId = id ?? null;
      clientSecret = secret ?? null;
    }
    if (clientId !== this.clientId || clientSecret !== this.clientSecret) {
      return this.send(res, 401, { error: 'invalid_client', error_description: 'Bad client credentials' });
    }
    const invalidGrant = (description: string) =>
      this.send(res, 400, { error: 'invalid_grant', error_description: description });
    const now = this.clock.now().getTime();
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code) return invalidGrant('Authorization code is invalid or was already used');
      this.codes.delete(form.get('code') ?? '');
      if (code.expiresAt <= now) return invalidGrant('Authorization code expired');
      if (form.get('redirect_uri') !== code.redirectUri) return invalidGrant('redirect_uri does not match');
      const verifier = form.get('code_verifier');
      if (!verifier)
        return this.send(res, 400, {
          error: 'invalid_request',
          error_description: 'code_verifier is required',
        });
      if (pkceChallenge(verifier) !== code.challenge) {
        return invalidGrant('code_verifier does not match the code_challenge');
      }
      return this.send(res, 200, this.issueTokens(code.userId));
    }
    if (grant === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const stored = this.refreshTokens.get(presented);
      if (this.faults.rejectRefresh) return invalidGrant('Refresh token revoked');
      if (!stored) return invalidGrant('Refresh token is invalid or was rotated');
      this.refreshTokens.delete(presented);
      if (stored.expiresAt <= now) return invalidGrant('Refresh token expired');
      if (!this.user(stored.userId).registered) return invalidGrant('User deregistered the application');
      return this.send(res, 200, this.issueTokens(stored.userId));
    }
    return this.send(res, 400, { error: 'unsupported_grant_type', error_description: `grant_type ${grant}` });
  }

  /** Counts the request in the app-wide window; true when it is over the limit. */
  private overRateLimit(): boolean {
    const nowMs = this.clock.now().getTime();
    if (nowMs >= this.rateWindow.startedAt + this.rateLimit.windowMs)
      this.rateWindow = { startedAt: nowMs, count: 0 };
    if (this.rateWindow.count >= this.rateLimit.limit) return true;
    this.rateWindow.count++;
    return false;
  }

  private async handleApi(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
  ): Promise<void> {
    const f = this.faults;
    if (f.latencyMs) await new Promise((resolve) => setTimeout(resolve, f.latencyMs));
    const over = this.overRateLimit();
    const headers = this.rateLimitHeaders();
    if (over) {
      return this.send(
        res,
        429,
        { errorMessage: 'Rate limit exceeded' },
        { ...headers, 'retry-after': headers['x-ratelimit-reset'] ?? '60' },
      );
    }
    if (f.rateLimited && f.rateLimited.times > 0) {
      const retryAfter = f.rateLimited.retryAfterSeconds;
      if (--f.rateLimited.times <= 0) delete f.rateLimited;
      return this.send(
        res,
        429,
        { errorMessage: 'Rate limit exceeded' },
        { ...headers, ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }) },
      );
    }
    if (
      f.status &&
      f.status.times > 0 &&
      (!f.status.pathPrefix || url.pathname.startsWith(f.status.pathPrefix))
    ) {
      const code = f.status.code;
      if (--f.status.times <= 0) delete f.status;
      return this.send(res, code, { errorMessage: `Sandbox fault: HTTP ${code}` }, headers);
    }
    if (f.connectionResets && f.connectionResets > 0) {
      f.connectionResets--;
      req.socket.destroy();
      return;
    }
    if (f.hangs && f.hangs > 0) {
      f.hangs--;
      return; // never answered; the socket is closed by close()
    }

    const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const token = auth?.[1] ? this.accessTokens.get(auth[1]) : undefined;
    // a deregistered user's tokens are refused whatever their expiry
    if (!token || token.expiresAt <= this.clock.now().getTime() || !this.user(token.userId).registered) {
      return this.send(
        res,
        401,
        { errorMessage: token ? 'Access token expired' : 'Invalid or missing access token' },
        headers,
      );
    }
    const user = this.user(token.userId);
    const path = url.pathname.slice(SANDBOX_API_PATH.length);
    const q = url.searchParams;
    const reply = (status: number, body: unknown) => {
      if (body !== undefined && f.invalidJson && f.invalidJson > 0) {
        f.invalidJson--;
        return this.send(res, status, json(body).slice(0, 12), headers);
      }
      return this.send(res, status, body, headers);
    };

    if (path === '/user/id' && method === 'GET') return reply(200, { userId: user.userId });
    if (path === '/user/permissions' && method === 'GET') return reply(200, user.permissions);
    if (path === '/user/registration' && method === 'DELETE') {
      this.deregister(user.userId);
      this.pending.push({ kind: 'deregistration', userId: user.userId });
      return this.send(res, 204, undefined, headers);
    }
    const pulled = path === '/activities' || path === '/activityDetails';
    if (pulled && method === 'GET') {
      const summaryType: GarminSummaryType = path === '/activities' ? 'activities' : 'activityDetails';
      if (!user.permissions.includes('ACTIVITY_EXPORT')) {
        return reply(403, { errorMessage: 'User has not granted ACTIVITY_EXPORT' });
      }
      const callbackToken = q.get('token');
      let summaries: StoredSummary[];
      if (callbackToken) {
        const delivery = this.callbacks.get(callbackToken);
        if (!delivery || delivery.userId !== user.userId || delivery.summaryType !== summaryType) {
          return reply(400, { errorMessage: 'Unknown or foreign callback token' });
        }
        summaries = delivery.summaries();
      } else {
        const start = Number(q.get('uploadStartTimeInSeconds'));
        const end = Number(q.get('uploadEndTimeInSeconds'));
        if (
          !q.get('uploadStartTimeInSeconds') ||
          !q.get('uploadEndTimeInSeconds') ||
          !Number.isInteger(start) ||
          !Number.isInteger(end)
        ) {
          return reply(400, {
            errorMessage: 'uploadStartTimeInSeconds and uploadEndTimeInSeconds are required integers',
          });
        }
        if (end <= start)
          return reply(400, {
            errorMessage: 'uploadEndTimeInSeconds must be after uploadStartTimeInSeconds',
          });
        if (end - start > DAY_S) {
          return reply(400, {
            errorMessage: `Invalid time range: the upload window is ${end - start} seconds, the maximum is 86400 seconds`,
          });
        }
        summaries = this.uploadedBetween(user, start, end);
      }
      const items = this.itemsOf(summaryType, summaries);
      if (summaryType === 'activities' && f.malformedItems && f.malformedItems > 0) {
        let broken = 0;
        for (let i = 0; i < items.length && broken < f.malformedItems; i++) {
          const item = items[i] as GarminSummaryPayload;
          if (item.isParent) continue;
          items[i] = { ...item, startTimeInSeconds: 'not-a-time' };
          broken++;
        }
        f.malformedItems -= broken;
        if (f.malformedItems <= 0) delete f.malformedItems;
      }
      return reply(200, items);
    }
    const backfilled = path === '/backfill/activities' || path === '/backfill/activityDetails';
    if (backfilled && method === 'GET') {
      const summaryType: GarminSummaryType =
        path === '/backfill/activities' ? 'activities' : 'activityDetails';
      if (!user.permissions.includes('HISTORICAL_DATA_EXPORT')) {
        return reply(403, { errorMessage: 'User has not granted HISTORICAL_DATA_EXPORT' });
      }
      const start = Number(q.get('summaryStartTimeInSeconds'));
      const end = Number(q.get('summaryEndTimeInSeconds'));
      if (!Number.isInteger(start) || !Number.isInteger(end) || end <= start) {
        return reply(400, {
          errorMessage:
            'summaryStartTimeInSeconds and summaryEndTimeInSeconds are required, start before end',
        });
      }
      if (end - start > 30 * DAY_S) {
        return reply(400, {
          errorMessage: `Invalid time range: the backfill window is ${end - start} seconds, the maximum is 30 days`,
        });
      }
      const key = `${summaryType}:${start}-${end}`;
      if (user.backfills.has(key)) return reply(409, { errorMessage: 'Duplicate backfill request' });
      const allowance = this.options.backfillDaysPerMinute;
      if (allowance !== undefined) {
        const nowMs = this.clock.now().getTime();
        if (nowMs >= this.backfillWindow.startedAt + 60_000)
          this.backfillWindow = { startedAt: nowMs, days: 0 };
        const days = Math.ceil((end - start) / DAY_S);
        if (this.backfillWindow.days + days > allowance) {
          const resetS = Math.ceil((this.backfillWindow.startedAt + 60_000 - nowMs) / 1000);
          return this.send(
            res,
            429,
            { errorMessage: `Backfill rate limit: ${allowance} days per minute` },
            {
              'x-ratelimit-limit': String(allowance),
              'x-ratelimit-remaining': String(Math.max(0, allowance - this.backfillWindow.days)),
              'x-ratelimit-reset': String(resetS),
            },
          );
        }
        this.backfillWindow.days += days;
      }
      user.backfills.add(key);
      const requested: PendingNotification = {
        kind: 'backfill',
        summaryType,
        userId: user.userId,
        start,
        end,
      };
      this.pending.push(requested);
      this.scheduleDelivery(requested, 1);
      return this.send(res, 202, undefined, headers);
    }
    return reply(404, { errorMessage: `No such endpoint: ${method} ${url.pathname}` });
  }
}

/** Starts a Garmin sandbox on 127.0.0.1 (port 0 by default). */
export async function startGarminSandbox(options: GarminSandboxOptions = {}): Promise<GarminSandbox> {
  return new GarminSandbox(options).listen();
}
