import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock, FetchFunction, Provider } from '@trainlytics/core';
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
import { strava } from '../strava-provider';
import type { StravaProviderOptions } from '../strava-settings';
import { renderConsentPage } from './consent-page';
import {
  buildActivity,
  createHistory,
  firstIndexAfter,
  type GeneratedHistory,
  generatedId,
  generatedIndex,
  generatedStartMs,
  type HistoryShape,
  idBase,
  type SandboxActivity,
  toDetailed,
  toStravaJson,
} from './generate-history';
import { generateStreams, recordedSamples } from './generate-streams';
import {
  basicCredentials,
  bearerToken,
  isoSeconds,
  readBody,
  readParams,
  sendJson,
  stravaError,
} from './sandbox-http';
import { type SandboxRateLimit, SandboxRateLimiter } from './sandbox-rate-limiter';
import { SandboxTokens } from './sandbox-tokens';

const DAY_MS = 86_400_000;
const ALL_SCOPES = [
  'read',
  'read_all',
  'profile:read_all',
  'profile:write',
  'activity:read',
  'activity:read_all',
  'activity:write',
];

/**
 * Strava's 2026 developer program (reference §1.6), one switch per condition. All off by default (the API
 * as it answered before the program).
 */
export interface StravaProgramSwitches {
  /**
   * The app is `Inactive` (a Standard-tier app whose owner has no subscription): every API, token, revoke
   * and push-subscription call answers 403
   * `{"message":"Forbidden","errors":[{"resource":"Application","field":"Status","code":"Inactive"}]}`.
   */
  appInactive: boolean;
  /**
   * The most athletes the app may have connected (Standard tier: 10); null = no cap. One more is refused on
   * the consent page (an HTML "Error 403: Limit of connected athletes exceeded", as Strava shows it) and,
   * for a code issued before the cap filled, by the token exchange with a 403 whose body names the limit
   * (`{"message":"Limit of connected athletes exceeded","errors":[{"resource":"Application","field":
   * "connected athletes","code":"limit exceeded"}]}`: Strava does not document the JSON, this is a choice).
   */
  athleteCap: number | null;
  /** `POST /oauth/deauthorize` is gone (404), as from 2027-06-01; `POST /oauth/revoke` answers either way. */
  retireDeauthorize: boolean;
  /**
   * Tokens only in headers, as from 2027-06-01: a request with an `access_token` parameter, or any issued
   * access token in its query or body (except revoke's `token` field), is answered 401.
   */
  headerTokensOnly: boolean;
}

export interface StravaSandboxOptions {
  /** Port on 127.0.0.1 (default 0: a free port). */
  port?: number;
  /**
   * `www` (default): the API under `<origin>/api/v3`, beside OAuth. `api-v3`: the API at the root of a second
   * origin (like `https://api-v3.strava.com`, served from 2027-01-04) and OAuth alone on the first, whose
   * `/api/v3` then answers 404 (a plugin mixing the hosts fails).
   */
  apiBase?: 'www' | 'api-v3';
  /** Port of the API origin with `apiBase: 'api-v3'` (default 0: a free port). */
  apiPort?: number;
  /** The developer-program switches at start (change them with `setProgram`). */
  program?: Partial<StravaProgramSwitches>;
  host?: string;
  /** The app's credentials the token endpoint accepts (defaults `sandbox-client-id` / `sandbox-client-secret`). */
  clientId?: string;
  clientSecret?: string;
  /** The sandbox's time (token expiry, rate-limit windows, new uploads). Default: system time plus `advanceTime`. */
  clock?: Clock;
  /**
   * App-wide rate limit, answered with 429 when exceeded (overall and read buckets alike). `windowMs`
   * defaults to Strava's 15 minutes (windows aligned on the clock, like :00/:15/:30/:45). Defaults are
   * generous (1,000 per window, 100,000 a day) so benchmarks run; pass `{ limit: 200, dailyLimit: 2000 }`
   * for Strava's real numbers.
   */
  rateLimit?: SandboxRateLimit;
  faults?: SandboxFaults;
  /** The push subscription's `hub.verify_token` and id used by `createProvider` and `webhookRequest`. */
  verifyToken?: string;
  subscriptionId?: number;
  /** Answer oldest first when only `after` is given (the community-reported Strava behaviour). Default newest first. */
  ascendingWithAfter?: boolean;
  /** The fetch used to call webhook callbacks (`sendWebhook`, subscription validation). */
  fetch?: FetchFunction;
  /** Where `sendWebhook` posts when given no URL and no push subscription exists (the CLI's `--webhook-url`). */
  webhookUrl?: string;
  /**
   * Activities the list endpoint drops AFTER paginating, as Strava does with what a token may not see: they
   * still take their place in `page`/`per_page` offsets, so a page can hold fewer than `per_page` items
   * while later pages still exist (a short page is not the last). Private activities for a token without
   * `activity:read_all` are always dropped this way; this predicate hides more (they stay readable by id
   * and are not part of `listedActivityIds`). Change it at run time with `setHideFromList`.
   */
  hideFromList?: (activity: SandboxActivity) => boolean;
  /** Extra plugin options for `createProvider` (e.g. a small `pageSize` so short histories span pages). */
  provider?: Omit<
    StravaProviderOptions,
    'clientId' | 'clientSecret' | 'apiUrl' | 'oauthUrl' | 'authorizeUrl' | 'tokenUrl'
  >;
}

/**
 * A generated athlete. The history's awkward shapes (`HistoryShape`): `tieSize` (runs sharing one start
 * second), `startSeconds` (explicit starts, duplicates allowed), `unsafeIds` (every id beyond 2^53),
 * `sportTypes` (default every documented SportType, cycled).
 */
export interface SeedAthleteOptions extends HistoryShape {
  activityCount: number;
  seed?: number;
  /** Choose the athlete id (default: generated). */
  athleteId?: string | number;
  firstname?: string;
  lastname?: string;
  /** Where the generated history ends (default: the sandbox clock's now). */
  historyEnd?: Date;
  /** Give the newest generated activity an id beyond 2^53 (default true). */
  unsafeNewestId?: boolean;
}

/** What the list endpoint was asked (passed to the hook set with `onListActivities`). */
export interface ListActivitiesCall {
  athleteId: string;
  before: number | null;
  after: number | null;
  page: number;
  perPage: number;
  /** 1 for the first list request the sandbox served since it started (or `resetCounters`). */
  callNumber: number;
}

/** An edit through `updateActivity`: any SummaryActivity fields (a new `start_date` moves the activity). */
export type ActivityPatch = Partial<Omit<SandboxActivity, 'id'>>;

