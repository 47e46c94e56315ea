import type { EncryptionCheck } from '../crypto/plaintext-guard';
import type { JsonValue } from '../model/json';
import type { NormalizedProfile } from '../model/profile';
import type { ProviderContext } from '../provider/v1/context';
import type { Provider } from '../provider/v1/provider-v1';
import type { FetchFunction } from '../provider-utils/http-client';
import type { RateLimitTracker } from '../provider-utils/rate-limit-tracker';
import type { Clock } from '../runtime/clock';
import type { Logger } from '../runtime/logger';
import type { ActivityQuery, ActivityRow, Store, SyncRecord, SyncType } from '../store/store';
import type { ActivityDetail, ActivityDetailOptions } from '../streams/activity-detail';
import type {
  StreamsBacklogOptions,
  StreamsBacklogPlan,
  StreamsBacklogRun,
} from '../streams/streams-backlog';
import type { StreamsPolicy, StreamsTickOptions, StreamsTickReport } from '../streams/streams-tick';
import type { WebhookBodyBytes } from '../webhooks/body-budget';

/** The public view of a connection: everything but the tokens, which never leave core. */
export interface Connection {
  id: number;
  userId: number;
  provider: string;
  providerUserId: string;
  scopes: string[];
  profile: NormalizedProfile;
  /** `active`; `reauth_required` (the user must reconnect); `inactive` (disconnected or deauthorized). */
  status: 'active' | 'reauth_required' | 'inactive';
  lastSyncAt: Date | null;
  lastError: string | null;
  tokenExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TrainlyticsOptions {
  store: Store;
  providers: Provider[];
  /**
   * Encrypts tokens at rest with AES-256-GCM: a 32-byte key as 64 hex chars or base64, optionally
   * `kid:key` pairs separated by commas (the first encrypts; all decrypt) for rotation.
   */
  encryptionKey?: string | undefined;
  clock?: Clock;
  fetch?: FetchFunction;
  logger?: Logger;
  /** App-wide rate-limit state (default in memory). */
  rateLimitTracker?: RateLimitTracker;
  /** How long an OAuth state lives (default 10 minutes). */
  stateTtlMs?: number;
  /** Passed to every provider HTTP client: timeout, retries, rate-limit wait cap. */
  http?: {
    timeoutMs?: number;
    maxRetries?: number;
    baseDelayMs?: number;
    maxDelayMs?: number;
    maxRateLimitWaitMs?: number;
    /**
     * After a provider answered that the whole app is suspended (`AppSuspendedError`), how long its syncs
     * wait before one calls again to see whether it works again (default 15 min).
     */
    appSuspendedRetryMs?: number;
  };
  /**
   * Leases serialize a connection's syncs and token refreshes across processes. A lease lives `ttlMs`
   * (default 15 s) and its holder's heartbeat renews it every third of that, so a holder that dies gives
   * it up within seconds. `holderName` names this process in the lease (default `pid 1234 on host`) so a
   * caller waiting for it can say who holds it (see `SyncOptions.onWaiting`).
   */
  lease?: { ttlMs?: number; holderName?: string };
  /** Webhook processing: `background` (default: answer at once, process after) or `inline`. */
  webhookProcessing?: 'background' | 'inline';
  /**
   * The most webhook body bytes held at once, every in-flight delivery together (default 128 MiB). A
   * delivery the budget cannot hold is answered 503 with `Retry-After` instead of being buffered. Must be
   * at least every plugin's `webhooks.maxBodyBytes` (Garmin: 100 MiB by default).
   */
  webhookBodyBudgetBytes?: number;
  /**
   * With a job queue: an `activity.changed` event that needs requests to the provider enqueues a sync of the
   * connection through this function (e.g. pg-boss `enqueueSync`) instead of fetching in the process that
   * received the webhook. Pushed activities, deletions and deauthorizations are still applied at once.
   */
  enqueueSync?: (connectionId: number) => Promise<void>;
  /**
   * The background streams backfill policy (ADR 0032): which activities `streams.tick()` fetches streams
   * for (`maxAgeDays`, `since`, `sportTypes`), the share of each rate-limit window it leaves to summary
   * syncs and webhooks (`reserve`, default 0.3) and the most activities a tick fetches
   * (`maxActivitiesPerTick`, default 20). `streams.plan()` uses the same filters and reserve by default.
   */
  streams?: StreamsPolicy;
}

export interface ConnectStartOptions {
  userId: number;
  redirectUri: string;
  scopes?: string[];
  returnTo?: string;
}

export interface ConnectStartResult {
  url: string;
  state: string;
  expiresAt: Date;
}

export interface ConnectFinishInput {
  /** Either the callback's query parameters (`code`, `state`, `scope`, `error`), or `code` + `state`. */
  callbackParams?: URLSearchParams | Record<string, string>;
  code?: string;
  state?: string;
  /** Must equal the user of the state when given (binds the callback to the signed-in user). */
  userId?: number;
}

export interface SyncOptions {
  full?: boolean;
  signal?: AbortSignal;
  /** `wait` (default): wait for a running sync of the same connection; `skip`: throw `SyncInProgressError`. */
  ifLocked?: 'wait' | 'skip';
  syncType?: SyncType;
  onProgress?: (progress: SyncProgress) => void;
  /**
   * Called when the sync waits for another holder of the connection's lease (another process's sync, a
   * webhook being applied), and again when the holder changes: say so to the person waiting.
   */
  onWaiting?: (wait: SyncWait) => void;
  /**
   * The longest this sync waits for the provider's rate-limit window (a used-up window or a 429) before it
   * stops and ends `deferred` with `retryAt` (default: the host's `http.maxRateLimitWaitMs`, 15 min). A
   * caller that holds a request open (an HTTP handler) passes a few seconds; a job queue passes a few
   * seconds and re-enqueues the job for `retryAt`; a CLI run may keep the default and wait.
   */
  maxRateLimitWaitMs?: number;
}

/** What a sync waits for: who holds the connection's lease and when it expires unless renewed. */
export interface SyncWait {
  connectionId: number;
  /** The holder's name, e.g. `trainlytics sync (pid 1234 on host)`. */
  holder: string;
  expiresAt: Date;
  expiresInMs: number;
}

export interface SyncProgress {
  syncId: number;
  pages: number;
  activitiesCreated: number;
  activitiesUpdated: number;
  activitiesDeleted: number;
  activitiesRejected: number;
  requests: number;
}

export interface SyncResult {
  syncId: number;
  connectionId: number;
  /**
   * `cancelled` only when `signal` aborted the run. `deferred`: the provider's rate limit would have made
   * the run wait longer than `maxRateLimitWaitMs`; every page fetched so far is committed (the cursor
   * kept), and a sync at or after `retryAt` resumes after the last committed page. The caller arranges
   * that sync (the scheduler and the worker do); nothing failed.
   */
  status: 'success' | 'failed' | 'cancelled' | 'deferred';
  /** With `deferred`: the earliest time the provider accepts requests again. Null otherwise. */
  retryAt: Date | null;
  activitiesCreated: number;
  activitiesUpdated: number;
  activitiesDeleted: number;
  activitiesRejected: number;
  requests: number;
  errorName: string | null;
  errorMessage: string | null;
  cursor: JsonValue | null;
}

export interface Trainlytics {
  readonly store: Store;
  getProvider(id: string): Provider;
  readonly providerIds: string[];
  /**
   * The context this instance gives a plugin for app-level calls, outside any connection: the provider's
   * HTTP client built from the instance's fetch, clock, logger, `http` settings and shared rate-limit
   * tracking, with the plugin's user agent and error describer. Pass it to a plugin's webhook subscription
   * helpers (`stravaPushSubscriptions({ context })`, `createPolarWebhook(params, { context })`) so every call
   * to a provider goes one way (ADR 0040). Throws `ConfigurationError` for an unknown provider id. Added for
   * issue 13.
   */
  providerContext(providerId: string): ProviderContext;
  readonly connect: {
    start(providerId: string, options: ConnectStartOptions): Promise<ConnectStartResult>;
    finish(providerId: string, input: ConnectFinishInput): Promise<Connection & { returnTo: string | null }>;
  };
  /**
   * Revokes access at the provider (`revoke`, default true; a failure is logged, not fatal), then marks
   * the connection inactive. Its activities and history stay.
   */
  disconnect(connectionId: number, options?: { revoke?: boolean }): Promise<Connection>;
  /** Never throws for a provider failure: the result says `failed` and why (and `sync_history` too). */
  sync(connectionId: number, options?: SyncOptions): Promise<SyncResult>;
  readonly connections: {
    get(id: number): Promise<Connection | null>;
    list(filter?: { userId?: number; provider?: string; active?: boolean }): Promise<Connection[]>;
  };
  readonly history: {
    list(filter: { connectionId?: number; userId?: number; limit?: number }): Promise<SyncRecord[]>;
  };
  readonly activities: {
    list(query: ActivityQuery): Promise<ActivityRow[]>;
    /**
     * One activity with its streams (samples, laps, route; ADR 0030): the stored ones, or fetched from the
     * provider when missing (or with `refresh`) and stored. Costs requests only when it fetches.
     */
    detail(activityId: number, options?: ActivityDetailOptions): Promise<ActivityDetail>;
  };
  /** The streams backlog (ADR 0030): activities whose streams are not stored yet. */
  readonly streams: {
    /** Fetches missing streams, newest first, leaving `reserve` of the rate budget to summary syncs. */
    backlog(connectionId: number, options?: StreamsBacklogOptions): Promise<StreamsBacklogRun>;
    /**
     * How many are left and how long they take under the budget; null when the provider has no streams.
     * Without options, the `streams` policy of `createTrainlytics` (age, sports, reserve) applies.
     */
    plan(
      connectionId: number,
      options?: Pick<StreamsBacklogOptions, 'since' | 'sportTypes' | 'reserve'>,
    ): Promise<StreamsBacklogPlan | null>;
    /**
     * One tick of the background backfill (ADR 0032): fetches, across all connections, what the `streams`
     * policy and each provider's budget share allow now, least recently served connection first, and
     * nothing for a provider whose summary sync is due (`isSummaryDue`). Call it after your summary syncs
     * (the CLI's scheduler and its `trainlytics-streams` queue do). Never throws for a provider failure.
     */
    tick(options?: StreamsTickOptions): Promise<StreamsTickReport>;
  };
  readonly webhooks: {
    /** Fetch API in, Fetch API out: verifies, answers handshakes, dedupes, processes (in the background by default). */
    handle(providerId: string, request: Request): Promise<Response>;
    /** Resolves when background webhook processing is done (tests, graceful shutdown). */
    idle(): Promise<void>;
    /** The webhook body budget (`webhookBodyBudgetBytes`): bytes held now, the peak, bytes read, 503s. */
    bodyBytes(): WebhookBodyBytes;
  };
  readonly tokens: {
    /** Re-encrypts every connection's tokens with the current key (after a rotation). Returns how many rows. */
    reencryptAll(): Promise<number>;
  };
  /**
   * Checks the encryption configuration against the store; call it at startup. Throws `ConfigurationError`
   * (`setting: 'TRAINLYTICS_ENCRYPTION_KEY'`) when no key is set but the store holds encrypted tokens;
   * otherwise says whether new tokens will be stored in clear (`storesPlaintext`: warn about it) and how many of each form are stored.
   */
  checkEncryption(): Promise<EncryptionCheck>;
  close(): Promise<void>;
}
