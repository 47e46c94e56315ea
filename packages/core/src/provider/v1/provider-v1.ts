import type { JsonValue } from '../../model/json';
import type { NormalizedProfile } from '../../model/profile';
import type { FetchFunction } from '../../provider-utils/http-client';
import type { ActivityBatch, ActivityPage, ListActivitiesRequest } from './activities';
import type { ConnectionContext, ProviderContext } from './context';
import type { RateLimitSpec } from './rate-limit';
import type { ProviderStreamsV1 } from './streams';
import type { TokenSet } from './tokens';
import type { WebhookEvent, WebhookRequest, WebhookRequestHead, WebhookResponse } from './webhook';

/**
 * What a plugin can do, never branched on by provider id. `defineProvider` (and so `createTrainlytics`) refuses
 * a plugin whose capabilities disagree with what it implements; see ADR 0037 for who reads each one.
 */
export interface ProviderCapabilities {
  /**
   * Access tokens can be refreshed with a refresh token (Strava, Garmin; not Polar). Core refreshes only
   * then; requires `oauth.refresh`.
   */
  refresh: boolean;
  /** The authorization flow uses PKCE (S256): core creates and stores the verifier. */
  pkce: boolean;
  /** The plugin implements `webhooks` (required then). */
  webhooks: boolean;
  /**
   * How a full backfill arrives: `pull` (the sync pages through the history) or `async` (the sync only asks
   * for it; the provider delivers it later by webhook, so `webhooks` is required). Core's sync is the same
   * either way; hosts read it to tell people when the history will be there (the CLI dashboard, the
   * conformance kit).
   */
  backfill: 'pull' | 'async';
  /**
   * The plugin registers the user with the provider after authorization (Polar), in `afterAuthorize`
   * (required then): a failed registration aborts the connection.
   */
  registration: boolean;
}

export interface AuthorizationUrlParams {
  state: string;
  redirectUri: string;
  scopes: string[];
  /** The S256 PKCE challenge, when `capabilities.pkce`. */
  codeChallenge?: string;
}

export interface ExchangeCodeParams {
  code: string;
  redirectUri: string;
  /** The PKCE verifier, when `capabilities.pkce`. */
  codeVerifier?: string;
  /** Every query parameter of the callback (Strava's granted `scope`, …). */
  callbackParams: URLSearchParams;
}

export interface AuthorizationResult {
  tokens: TokenSet;
  /** The account id, when the token response carries it (Strava `athlete.id`, Polar `x_user_id`). */
  providerUserId?: string;
  /** The profile, when the token response carries it (Strava's `athlete`): saves a request. */
  profile?: NormalizedProfile;
}

export interface AfterAuthorizeResult {
  /** Replaces the granted scopes (e.g. Garmin permissions read from the API). */
  scopes?: string[];
  providerUserId?: string;
  profile?: NormalizedProfile;
}

export interface ProviderOAuthV1 {
  /** Scopes requested when the host app does not choose. */
  defaultScopes: string[];
  /** Refresh this many seconds before expiry (default 300). */
  refreshMarginSeconds?: number;
  /**
   * Throws a `ConfigurationError` naming each setting the code exchange will need but cannot read (a missing
   * client secret, …). `connect.start` calls it before anything else (added in core 0.1.x; optional), so a
   * missing secret is refused before the user is sent to the consent page, not found after they approved.
   * Plugins built on `resolveProviderCredentials` pass `settings.checkCredentials`.
   */
  checkConfiguration?(): void;
  authorizationUrl(params: AuthorizationUrlParams): URL;
  /** Exchanges the callback's code. Must not be retried (codes are single-use). */
  exchangeCode(params: ExchangeCodeParams, ctx: ProviderContext): Promise<AuthorizationResult>;
  /** Required when `capabilities.refresh`. Must return the rotated refresh token when the provider issues one. */
  refresh?(params: { refreshToken: string }, ctx: ProviderContext): Promise<TokenSet>;
  /** Revokes access / deregisters the user at the provider (called by `disconnect`). */
  revoke?(ctx: ConnectionContext): Promise<void>;
}

/**
 * What the provider answered when asked, with the connection's own token, whether its access still works.
 *
 * - `authorized`: the call succeeded: the access was not revoked.
 * - `revoked`: a definitive refusal: the token was refused and so was the refresh grant (`invalid_grant`,
 *   400/401), or the connection had already been marked `reauth_required` after such a refusal.
 * - `unknown`: the provider could not tell now (5xx, 429, timeout, network error, a 401 after a refresh
 *   that succeeded, …). Core keeps the connection as it is, records the doubt on it and lets the next
 *   token use (the next sync) decide.
 *
 * `confirmAccess` from `@trainlytics/core` turns a probe request into this answer.
 */
export type AccessConfirmation = 'authorized' | 'revoked' | 'unknown';

/** The permissions the user currently grants, read from the provider (`confirmPermissions`). */
export type PermissionsConfirmation =
  | { status: 'authorized'; scopes: string[] }
  | { status: 'revoked' }
  | { status: 'unknown' };