/** The conformance events, plus Strava's activity update (`updates` like `{ title, type, private: 'true' }`). */
export type StravaSandboxWebhookEvent =
  | ConformanceWebhookEvent
  | {
      type: 'activity.updated';
      providerUserId: string;
      providerActivityId: string;
      updates?: Record<string, string>;
    };

interface Account {
  number: number;
  athleteId: string;
  seed: number;
  firstname: string;
  lastname: string;
  history: GeneratedHistory;
  /** Activities added (or edited) after seeding, oldest first. */
  extras: SandboxActivity[];
  /** Generated ids whose current version lives in `extras` (edited). */
  moved: Set<string>;
  deleted: Set<string>;
  /** The next index for an added activity's id. */
  nextIndex: number;
  createdAt: string;
}

/** One request the sandbox received (for counters and for asserting where tokens travelled). */
export interface SandboxRequestRecord {
  method: string;
  path: string;
  /** `oauth` (the first origin) or `api` (the second origin of `apiBase: 'api-v3'`). */
  origin: 'oauth' | 'api';
  /** Path and query string as sent. */
  url: string;
  /** The request body as sent ('' when none). */
  body: string;
  /** The `Authorization` scheme (`bearer`, `basic`) or null. */
  authorization: string | null;
}

const INACTIVE_APP_BODY = stravaError('Forbidden', 'Application', 'Status', 'Inactive');
const ATHLETE_LIMIT_BODY = stravaError(
  'Limit of connected athletes exceeded',
  'Application',
  'connected athletes',
  'limit exceeded',
);
const ATHLETE_LIMIT_PAGE = `<!doctype html><html><head><title>Error 403</title></head><body><h1>Error 403: Limit of connected athletes exceeded</h1><p>This app has exceeded the limit of connected athletes. If you are a developer of this application, please contact Strava developer support for how to request a quota increase.</p></body></html>`;

const firstNames = ['Marianne', 'Kilian', 'Eliud', 'Faith', 'Tadej', 'Annemiek', 'Sifan', 'Jakob'];
const lastNames = [
  'Vos',
  'Jornet',
  'Kipchoge',
  'Kipyegon',
  'Pogačar',
  'van Vleuten',
  'Hassan',
  'Ingebrigtsen',
];
const cities = ['Paris', 'Boulder', 'Eldoret', null, 'Girona', 'Utrecht', 'Sandnes', 'Chamonix'];

/** A clock at system time that `advanceTime` moves forward. */
function offsetClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    advance: (ms) => {
      offset += ms;
    },
  };
}

/**
 * A Strava API v3 sandbox: a real HTTP server on 127.0.0.1 with the real API's paths (so a plugin only
 * swaps base URLs), the OAuth consent page, token exchange/refresh with rotation, 6-hour tokens on a
 * controllable clock, `/athlete`, `/athlete/activities`, `/activities/{id}`, deauthorization, push
 * subscriptions, rate-limit headers and 429s, webhook deliveries and fault knobs.
 */
export class StravaSandbox implements ConformanceSandbox {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly verifyToken: string;
  readonly subscriptionId: number;
  readonly clock: Clock;

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly options: StravaSandboxOptions;
  private readonly accounts = new Map<string, Account>();
  private readonly tokens: SandboxTokens;
  private readonly rateLimiter: SandboxRateLimiter;
  private faults: SandboxFaults = {};
  private requests: SandboxRequestRecord[] = [];
  private program: StravaProgramSwitches;
  private readonly apiServer: Server | null;
  private readonly apiOrigin: string | null;
  private subscription: { id: number; callbackUrl: string; verifyToken: string; createdAt: string } | null =
    null;
  private nextAccountNumber = 1;
  private listCalls = 0;
  private listHook: ((call: ListActivitiesCall) => void | Promise<void>) | null = null;
  private hideFromList: ((activity: SandboxActivity) => boolean) | null;
  private recordings = 0;

  /**
   * The detail suite's control (`runProviderDetailSuite`): adds an activity uploaded now whose recording is
   * outdoor (a run or a ride alternately, GPS, heart rate on two in three), indoor (a trainer ride: no GPS)
   * or manual (no streams), and says what its generated streams hold. Strava delivers by pull: no
   * `deliverRequestedStreams`.
   */
  readonly streams: SandboxStreamsControl = {
    addRecordedActivity: (providerUserId, options) =>
      this.addRecordedActivity(providerUserId, options.recording),
  };

