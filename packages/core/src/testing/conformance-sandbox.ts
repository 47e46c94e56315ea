import type { ActivityStreams } from '../model/activity-streams';
import type { Provider } from '../provider/v1/provider-v1';
import type { FetchFunction } from '../provider-utils/http-client';

/**
 * Fault knobs every provider sandbox implements, so the conformance and reliability suites can drive any
 * provider the same way. Each counter applies to the next N matching API requests (OAuth endpoints
 * excluded unless stated) and then clears itself.
 */
export interface SandboxFaults {
  /** Added latency per request. */
  latencyMs?: number;
  /** Answer the next N API requests with this HTTP status (e.g. 500, 503). */
  status?: { code: number; times: number; pathPrefix?: string };
  /** Answer the next N API requests with 429 (with the provider's rate-limit headers). */
  rateLimited?: { times: number; retryAfterSeconds?: number };
  /** Make N items of the next activity-list response malformed (e.g. a missing or wrong-typed start time). */
  malformedItems?: number;
  /** Send a truncated / invalid JSON body on the next N API responses. */
  invalidJson?: number;
  /** Destroy the socket without answering the next N API requests. */
  connectionResets?: number;
  /** Never answer the next N API requests (the client must time out). */
  hangs?: number;
  /** Reject every refresh-token grant (as if the user revoked access). */
  rejectRefresh?: boolean;
}

export type ConformanceWebhookEvent =
  | { type: 'activity.created'; providerUserId: string; providerActivityId: string }
  | { type: 'activity.deleted'; providerUserId: string; providerActivityId: string }
  | { type: 'deauthorized'; providerUserId: string };

/**
 * What a provider package's sandbox exposes to the provider conformance suite of `@trainlytics/core/testing`.
 * A sandbox is a real HTTP server on 127.0.0.1 that behaves like the provider's API.
 */
export interface ConformanceSandbox {
  /** The sandbox's origin, e.g. `http://127.0.0.1:43123`. */
  readonly baseUrl: string;
  /** A provider instance pointed at this sandbox (credentials and every base URL set). */
  createProvider(options?: { fetch?: FetchFunction }): Provider;
  /** Creates an account with a generated history; returns its provider user id. */
  seedAccount(options: { activityCount: number; seed?: number }): Promise<{ providerUserId: string }>;
  /** Adds new activities to an account (uploaded now); returns their provider ids. */
  addActivities(providerUserId: string, count: number): Promise<string[]>;
  /** How many activities the account has at the provider. */
  activityCount(providerUserId: string): Promise<number>;
  /**
   * Plays the user at the consent page: requests `authorizationUrl`, approves (or denies) for the account,
   * and returns the callback URL the provider redirects to (`code`, `state`, … or `error`).
   */
  approve(
    authorizationUrl: string,
    options: { providerUserId: string; deny?: boolean; scopes?: string[] },
  ): Promise<URL>;
  /** Makes every access token issued for the account expire now (so the next API call gets a 401). */
  expireAccessTokens(providerUserId: string): Promise<void>;
  /** Sets fault knobs (merged into the current ones); `resetFaults` clears them. */
  setFaults(faults: SandboxFaults): void;
  resetFaults(): void;
  /** Requests received since start or the last `resetCounters`, optionally filtered. */
  requestCount(filter?: { pathPrefix?: string; method?: string }): number;
  resetCounters(): void;
  /**
   * A webhook delivery exactly as the provider would send it (signed where the provider signs), as a Fetch
   * `Request` to hand to `trainlytics.webhooks.handle(providerId, request)`. Null when the provider has no
   * such event (e.g. Polar has no deauthorization event).
   */
  webhookRequest(event: ConformanceWebhookEvent, options?: { url?: string }): Promise<Request | null>;
  /**
   * Activity detail (issue 14, ADR 0030): what the provider detail suite (`runProviderDetailSuite`) needs.
   * Optional: a sandbox whose plugin has no `streams` capability leaves it out.
   */
  readonly streams?: SandboxStreamsControl;
  close(): Promise<void>;
}

/**
 * What an activity recorded: `outdoor` (GPS and the device's sensors), `indoor` (no GPS: a trainer, a
 * treadmill; sensors only) or `manual` (entered by hand: no samples at all).
 */
export type SandboxRecording = 'outdoor' | 'indoor' | 'manual';

/** An activity the sandbox added with a recording, and what that recording holds. */
export interface SandboxRecordedActivity {
  providerActivityId: string;
  /**
   * The samples the device recorded, in core's channel names and normalized units (degrees, metres, m/s,
   * bpm, …: `model/activity-streams.ts`), exactly as the plugin should return them: `time`, and only the
   * channels the device had (`null` where it recorded a sample without that value). The suite expects
   * these values (equal up to floating-point rounding, so a documented unit conversion may be done in any
   * order) — no channel dropped, misaligned, converted wrongly, invented or zero-filled. Null for `manual`.
   *
   * Where the provider's format leaves a normalization choice, the plugin's ADR documents the rule and the
   * sandbox applies that rule itself (never the plugin's code) to what it serves: Polar's speed in m/s to one
   * decimal more than the km/h it serves, and its route points (at millisecond offsets) on the nearest sample
   * instant within half a recording interval, else on an instant of their own (ADR 0034); Garmin's `moving`
   * from `movingDurationInSeconds` growing, its timer pauses and recording gaps as jumps in `time` (ADR 0033).
   */
  recorded: Pick<ActivityStreams, 'time' | 'channels'> | null;
}

/**
 * The sandbox side of the provider detail suite (`runProviderDetailSuite`).
 *
 * - `addRecordedActivity` adds to an account one activity uploaded now (like `addActivities`), with a
 *   recording of the given kind, and returns what it recorded in core's terms (a sandbox generates the
 *   recording in physical units first, then writes it in the provider's format). Devices may vary
 *   from one call to the next (some record cadence, power, temperature; some not): that is the point.
 * - `deliverRequestedStreams` — **push delivery only** (`ProviderStreamsV1.delivery === 'push'`, Garmin):
 *   called after the plugin's `streams.fetch` answered `{ status: 'requested' }` for the activity. It
 *   returns the webhook deliveries the provider sends once the detail it was asked for is ready, exactly
 *   as it would send them (signed where the provider signs; a push carrying the samples, or a ping whose
 *   callback URL the plugin then pulls from the sandbox), as Fetch `Request`s that the suite hands to
 *   `trainlytics.webhooks.handle(providerId, request)` before `trainlytics.webhooks.idle()`. An empty list
 *   means the provider sends nothing (the suite then fails: the requested detail never arrives). Requests
 *   the plugin makes while handling them count towards `requestsPerActivity`.
 */
export interface SandboxStreamsControl {
  addRecordedActivity(
    providerUserId: string,
    options: { recording: SandboxRecording },
  ): Promise<SandboxRecordedActivity>;
  deliverRequestedStreams?(providerUserId: string, providerActivityId: string): Promise<Request[]>;
}
