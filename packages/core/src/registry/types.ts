import type { EncryptionCheck } from '../crypto/plaintext-guard';
import type { JsonValue } from '../model/json';
import type { NormalizedProfile } from '../model/profile';
import type { Provider } from '../provider/v1/provider-v1';
import type { FetchFunction } from '../provider-utils/http-client';
import type { RateLimitTracker } from '../provider-utils/rate-limit-tracker';
import type { Clock } from '../runtime/clock';
import type { Logger } from '../runtime/logger';
import type { ActivityQuery, ActivityRow, Store, SyncRecord, SyncType } from '../store/store';

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
  };
  /** Webhook processing: `background` (default: answer at once, process after) or `inline`. */
  webhookProcessing?: 'background' | 'inline';
  /**
   * With a job queue: an `activity.changed` event that needs requests to the provider enqueues a sync of the
   * connection through this function (e.g. pg-boss `enqueueSync`) instead of fetching in the process that
   * received the webhook. Pushed activities, deletions and deauthorizations are still applied at once.
   */
  enqueueSync?: (connectionId: number) => Promise<void>;
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
  /** `cancelled` only when `signal` aborted the run. */
  status: 'success' | 'failed' | 'cancelled';
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
  };
  readonly webhooks: {
    /** Fetch API in, Fetch API out: verifies, answers handshakes, dedupes, processes (in the background by default). */
    handle(providerId: string, request: Request): Promise<Response>;
    /** Resolves when background webhook processing is done (tests, graceful shutdown). */
    idle(): Promise<void>;
  };
  readonly tokens: {
    /** Re-encrypts every connection's tokens with the current key (after a rotation). Returns how many rows. */
    reencryptAll(): Promise<number>;
  };
  /**
   * Checks the encryption configuration against the store; call it at startup. Throws `EncryptionError`
   * when no key is set but the store holds encrypted tokens; otherwise says whether new tokens will be
   * stored in clear (`storesPlaintext`: warn about it) and how many of each form are stored.
   */
  checkEncryption(): Promise<EncryptionCheck>;
  close(): Promise<void>;
}