  /** @internal use `startStravaSandbox` */
  constructor(
    server: Server,
    baseUrl: string,
    options: StravaSandboxOptions,
    api: { server: Server; origin: string } | null = null,
  ) {
    this.server = server;
    this.baseUrl = baseUrl;
    this.apiServer = api?.server ?? null;
    this.apiOrigin = api?.origin ?? null;
    this.program = {
      appInactive: false,
      athleteCap: null,
      retireDeauthorize: false,
      headerTokensOnly: false,
      ...options.program,
    };
    this.options = options;
    this.clientId = options.clientId ?? 'sandbox-client-id';
    this.clientSecret = options.clientSecret ?? 'sandbox-client-secret';
    this.verifyToken = options.verifyToken ?? 'sandbox-verify-token';
    this.subscriptionId = options.subscriptionId ?? 120475;
    this.clock = options.clock ?? offsetClock();
    this.faults = { ...(options.faults ?? {}) };
    this.hideFromList = options.hideFromList ?? null;
    this.tokens = new SandboxTokens(this.clock);
    this.rateLimiter = new SandboxRateLimiter(this.clock, options.rateLimit);
    const serve = (target: Server, origin: 'oauth' | 'api') => {
      target.on('connection', (socket: Socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
      target.on('request', (req, res) => {
        this.handle(req, res, origin).catch((error: unknown) => {
          if (!res.headersSent) {
            sendJson(res, 500, {
              message: 'Error',
              errors: [{ resource: 'sandbox', field: '', code: String(error) }],
            });
          } else res.destroy();
        });
      });
    };
    serve(server, 'oauth');
    if (api) serve(api.server, 'api');
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

  /** The plugin options that point at this sandbox. */
  providerOptions(options: { fetch?: FetchFunction } = {}): StravaProviderOptions {
    return {
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      apiUrl: this.apiUrl,
      oauthUrl: this.oauthUrl,
      authorizeUrl: this.authorizeUrl,
      tokenUrl: this.tokenUrl,
      webhooks: { verifyToken: this.verifyToken, subscriptionId: this.subscriptionId },
      env: {},
      ...this.options.provider,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
  }

  createProvider(options: { fetch?: FetchFunction } = {}): Provider {
    return strava(this.providerOptions(options));
  }

  // ---------------------------------------------------------------- accounts

  /** Creates an athlete with a generated history. */
  async seedAthlete(options: SeedAthleteOptions): Promise<{ providerUserId: string }> {
    const number = this.nextAccountNumber++;
    const athleteId = String(options.athleteId ?? 20_000_000 + number * 7919);
    if (this.accounts.has(athleteId)) throw new Error(`Athlete ${athleteId} already exists in the sandbox`);
    const seed = options.seed ?? number;
    const now = this.clock.now().getTime();
    const history = createHistory({
      accountNumber: number,
      athleteId,
      seed,
      count: options.activityCount,
      endMs: options.historyEnd?.getTime() ?? Math.floor(now / 1000) * 1000,
      ...(options.unsafeNewestId === undefined ? {} : { unsafeNewestId: options.unsafeNewestId }),
      ...(options.tieSize === undefined ? {} : { tieSize: options.tieSize }),
      ...(options.startSeconds === undefined ? {} : { startSeconds: options.startSeconds }),
      ...(options.unsafeIds === undefined ? {} : { unsafeIds: options.unsafeIds }),
      ...(options.sportTypes === undefined ? {} : { sportTypes: options.sportTypes }),
    });
    this.accounts.set(athleteId, {
      number,
      athleteId,
      seed,
      firstname: options.firstname ?? firstNames[seed % firstNames.length]!,
      lastname: options.lastname ?? lastNames[(seed * 3) % lastNames.length]!,
      history,
      extras: [],
      moved: new Set(),
      deleted: new Set(),
      nextIndex: history.count,
      createdAt: isoSeconds(now - 5 * 365 * DAY_MS),
    });
    return { providerUserId: athleteId };
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
    this.tokens.register(providerUserId, {
      accessToken: options.accessToken,
      refreshToken: options.refreshToken,
      expiresAt: options.expiresAt,
      scopes: options.scopes ?? ['read', 'activity:read_all'],
    });
    return { providerUserId };
  }

  private account(athleteId: string): Account {
    const account = this.accounts.get(athleteId);
    if (!account) throw new Error(`No athlete ${athleteId} in the Strava sandbox`);
    return account;
  }

  /** Adds `count` activities uploaded now, each starting after every earlier one. Returns their ids. */
  async addActivities(providerUserId: string, count: number): Promise<string[]> {
    const account = this.account(providerUserId);
    const now = Math.floor(this.clock.now().getTime() / 1000) * 1000;
    const lastStart = Math.max(
      account.history.count > 0 ? generatedStartMs(account.history, account.history.count - 1) : 0,
      ...account.extras.map((a) => Date.parse(a.start_date)),
    );
    const ids: string[] = [];
    for (let k = 0; k < count; k++) {
      // Uploaded now: starts just before now, strictly after every earlier activity.
      const startMs = Math.max(lastStart + (k + 1) * 1000, now - (count - k) * 60_000);
      ids.push(this.insert(account, startMs, {}));
    }
    return ids;
  }

  private async addRecordedActivity(
    providerUserId: string,
    recording: SandboxRecording,
  ): Promise<SandboxRecordedActivity> {
    const [id] = await this.addActivities(providerUserId, 1);
    const k = this.recordings++;
    const sport = recording === 'outdoor' && k % 2 === 0 ? 'Run' : 'Ride';
    const noGps = {
      start_latlng: [],
      end_latlng: [],
      map: { id: `a${id}`, summary_polyline: '', resource_state: 2 },
    };
    const patch: ActivityPatch = {
      outdoor: {
        sport_type: sport,
        type: sport,
        trainer: false,
        manual: false,
        has_heartrate: k % 3 !== 2,
        start_latlng: [48.85, 2.35],
      },
      indoor: {
        sport_type: 'Ride',
        type: 'Ride',
        trainer: true,
        manual: false,
        has_heartrate: true,
        ...noGps,
      },
      manual: {
        sport_type: 'Run',
        type: 'Run',
        trainer: false,
        manual: true,
        has_heartrate: false,
        ...noGps,
      },
    }[recording];
    await this.updateActivity(providerUserId, id as string, patch);
    const activity = this.getActivity(providerUserId, id as string) as SandboxActivity;
    return { providerActivityId: id as string, recorded: recordedSamples(generateStreams(activity)) };
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
    const account = this.account(providerUserId);
    const ms = typeof options.startDate === 'number' ? options.startDate * 1000 : options.startDate.getTime();
    return this.insert(account, Math.floor(ms / 1000) * 1000, options.fields ?? {});
  }

  /**
   * Edits an activity (any SummaryActivity fields; `start_date` moves it in the list) as an athlete would,
   * e.g. between two page requests of a backfill. Throws when it does not exist.
   */
  async updateActivity(providerUserId: string, activityId: string, patch: ActivityPatch): Promise<void> {
    const account = this.account(providerUserId);
    const current = this.getActivity(providerUserId, activityId);
    if (!current) throw new Error(`No activity ${activityId} of athlete ${providerUserId} in the sandbox`);
    const next: SandboxActivity = { ...current, ...patch, id: current.id };
    if (typeof patch.start_date === 'string') {
      next.start_date = isoSeconds(Math.floor(Date.parse(patch.start_date) / 1000) * 1000);
    }
    account.extras = account.extras.filter((a) => a.id !== activityId);
    if (generatedIndex(account.history, activityId) !== null) account.moved.add(activityId);
    this.insertSorted(account, next);
  }

  private insert(account: Account, startMs: number, fields: ActivityPatch): string {
    const index = account.nextIndex++;
    const id = String(idBase(account.number, account.history.unsafeIds) + BigInt(index));
    const built = buildActivity({
      id,
      athleteId: account.athleteId,
      seed: account.seed,
      index,
      startMs,
      sportTypes: account.history.sportTypes,
    });
    this.insertSorted(account, { ...built, ...fields, id });
    return id;
  }

  private insertSorted(account: Account, activity: SandboxActivity): void {
    account.extras.push(activity);
    account.extras.sort((a, b) => Date.parse(a.start_date) - Date.parse(b.start_date));
  }

  /** Deletes an activity at the "provider" (then send an `activity.deleted` webhook). */
  async deleteActivity(providerUserId: string, activityId: string): Promise<void> {
    this.account(providerUserId).deleted.add(activityId);
  }

  async activityCount(providerUserId: string): Promise<number> {
    const account = this.account(providerUserId);
    let deleted = 0;
    for (const id of account.deleted) if (this.findActivity(account, id)) deleted++;
    return account.history.count - account.moved.size + account.extras.length - deleted;
  }

  /** An activity's SummaryActivity as the API serves it (ids as strings), or null. */
  getActivity(providerUserId: string, activityId: string): SandboxActivity | null {
    const account = this.account(providerUserId);
    return account.deleted.has(activityId) ? null : this.findActivity(account, activityId);
  }

  /** Ids of an athlete's activities, newest first (streams: stops after `limit`). */
  activityIds(providerUserId: string, options: { limit?: number } = {}): string[] {
    const out: string[] = [];
    const account = this.account(providerUserId);
    for (const a of this.iterate(account, { afterMs: null, beforeMs: null, ascending: false })) {
      if (out.length >= (options.limit ?? Number.POSITIVE_INFINITY)) break;
      out.push(a.id);
    }
    return out;
  }

  private findActivity(account: Account, id: string): SandboxActivity | null {
    const extra = account.extras.find((a) => a.id === id);
    if (extra) return extra;
    const index = generatedIndex(account.history, id);
    return index !== null && !account.moved.has(id) ? this.generated(account, index) : null;
  }

  private generated(account: Account, index: number): SandboxActivity {
    return buildActivity({
      id: generatedId(account.history, index),
      athleteId: account.athleteId,
      seed: account.seed,
      index,
      startMs: generatedStartMs(account.history, index),
      sportTypes: account.history.sportTypes,
    });
  }

  /**
   * Every current activity in the window (exclusive bounds), in list order: by start second, then by a
   * stable tie-break that is not the id (Strava does not document one), merged from the generated range
   * and the added/edited ones. Nothing is filtered for visibility here (the list filters after paging).
   */
  private *iterate(
    account: Account,
    q: { afterMs: number | null; beforeMs: number | null; ascending: boolean },
  ): Generator<SandboxActivity> {
    const h = account.history;
    const lo = q.afterMs === null ? 0 : firstIndexAfter(h, q.afterMs);
    const hi = q.beforeMs === null ? h.count : firstIndexAfter(h, q.beforeMs - 1);
    const extras = account.extras.filter((a) => {
      const s = Date.parse(a.start_date);
      return (q.afterMs === null || s > q.afterMs) && (q.beforeMs === null || s < q.beforeMs);
    });
    const dir = q.ascending ? 1 : -1;
    let i = q.ascending ? lo : hi - 1;
    let j = q.ascending ? 0 : extras.length - 1;
    const genLeft = () => (q.ascending ? i < hi : i >= lo);
    const extraLeft = () => (q.ascending ? j < extras.length : j >= 0);
    while (genLeft() || extraLeft()) {
      const g = genLeft() ? generatedStartMs(h, i) : null;
      const e = extraLeft() ? Date.parse(extras[j]!.start_date) : null;
      const ms = g === null ? e! : e === null ? g : q.ascending ? Math.min(g, e) : Math.max(g, e);
      // One start second at a time: gather it from both sources, order by the tie-break.
      const second: SandboxActivity[] = [];
      while (genLeft() && generatedStartMs(h, i) === ms) {
        const id = generatedId(h, i);
        if (!account.moved.has(id)) second.push(this.generated(account, i));
        i += dir;
      }
      while (extraLeft() && Date.parse(extras[j]!.start_date) === ms) {
        second.push(extras[j]!);
        j += dir;
      }
      second.sort((a, b) => dir * (tieKey(a.id) - tieKey(b.id) || (a.id < b.id ? -1 : 1)));
      for (const a of second) if (!account.deleted.has(a.id)) yield a;
    }
  }

  /** Whether the list shows an activity to a token (applied after paging, as Strava does). */
  private listed(activity: SandboxActivity, includePrivate: boolean): boolean {
    return (includePrivate || activity.private !== true) && !this.hideFromList?.(activity);
  }

  /**
   * Ids the list endpoint shows (with `activity:read_all` unless `includePrivate: false`), newest first:
   * the provider's side of a "stored equals provider" check.
   */
  listedActivityIds(providerUserId: string, options: { includePrivate?: boolean } = {}): string[] {
    const account = this.account(providerUserId);
    const out: string[] = [];
    for (const a of this.iterate(account, { afterMs: null, beforeMs: null, ascending: false })) {
      if (this.listed(a, options.includePrivate ?? true)) out.push(a.id);
    }
    return out;
  }

  /**
   * Runs `hook` before every `GET /athlete/activities` is answered (after authentication): a test can edit,
   * add or delete activities between the page requests of a backfill. `null` removes it.
   */
  onListActivities(hook: ((call: ListActivitiesCall) => void | Promise<void>) | null): void {
    this.listHook = hook;
  }

  /** Replaces the `hideFromList` predicate (see the option). */
  setHideFromList(predicate: ((activity: SandboxActivity) => boolean) | null): void {
    this.hideFromList = predicate;
  }

  // ---------------------------------------------------------------- OAuth helpers

  async approve(
    authorizationUrl: string,
    options: { providerUserId: string; deny?: boolean; scopes?: string[] },
  ): Promise<URL> {
    const page = await fetch(authorizationUrl);
    if (page.status !== 200) {
      throw new Error(`The sandbox consent page answered ${page.status}: ${await page.text()}`);
    }
    await page.text();
    const url = new URL(authorizationUrl);
    const form = new URLSearchParams();
    for (const key of ['client_id', 'redirect_uri', 'response_type', 'approval_prompt', 'state']) {
      const v = url.searchParams.get(key);
      if (v !== null) form.set(key, v);
    }
    const requested = (url.searchParams.get('scope') ?? '').split(',').filter(Boolean);
    for (const scope of options.scopes ?? requested) form.append('scope', scope);
    form.set('athlete_id', options.providerUserId);
    form.set('decision', options.deny ? 'deny' : 'approve');
    const res = await fetch(`${this.baseUrl}/oauth/authorize`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) {
      throw new Error(`The sandbox consent form answered ${res.status}: ${await res.text()}`);
    }
    return new URL(location);
  }

  async expireAccessTokens(providerUserId: string): Promise<void> {
    this.tokens.expireAccessTokens(providerUserId);
  }

  /** Moves the sandbox's own clock forward (tokens expire, windows reset). Needs the default clock or one with `advance`. */
  advanceTime(ms: number): void {
    const clock = this.clock as Clock & { advance?: (ms: number) => void };
    if (!clock.advance) throw new Error('The sandbox clock was injected without an advance() method');
    clock.advance(ms);
  }

  /** The refresh token the sandbox currently accepts for an athlete (rotation tests). */
  currentRefreshToken(providerUserId: string): string | null {
    return this.tokens.currentRefreshToken(providerUserId);
  }

  // ---------------------------------------------------------------- developer program

  /** Changes developer-program switches at run time (see `StravaProgramSwitches`). */
  setProgram(program: Partial<StravaProgramSwitches>): void {
    this.program = { ...this.program, ...program };
  }
  getProgram(): StravaProgramSwitches {
    return { ...this.program };
  }
  /** Athletes holding a grant now (what the athlete cap counts). */
  connectedAthletes(): string[] {
    return this.tokens.connectedAthletes();
  }

  /** Every request received, in order (method, origin, URL with query, body, auth scheme). */
  requestLog(): SandboxRequestRecord[] {
    return this.requests.map((r) => ({ ...r }));
  }

  /**
   * Requests that carried an access token the sandbox issued anywhere but the `Authorization` header: in
   * the URL, or in the body (revoke's `token` field excepted, the one place Strava wants a token there).
   * After 2027-06-01 Strava refuses every one of them; a plugin must make this empty.
   */
  tokenLeaks(): SandboxRequestRecord[] {
    return this.requests.filter((r) => this.leaksToken(r));
  }

  private leaksToken(r: SandboxRequestRecord): boolean {
    const url = new URL(r.url, 'http://sandbox');
    if (url.searchParams.has('access_token')) return true;
    const body = new URLSearchParams(r.body);
    if (body.has('access_token')) return true;
    const revoke = r.path === '/oauth/revoke';
    const bodyWithoutRevokeToken = revoke ? r.body.replace(/(^|&)token=[^&]*/, '') : r.body;
    for (const token of this.tokens.issuedAccessTokens()) {
      if (r.url.includes(token) || bodyWithoutRevokeToken.includes(token)) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- faults and counters

  setFaults(faults: SandboxFaults): void {
    this.faults = { ...this.faults, ...faults };
  }
  resetFaults(): void {
    this.faults = {};
  }
  requestCount(filter: { pathPrefix?: string; method?: string } = {}): number {
    return this.requests.filter((r) => {
      if (filter.method && r.method !== filter.method.toUpperCase()) return false;
      if (!filter.pathPrefix) return true;
      const apiPath = r.path.startsWith('/api/v3') ? r.path.slice('/api/v3'.length) : r.path;
      return r.path.startsWith(filter.pathPrefix) || apiPath.startsWith(filter.pathPrefix);
    }).length;
  }
  resetCounters(): void {
    this.requests = [];
    this.listCalls = 0;
  }

  // ---------------------------------------------------------------- webhooks

  /** The JSON body Strava would POST for an event (ids written as JSON numbers, like Strava). */
  webhookBody(event: StravaSandboxWebhookEvent): string {
    const common = {
      event_time: Math.floor(this.clock.now().getTime() / 1000),
      owner_id: event.providerUserId,
      subscription_id: this.subscriptionId,
    };
    if (event.type === 'deauthorized') {
      return toStravaJson({
        ...common,
        aspect_type: 'update',
        object_id: event.providerUserId,
        object_type: 'athlete',
        updates: { authorized: 'false' },
      });
    }
    const aspect = {
      'activity.created': 'create',
      'activity.updated': 'update',
      'activity.deleted': 'delete',
    };
    return toStravaJson({
      ...common,
      aspect_type: aspect[event.type],
      object_id: event.providerActivityId,
      object_type: 'activity',
      updates: event.type === 'activity.updated' ? (event.updates ?? { title: 'Renamed' }) : {},
    });
  }

  async webhookRequest(event: StravaSandboxWebhookEvent, options: { url?: string } = {}): Promise<Request> {
    // Strava sends the deauthorization event after the athlete revoked the app: its tokens are dead.
    if (event.type === 'deauthorized') this.tokens.revokeAthlete(event.providerUserId);
    return new Request(options.url ?? this.subscription?.callbackUrl ?? 'http://127.0.0.1/webhooks/strava', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'faraday v0.9.2' },
      body: this.webhookBody(event),
    });
  }

  /**
   * POSTs an event to `url` (default: the push subscription's callback, then `webhookUrl`) as Strava does;
   * resolves with the app's answer. Never null: Strava has a webhook for every event here (the type is the
   * one all three sandboxes share, where null means the provider sends nothing).
   */
  async sendWebhook(event: StravaSandboxWebhookEvent, url?: string): Promise<SandboxWebhookResponse | null> {
    const target = url ?? this.subscription?.callbackUrl ?? this.options.webhookUrl;
    if (!target) throw new Error('sendWebhook needs a URL (or a push subscription, or webhookUrl)');
    const request = await this.webhookRequest(event, { url: target });
    return toSandboxWebhookResponse(await (this.options.fetch ?? fetch)(request));
  }

  /** The sandbox listens from the start: this only answers the sandbox (idempotent, like the others'). */
  async listen(): Promise<this> {
    return this;
  }

  async close(): Promise<void> {
    const servers = this.apiServer ? [this.server, this.apiServer] : [this.server];
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(closed);
  }

  // ---------------------------------------------------------------- HTTP

  private async handle(req: IncomingMessage, res: ServerResponse, origin: 'oauth' | 'api'): Promise<void> {
    const url = new URL(req.url ?? '/', origin === 'api' ? this.apiOrigin! : this.baseUrl);
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const text = await readBody(req);
    // sandbox-only control endpoints (`/_sandbox/…`), outside the request log, faults and rate limits
    const control = {
      hasAccount: (id: string) => this.accounts.has(id),
      addActivities: (id: string, count: number) => this.addActivities(id, count),
      sendWebhook: (event: ConformanceWebhookEvent, to?: string) => this.sendWebhook(event, to),
    };
    if (await handleSandboxControl(control, { method, path, body: text }, res)) return;
    const scheme = /^(\w+)\s/.exec(req.headers.authorization ?? '')?.[1]?.toLowerCase() ?? null;
    const record: SandboxRequestRecord = {
      method,
      path,
      origin,
      url: `${url.pathname}${url.search}`,
      body: text,
      authorization: scheme,
    };
    this.requests.push(record);

    if (this.program.headerTokensOnly && this.leaksToken(record)) {
      // From 2027-06-01 Strava reads tokens only from the Authorization header.
      return sendJson(
        res,
        401,
        stravaError(
          'Authorization Error',
          'Athlete',
          'access_token',
          'not accepted as a parameter: use the Authorization header',
        ),
      );
    }
    const consent = path === '/oauth/authorize' || path === '/oauth/mobile/authorize';
    if (this.program.appInactive && !consent && path !== '/') return sendJson(res, 403, INACTIVE_APP_BODY);

    if (origin === 'api') return this.api(req, res, url, method, path, text);
    if (consent) {
      return method === 'POST' ? this.consentDecision(req, res, url, text) : this.consentPage(res, url);
    }
    if ((path === '/oauth/token' || path === '/api/v3/oauth/token') && method === 'POST') {
      return this.token(req, res, url, text);
    }
    if (path === '/oauth/revoke' && method === 'POST') return this.revoke(req, res, url, text);
    if (path === '/oauth/deauthorize' && method === 'POST' && !this.program.retireDeauthorize) {
      return this.deauthorize(req, res, url, text);
    }
    if (path === '/' && method === 'GET') {
      return sendJson(res, 200, { sandbox: 'strava', ...this.env() });
    }
    if (path.startsWith('/api/v3/') && !this.apiOrigin) {
      return this.api(req, res, url, method, path.slice('/api/v3'.length), text);
    }
    sendJson(res, 404, stravaError('Record Not Found', 'resource', 'path', 'invalid'));
  }

  private consume<K extends 'connectionResets' | 'hangs' | 'invalidJson'>(key: K): number {
    const n = this.faults[key] ?? 0;
    if (n > 0) this.faults[key] = (n - 1) as SandboxFaults[K];
    return n;
  }

  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    path: string,
    text: string,
  ): Promise<void> {
    if (this.faults.latencyMs) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.consume('connectionResets') > 0) {
      req.socket.destroy();
      return;
    }
    if (this.consume('hangs') > 0) return; // never answered; the socket is destroyed on close()

    const overLimit = this.rateLimiter.count(method === 'GET');
    const headers = this.rateLimiter.headers();
    const rateLimited = this.faults.rateLimited;
    if (rateLimited && rateLimited.times > 0) {
      if (rateLimited.times <= 1) delete this.faults.rateLimited;
      else this.faults.rateLimited = { ...rateLimited, times: rateLimited.times - 1 };
      const extra: Record<string, string> =
        rateLimited.retryAfterSeconds === undefined
          ? {}
          : { 'Retry-After': String(rateLimited.retryAfterSeconds) };
      // A real 429 reports the short window as used up.
      return sendJson(res, 429, stravaError('Rate Limit Exceeded', 'Application', 'rate limit', 'exceeded'), {
        ...this.rateLimiter.headers(true),
        ...extra,
      });
    }
    if (overLimit) {
      return sendJson(
        res,
        429,
        stravaError('Rate Limit Exceeded', 'Application', 'rate limit', 'exceeded'),
        headers,
      );
    }
    const status = this.faults.status;
    if (
      status &&
      status.times > 0 &&
      (!status.pathPrefix ||
        `/api/v3${path}`.startsWith(status.pathPrefix) ||
        path.startsWith(status.pathPrefix))
    ) {
      if (status.times <= 1) delete this.faults.status;
      else this.faults.status = { ...status, times: status.times - 1 };
      return sendJson(
        res,
        status.code,
        { message: status.code >= 500 ? 'Error' : 'Bad Request', errors: [] },
        headers,
      );
    }
    if (this.consume('invalidJson') > 0) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end('[{"resource_state":2,"id":');
      return;
    }

    if (path.startsWith('/push_subscriptions'))
      return this.pushSubscriptions(req, res, url, method, path, headers, text);

    const token = this.tokens.authenticate(
      bearerToken(req, url.searchParams, !this.program.headerTokensOnly),
    );
    if (!token) {
      return sendJson(
        res,
        401,
        stravaError('Authorization Error', 'Athlete', 'access_token', 'invalid'),
        headers,
      );
    }
    const account = this.account(token.athleteId);
    const can = (...scopes: string[]) => scopes.some((s) => token.scopes.includes(s));

    if (method === 'GET' && path === '/athlete')
      return sendJson(res, 200, this.athleteJson(account, can('profile:read_all')), headers);

    if (method === 'GET' && path === '/athlete/activities') {
      if (!can('activity:read', 'activity:read_all')) {
        return sendJson(
          res,
          401,
          stravaError('Authorization Error', 'AccessToken', 'activity:read_permission', 'missing'),
          headers,
        );
      }
      return this.listActivities(res, url, account, can('activity:read_all'), headers);
    }

    // `/activities/{id}`, and its `/streams` and `/laps`: the same visibility rules for all three
    const match = /^\/activities\/(\d+)(?:\/(streams|laps))?$/.exec(path);
    if (method === 'GET' && match) {
      const activity = this.getActivity(account.athleteId, match[1]!);
      const visible =
        activity &&
        (activity.private !== true || can('activity:read_all')) &&
        can('activity:read', 'activity:read_all');
      if (!activity || !visible) {
        return sendJson(res, 404, stravaError('Record Not Found', 'Activity', 'id', 'invalid'), headers);
      }
      if (!match[2]) return sendJson(res, 200, toDetailed(activity), headers);
      const generated = generateStreams(activity);
      if (match[2] === 'laps') return sendJson(res, 200, generated.laps, headers);
      if (url.searchParams.get('key_by_type') !== 'true') {
        return sendJson(
          res,
          200,
          Object.entries(generated.streams).map(([type, s]) => ({ type, ...s })),
          headers,
        );
      }
      const keys = (url.searchParams.get('keys') ?? '').split(',').filter(Boolean);
      const wanted = Object.fromEntries(
        Object.entries(generated.streams).filter(([type]) => type === 'distance' || keys.includes(type)),
      );
      return sendJson(res, 200, wanted, headers);
    }
    sendJson(res, 404, stravaError('Record Not Found', 'resource', 'path', 'invalid'), headers);
  }

  private async listActivities(
    res: ServerResponse,
    url: URL,
    account: Account,
    includePrivate: boolean,
    headers: Record<string, string>,
  ): Promise<void> {
    const int = (name: string) => {
      const v = url.searchParams.get(name);
      if (v === null || v === '') return null;
      return /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
    };
    const before = int('before');
    const after = int('after');
    const page = int('page') ?? 1;
    const perPage = int('per_page') ?? 30;
    if ([before, after, page, perPage].some((v) => Number.isNaN(v)) || page < 1 || perPage < 1) {
      sendJson(res, 400, stravaError('Bad Request', 'Activity', 'page', 'invalid'), headers);
      return;
    }
    const size = Math.min(200, perPage);
    await this.listHook?.({
      athleteId: account.athleteId,
      before,
      after,
      page,
      perPage: size,
      callNumber: ++this.listCalls,
    });
    const ascending = this.options.ascendingWithAfter === true && after !== null && before === null;
    const paged: SandboxActivity[] = [];
    let skip = (page - 1) * size;
    for (const a of this.iterate(account, {
      afterMs: after === null ? null : after * 1000,
      beforeMs: before === null ? null : before * 1000,
      ascending,
    })) {
      if (skip > 0) {
        skip--;
        continue;
      }
      paged.push(a);
      if (paged.length >= size) break;
    }
    // Filtered after paging, like Strava: a page may be short with later pages still to come.
    const items = paged.filter((a) => this.listed(a, includePrivate));
    // N items of the next list response, then cleared.
    const malformed = this.faults.malformedItems ?? 0;
    delete this.faults.malformedItems;
    for (let k = 0; k < Math.min(malformed, items.length); k++) {
      items[k] = { ...items[k]!, start_date: 12345 as unknown as string };
    }
    sendJson(res, 200, items, headers);
  }

  private athleteJson(account: Account, detailed: boolean): Record<string, unknown> {
    const placeholder = account.number % 2 === 0;
    const summary: Record<string, unknown> = {
      id: Number(account.athleteId),
      username: `${account.firstname}${account.lastname}`.toLowerCase().replace(/[^a-z]/g, ''),
      resource_state: detailed ? 3 : 2,
      firstname: account.firstname,
      lastname: account.lastname,
      bio: null,
      city: cities[account.seed % cities.length] ?? null,
      state: null,
      country: account.seed % cities.length === 3 ? null : 'France',
      sex: account.seed % 3 === 0 ? null : account.seed % 3 === 1 ? 'F' : 'M',
      premium: true,
      summit: true,
      created_at: account.createdAt,
      updated_at: account.createdAt,
      badge_type_id: 1,
      weight: 62.5,
      profile_medium: placeholder
        ? 'avatar/athlete/medium.png'
        : `https://dgalywyr863hv.cloudfront.net/pictures/athletes/${account.athleteId}/medium.jpg`,
      profile: placeholder
        ? 'avatar/athlete/large.png'
        : `https://dgalywyr863hv.cloudfront.net/pictures/athletes/${account.athleteId}/large.jpg`,
      friend: null,
      follower: null,
    };
    if (!detailed) return summary;
    return {
      ...summary,
      follower_count: 5,
      friend_count: 5,
      mutual_friend_count: 0,
      athlete_type: 1,
      date_preference: '%m/%d/%Y',
      measurement_preference: account.seed % 2 === 0 ? 'meters' : 'feet',
      clubs: [],
      ftp: null,
      bikes: [],
      shoes: [],
    };
  }

  // ---------------------------------------------------------------- OAuth endpoints

  private consentPage(res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const problem =
      q.get('client_id') !== this.clientId
        ? stravaError('Bad Request', 'Application', 'client_id', 'invalid')
        : !q.get('redirect_uri')
          ? stravaError('Bad Request', 'Application', 'redirect_uri', 'invalid')
          : q.get('response_type') !== 'code'
            ? stravaError('Bad Request', 'Application', 'response_type', 'invalid')
            : null;
    if (problem) {
      sendJson(res, 400, problem);
      return;
    }
    const requested = (q.get('scope') ?? 'read').split(',').filter((s) => ALL_SCOPES.includes(s));
    const hidden: Record<string, string> = {};
    for (const key of ['client_id', 'redirect_uri', 'response_type', 'approval_prompt', 'state']) {
      const v = q.get(key);
      if (v !== null) hidden[key] = v;
    }
    const html = renderConsentPage({
      action: '/oauth/authorize',
      hidden,
      scopes: requested.includes('read') ? requested : ['read', ...requested],
      athletes: [...this.accounts.values()].map((a) => ({
        id: a.athleteId,
        name: `${a.firstname} ${a.lastname}`,
      })),
      selectedAthleteId: q.get('athlete_id') ?? undefined,
    });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  }

  private async consentDecision(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    text: string,
  ): Promise<void> {
    const form = readParams(req, url, text);
    const redirectUri = form.get('redirect_uri');
    if (form.get('client_id') !== this.clientId || !redirectUri) {
      return sendJson(res, 400, stravaError('Bad Request', 'Application', 'client_id', 'invalid'));
    }
    const target = new URL(redirectUri);
    const state = form.get('state');
    if (state !== null) target.searchParams.set('state', state);
    if (form.get('decision') !== 'approve') {
      target.searchParams.set('error', 'access_denied');
    } else {
      const athleteId = form.get('athlete_id') ?? '';
      if (!this.accounts.has(athleteId)) {
        return sendJson(res, 400, stravaError('Bad Request', 'Athlete', 'athlete_id', 'invalid'));
      }
      if (this.capReached(athleteId)) {
        // Strava refuses on its own page: the app's callback is never called.
        res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' });
        res.end(ATHLETE_LIMIT_PAGE);
        return;
      }
      const scopes = [...new Set(['read', ...form.getAll('scope').flatMap((s) => s.split(','))])].filter(
        (s) => ALL_SCOPES.includes(s),
      );
      const code = this.tokens.createCode(athleteId, scopes);
      target.searchParams.set('code', code);
      target.searchParams.set('scope', scopes.join(','));
    }
    res.writeHead(302, { location: target.toString() });
    res.end();
  }

  /** Whether connecting this athlete would exceed the athlete cap (an athlete already connected may reconnect). */
  private capReached(athleteId: string): boolean {
    const cap = this.program.athleteCap;
    if (cap === null) return false;
    const connected = this.tokens.connectedAthletes();
    return !connected.includes(athleteId) && connected.length >= cap;
  }

  private async token(req: IncomingMessage, res: ServerResponse, url: URL, text: string): Promise<void> {
    const form = readParams(req, url, text);
    if (form.get('client_id') !== this.clientId) {
      return sendJson(res, 400, stravaError('Bad Request', 'Application', 'client_id', 'invalid'));
    }
    if (form.get('client_secret') !== this.clientSecret) {
      return sendJson(res, 400, stravaError('Bad Request', 'Application', 'client_secret', 'invalid'));
    }
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const athleteId = this.tokens.codeAthlete(form.get('code') ?? '');
      if (athleteId !== null && this.capReached(athleteId)) {
        // a code issued before the cap filled: refused at the exchange (and still consumed)
        this.tokens.discardCode(form.get('code') ?? '');
        return sendJson(res, 403, ATHLETE_LIMIT_BODY);
      }
      const issued = this.tokens.exchangeCode(form.get('code') ?? '');
      if (!issued) {
        return sendJson(res, 400, stravaError('Bad Request', 'AuthorizationCode', 'code', 'invalid'));
      }
      return sendJson(res, 200, {
        ...this.tokens.tokenResponse(issued.accessToken, issued.refreshToken),
        athlete: this.athleteJson(this.account(issued.athleteId), false),
      });
    }
    if (grantType === 'refresh_token') {
      const refreshed = this.faults.rejectRefresh
        ? null
        : this.tokens.refresh(form.get('refresh_token') ?? '');
      if (!refreshed) {
        return sendJson(res, 400, stravaError('Bad Request', 'RefreshToken', 'refresh_token', 'invalid'));
      }
      return sendJson(res, 200, this.tokens.tokenResponse(refreshed.accessToken, refreshed.refreshToken));
    }
    sendJson(res, 400, stravaError('Bad Request', 'Application', 'grant_type', 'invalid'));
  }