export interface ProviderWebhooksV1 {
  /** The largest body accepted (default 1 MiB); larger ones are refused with 413 before anything else. */
  maxBodyBytes?: number;
  /**
   * Runs before the body is read (added in core 0.1.1): throws `WebhookVerificationError` to refuse a
   * delivery on its method, URL and headers alone (e.g. a missing credential or signature header), so an
   * unauthenticated sender costs no memory. `verify` still runs on the whole request afterwards.
   */
  verifyHeaders?(request: WebhookRequestHead, ctx: ProviderContext): Promise<void> | void;
  /**
   * Answers a provider's handshake (Strava's `hub.challenge` GET, Polar's PING) and returns its response,
   * or null when the request is not a handshake.
   */
  handshake?(
    request: WebhookRequest,
    ctx: ProviderContext,
  ): Promise<WebhookResponse | null> | WebhookResponse | null;
  /** Throws `WebhookVerificationError` unless the request provably comes from the provider. Runs before `parse`. */
  verify(request: WebhookRequest, ctx: ProviderContext): Promise<void> | void;
  /** Turns a verified delivery into events. Throws `ValidationError` for a malformed body. */
  parse(request: WebhookRequest, ctx: ProviderContext): Promise<WebhookEvent[]> | WebhookEvent[];
  /**
   * For providers whose deauthorization events cannot be authenticated (Strava signs nothing, Garmin's
   * client id is public): asks the provider, with the connection's token, whether access was revoked.
   * Core deactivates the connection only on `revoked` (or when this method is absent); `authorized`
   * ignores the event; `unknown` keeps the connection, records it and leaves the decision to the next
   * token use. Throwing counts as `unknown`.
   *
   * Changed in core 0.1.1: it returned a boolean (true = deactivate), which could not say "cannot tell
   * now". A plugin built for the old contract still works: `false` reads as `authorized`, `true` as
   * `unknown` (never as `revoked`: the old Strava plugin also answered true when Strava was down).
   * See docs/decisions/0005-tri-state-access-confirmation.md.
   */
  confirmDeauthorization?(ctx: ConnectionContext): Promise<AccessConfirmation>;
  /**
   * For providers whose permission-change events cannot be authenticated (Garmin): reads the permissions
   * the user grants now. Core stores these scopes (never the event's) on `authorized`, deactivates the
   * connection on `revoked`, and on `unknown` keeps the stored scopes and records it. Without this method,
   * core stores the event's scopes. Added in core 0.1.1.
   */
  confirmPermissions?(ctx: ConnectionContext): Promise<PermissionsConfirmation>;
}

/**
 * The contract every Trainlytics provider plugin implements, version 1.
 *
 * A plugin owns only what is true of its API: endpoints, payload schemas, mapping, cursor semantics and
 * webhook parsing. Core owns HTTP (retries, timeouts, rate limits), tokens (refresh, encryption, locking),
 * persistence and the sync engine.
 */
export interface ProviderV1 {
  readonly specificationVersion: 'v1';
  /** Lower-case id, also the `provider_type` enum value in the database: `strava`, `garmin`, `polar`. */
  readonly id: string;
  /** Human name: `Strava`. */
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  /**
   * The plugin's product token, appended to the `User-Agent` of every request core sends for it after core's
   * own (`trainlytics/0.2.0 provider-strava/0.3.1`): the package name without scope, a slash, its version.
   */
  readonly userAgent?: string;
  readonly oauth: ProviderOAuthV1;
  /**
   * Runs once after the code exchange, before the connection is saved: Polar registers the user, Garmin
   * reads the user id and permissions. Throwing aborts the connection with that error.
   */
  afterAuthorize?(ctx: ConnectionContext, result: AuthorizationResult): Promise<AfterAuthorizeResult | void>;
  /** Fetches and maps the account's profile (must include `providerUserId`). */
  fetchProfile(ctx: ConnectionContext): Promise<NormalizedProfile>;
  /** Streams pages of activities from `request.cursor`; never loads the whole history. */
  listActivities(ctx: ConnectionContext, request: ListActivitiesRequest): AsyncIterable<ActivityPage>;
  /** Fetches what a webhook event points at (`ActivityChangedEvent.ref`). */
  fetchChanged?(ctx: ConnectionContext, ref: JsonValue): Promise<ActivityBatch>;
  readonly webhooks?: ProviderWebhooksV1;
  /** What happened inside an activity (samples, laps, route): optional, added in core 0.2 (ADR 0030). */
  readonly streams?: ProviderStreamsV1;
  readonly rateLimit?: RateLimitSpec;
  /** The plugin's own `fetch` (its `fetch` option); core uses the host's when absent. */
  readonly fetch?: FetchFunction;
  /**
   * The most accounts the provider lets this app connect (Strava's Standard tier: 10 athletes), when the
   * app configured it. `connect.start` refuses one more with `ConnectionLimitError` (before the user is sent
   * to a provider page that would refuse them), and dashboards warn as it is approached. Absent: no limit
   * is known.
   */
  readonly maxConnections?: number;
  /**
   * Turns an error body into a message a person can act on. Its `condition` names an app-wide condition
   * the body reveals (see `ProviderErrorDescription`): core then throws the matching typed error. Body
   * parsing stays in the plugin; core only reads the verdict.
   */
  describeError?(info: {
    status: number;
    body: string;
    operation?: string;
  }): ProviderErrorDescription | undefined;
}

/** What a plugin's `describeError` makes of an error response. */
export interface ProviderErrorDescription {
  message?: string;
  hint?: string;
  /**
   * - `app-suspended`: the provider refuses every call of this app (Strava: the app is `Inactive`). Core
   *   throws `AppSuspendedError` (with `reason` and a `retryAt`); syncs of the provider end `deferred`, no
   *   connection is marked for reauthorization.
   * - `connection-limit`: the app may connect no more accounts (Strava's athlete cap). Core throws
   *   `ConnectionLimitError`.
   */
  condition?: 'app-suspended' | 'connection-limit';
  /** With `app-suspended`: the provider's reason (`inactive`). */
  reason?: string;
  /** With `app-suspended`: how long to wait before calling again (default the host's `http.appSuspendedRetryMs`, 15 min). */
  retryAfterMs?: number;
  /** With `connection-limit`: the limit when the body or the plugin knows it. */
  limit?: number;
}

/** Any provider version core accepts. Future versions join this union with an upgrade function. */
export type Provider = ProviderV1;