  /**
   * `POST /oauth/revoke` (RFC 7009, Strava since 2026-06-01): the app authenticates with HTTP Basic
   * `client_id:client_secret`; the form's `token` is an access or a refresh token (`token_type_hint`
   * optional, an unknown hint ignored); revoking either revokes every token of the grant. 200 with an empty
   * body, also for a token that is unknown or already revoked.
   */
  private async revoke(req: IncomingMessage, res: ServerResponse, url: URL, text: string): Promise<void> {
    const client = basicCredentials(req);
    if (!client || client.id !== this.clientId || client.secret !== this.clientSecret) {
      res.setHeader('www-authenticate', 'Basic realm="strava"');
      return sendJson(res, 401, stravaError('Authorization Error', 'Application', 'client_id', 'invalid'));
    }
    if (
      url.searchParams.has('token') ||
      !(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')
    ) {
      // RFC 7009: the token is a form parameter of the POST body, never in the URL
      return sendJson(res, 400, stravaError('Bad Request', 'Application', 'token', 'invalid'));
    }
    const token = new URLSearchParams(text).get('token');
    if (!token) return sendJson(res, 400, stravaError('Bad Request', 'Application', 'token', 'missing'));
    this.tokens.revokeToken(token);
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  }

  private async deauthorize(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    text: string,
  ): Promise<void> {
    const presented = bearerToken(req, readParams(req, url, text), !this.program.headerTokensOnly);
    const token = this.tokens.authenticate(presented);
    if (!token) {
      return sendJson(res, 401, stravaError('Authorization Error', 'Athlete', 'access_token', 'invalid'));
    }
    this.tokens.revokeAthlete(token.athleteId);
    sendJson(res, 200, { access_token: presented });
  }

  // ---------------------------------------------------------------- push subscriptions

  private async pushSubscriptions(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    path: string,
    headers: Record<string, string>,
    text: string,
  ): Promise<void> {
    const form = readParams(req, url, text);
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret) {
      return sendJson(
        res,
        401,
        stravaError('Authorization Error', 'Application', 'client_id', 'invalid'),
        headers,
      );
    }
    if (method === 'GET' && path === '/push_subscriptions') {
      const list = this.subscription
        ? [
            {
              id: this.subscription.id,
              resource_state: 2,
              application_id: 1,
              callback_url: this.subscription.callbackUrl,
              created_at: this.subscription.createdAt,
              updated_at: this.subscription.createdAt,
            },
          ]
        : [];
      return sendJson(res, 200, list, headers);
    }
    if (method === 'POST' && path === '/push_subscriptions') {
      if (this.subscription) {
        return sendJson(
          res,
          400,
          stravaError('Bad Request', 'PushSubscription', '', 'already exists'),
          headers,
        );
      }
      const callbackUrl = form.get('callback_url') ?? '';
      const verifyToken = form.get('verify_token') ?? '';
      const challenge = randomBytes(8).toString('hex');
      const ok = await this.validateCallback(callbackUrl, verifyToken, challenge);
      if (!ok) {
        return sendJson(
          res,
          400,
          stravaError(
            'Bad Request',
            'PushSubscription',
            'callback url',
            'GET to callback URL does not return 200',
          ),
          headers,
        );
      }
      this.subscription = {
        id: this.subscriptionId,
        callbackUrl,
        verifyToken,
        createdAt: isoSeconds(this.clock.now().getTime()),
      };
      return sendJson(res, 201, { id: this.subscriptionId }, headers);
    }
    const match = /^\/push_subscriptions\/(\d+)$/.exec(path);
    if (method === 'DELETE' && match) {
      if (!this.subscription || String(this.subscription.id) !== match[1]) {
        return sendJson(
          res,
          404,
          stravaError('Record Not Found', 'PushSubscription', 'id', 'invalid'),
          headers,
        );
      }
      this.subscription = null;
      res.writeHead(204, headers);
      res.end();
      return;
    }
    sendJson(res, 404, stravaError('Record Not Found', 'resource', 'path', 'invalid'), headers);
  }

  /** Strava's validation GET: the callback must echo `hub.challenge` as JSON within 2 seconds. */
  private async validateCallback(
    callbackUrl: string,
    verifyToken: string,
    challenge: string,
  ): Promise<boolean> {
    try {
      const target = new URL(callbackUrl);
      target.searchParams.set('hub.verify_token', verifyToken);
      target.searchParams.set('hub.challenge', challenge);
      target.searchParams.set('hub.mode', 'subscribe');
      const res = await (this.options.fetch ?? fetch)(target, { signal: AbortSignal.timeout(2000) });
      if (res.status !== 200) return false;
      const body = (await res.json()) as Record<string, unknown>;
      return body['hub.challenge'] === challenge;
    } catch {
      return false;
    }
  }
}

/** Starts a Strava sandbox on 127.0.0.1 (port 0 by default); with `apiBase: 'api-v3'` on two origins. */
export async function startStravaSandbox(options: StravaSandboxOptions = {}): Promise<StravaSandbox> {
  const host = options.host ?? '127.0.0.1';
  const listen = async (port: number) => {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}` };
  };
  const oauth = await listen(options.port ?? 0);
  const api = options.apiBase === 'api-v3' ? await listen(options.apiPort ?? 0) : null;
  return new StravaSandbox(oauth.server, oauth.origin, options, api);
}

/** A stable tie-break within one start second that is not the id order (FNV-1a of the id). */
function tieKey(id: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193) >>> 0;
  return h;
}
