import { type Clock, systemClock } from '@trainlytics/core';
import type {
  ConformanceSandbox,
  ConformanceWebhookEvent,
  SandboxFaults,
  SandboxStreamsControl,
  SandboxWebhookResponse,
} from '@trainlytics/core/testing';
import { approveAtConsentPage } from './consent-approval';
import { SandboxFaultInjection } from './fault-injection';
import { generateExerciseDetail, type SandboxExerciseDetail } from './generate-samples';
import { HttpListener } from './http/http-listener';
import { SandboxResponses } from './http/responses';
import { handleRequest } from './http/router';
import { decodeExerciseId, encodeExerciseId } from './polar-history';
import { listedExerciseIndexes } from './routes/exercise-routes';
import type { SandboxContext } from './sandbox-context';
import type {
  PolarSandboxEvent,
  PolarSandboxSeedOptions,
  PolarSandboxServerOptions,
} from './sandbox-options';
import { SandboxAccounts } from './state/accounts';
import { addRecordedExercise, exerciseFacts, exerciseIndex } from './state/exercises';
import { SandboxRateLimit } from './state/rate-limit';
import { SandboxTokens } from './state/tokens';
import { SandboxTransactions } from './state/transactions';
import { SandboxWebhooks, type Webhook } from './state/webhooks';

/**
 * A Polar AccessLink v3 sandbox: a real HTTP server on 127.0.0.1 with the OAuth endpoints (consent page,
 * token exchange with Basic auth), user registration, both exercise flows, webhooks with signed deliveries,
 * rate-limit headers and fault knobs. Paths match the real API, so a plugin only swaps base URLs:
 * `POLAR_API_URL=<baseUrl>/v3`, `POLAR_AUTHORIZE_URL=<baseUrl>/oauth2/authorization`,
 * `POLAR_TOKEN_URL=<baseUrl>/v2/oauth2/token`.
 *
 * Written from Polar's documentation alone: nothing here imports the plugin. The package's `PolarSandbox`
 * (`src/sandbox.ts`) adds `createProvider()`, the one thing that needs it.
 */
export class PolarSandboxServer implements Omit<ConformanceSandbox, 'createProvider'> {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly webhookSecret: string;
  readonly clock: Clock;
  private readonly state: SandboxContext;
  private readonly listener: HttpListener;
  private origin = '';

  constructor(options: PolarSandboxServerOptions = {}) {
    this.clientId = options.clientId ?? 'polar-sandbox-client';
    this.clientSecret = options.clientSecret ?? 'polar-sandbox-secret';
    this.webhookSecret = options.webhookSecret ?? 'polar-sandbox-signature-secret-key';
    this.clock = options.clock ?? systemClock;
    const accounts = new SandboxAccounts(options.seed ?? 1, this.clock);
    const rateLimit = new SandboxRateLimit(this.clock, () => accounts.registeredCount(), options.rateLimit);
    const faults = new SandboxFaultInjection();
    this.state = {
      options,
      clock: this.clock,
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      webhookSecret: this.webhookSecret,
      apiUrl: () => this.apiUrl,
      accounts,
      tokens: new SandboxTokens(),
      transactions: new SandboxTransactions(options.largeTransactionalIds ?? false),
      webhooks: new SandboxWebhooks({
        clock: this.clock,
        secret: this.webhookSecret,
        apiUrl: () => this.apiUrl,
        fallbackUrl: options.webhookUrl,
        autoDeactivateAfterFailures: options.autoDeactivateAfterFailures,
        fetch: options.fetch,
      }),
      rateLimit,
      faults,
      respond: new SandboxResponses(rateLimit, faults),
      requests: [],
    };
    this.listener = new HttpListener(
      (req, res) => handleRequest(this.state, this, this.origin, req, res),
      (res, error) => this.state.respond.json(res, 500, { status: 500, message: String(error) }),
      { port: options.port ?? 0, host: options.host ?? '127.0.0.1' },
    );
  }

  /**
   * Starts listening; resolves with the sandbox. Idempotent: a second call (even a concurrent one) resolves
   * with the same sandbox on the same address, without opening another port.
   */
  async listen(): Promise<this> {
    this.origin = await this.listener.listen();
    return this;
  }

  get baseUrl(): string {
    return this.origin;
  }
  get apiUrl(): string {
    return `${this.origin}/v3`;
  }
  get authorizeUrl(): string {
    return `${this.origin}/oauth2/authorization`;
  }
  get tokenUrl(): string {
    return `${this.origin}/v2/oauth2/token`;
  }

  /** The settings (as environment variables) that point a plugin at this sandbox. */
  env(): Record<string, string> {
    return {
      POLAR_CLIENT_ID: this.clientId,
      POLAR_CLIENT_SECRET: this.clientSecret,
      POLAR_API_URL: this.apiUrl,
      POLAR_AUTHORIZE_URL: this.authorizeUrl,
      POLAR_TOKEN_URL: this.tokenUrl,
      POLAR_WEBHOOK_SECRET: this.webhookSecret,
    };
  }

  // ---- accounts and histories ----------------------------------------------------------------------

  async seedAccount(options: PolarSandboxSeedOptions): Promise<{ providerUserId: string }> {
    return { providerUserId: String(this.state.accounts.create(options).polarUserId) };
  }

  async addActivities(providerUserId: string, count: number): Promise<string[]> {
    const account = this.state.accounts.get(providerUserId);
    const now = this.clock.now().getTime();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(encodeExerciseId(account.polarUserId, account.generated + account.addedUploads.length));
      account.addedUploads.push(now);
    }
    const webhook = this.state.webhooks.current;
    if (this.state.options.deliverOnUpload && webhook?.active && webhook.events.includes('EXERCISE')) {
      for (const providerActivityId of ids) {
        await this.sendWebhook({ type: 'activity.created', providerUserId, providerActivityId });
      }
    }
    return ids;
  }

  /**
   * Adds one exercise with a chosen `upload_time` (default now; an earlier one models an exercise Polar
   * lists late, after newer ones) and start (`startTime`: the same second as another exercise, or long
   * before the upload). Returns its hashed id. No webhook is sent.
   */
  async addActivity(
    providerUserId: string,
    options: { uploadTime?: Date; startTime?: Date } = {},
  ): Promise<string> {
    const account = this.state.accounts.get(providerUserId);
    const index = account.generated + account.addedUploads.length;
    account.addedUploads.push(options.uploadTime?.getTime() ?? this.clock.now().getTime());
    if (options.startTime)
      account.startOverrides.set(index, Math.floor(options.startTime.getTime() / 1000) * 1000);
    return encodeExerciseId(account.polarUserId, index);
  }

  /**
   * The provider detail suite's side (`SandboxStreamsControl`, issue 14): `addRecordedActivity` adds an
   * exercise uploaded now recorded `outdoor` (a route), `indoor` (samples, no route) or `manual` (no
   * samples: a manual entry), and returns what `GET /v3/exercises/{id}?samples=true&route=true` serves for
   * it in core's terms (`recordedExerciseSamples`; null for manual). Its sport, duration and device come
   * from the next generated exercise of that kind (its samples from its own id; an `indoor` one recorded
   * something: not a strength session without a strap). No webhook is sent.
   */
  readonly streams: SandboxStreamsControl = {
    addRecordedActivity: async (providerUserId, { recording }) =>
      addRecordedExercise(this.state.accounts.get(providerUserId), recording, this.clock.now().getTime()),
  };

  /** Deletes an exercise in Polar Flow (Polar sends no event for it). */
  async deleteActivity(providerUserId: string, exerciseId: string): Promise<void> {
    const account = this.state.accounts.get(providerUserId);
    const decoded = decodeExerciseId(exerciseId);
    if (decoded && decoded.polarUserId === account.polarUserId) account.deleted.add(decoded.index);
  }

  /** The hashed ids `GET /v3/exercises` lists now (the provider's side of an equality check). */
  listedExerciseIds(providerUserId: string): string[] {
    const account = this.state.accounts.get(providerUserId);
    return [...listedExerciseIndexes(this.state, account)].map((i) =>
      encodeExerciseId(account.polarUserId, i),
    );
  }

  /**
   * What `GET /v3/exercises/{id}?samples=true&zones=true&route=true` adds for an exercise (empty parts for
   * a manual entry), or null for an id the account does not have: the provider's side of a detail check.
   */
  exerciseDetail(providerUserId: string, exerciseId: string): SandboxExerciseDetail | null {
    const account = this.state.accounts.get(providerUserId);
    const index = exerciseIndex(account, exerciseId);
    return index === null ? null : generateExerciseDetail(exerciseFacts(account, index));
  }

  async activityCount(providerUserId: string): Promise<number> {
    const account = this.state.accounts.get(providerUserId);
    return account.generated + account.addedUploads.length - account.deleted.size;
  }

  /** Whether the user is registered with the sandbox's AccessLink client (after `POST /v3/users`). */
  isRegistered(providerUserId: string): boolean {
    return this.state.accounts.get(providerUserId).registration !== null;
  }

  /** Accepts or withdraws the user's mandatory Polar consents (withdrawn: every user call answers 403). */
  setConsents(providerUserId: string, accepted: boolean): void {
    this.state.accounts.get(providerUserId).consentsAccepted = accepted;
  }

  /** The AccessLink registration of a user (`member-id` = the host app's user id), or null. */
  registration(providerUserId: string): { memberId: string; date: string } | null {
    return this.state.accounts.get(providerUserId).registration;
  }

  /** The active webhook, if one was created. */
  get currentWebhook(): Readonly<Webhook> | null {
    return this.state.webhooks.current;
  }

  // ---- test controls -------------------------------------------------------------------------------

  approve(
    authorizationUrl: string,
    options: { providerUserId: string; deny?: boolean; scopes?: string[] },
  ): Promise<URL> {
    return approveAtConsentPage(authorizationUrl, this.authorizeUrl, options);
  }

  async expireAccessTokens(providerUserId: string): Promise<void> {
    this.state.tokens.revokeAll(Number(providerUserId));
  }

  setFaults(faults: SandboxFaults): void {
    this.state.faults.set(faults);
  }

  resetFaults(): void {
    this.state.faults.reset();
  }

  requestCount(filter: { pathPrefix?: string; method?: string } = {}): number {
    return this.state.requests.filter(
      (r) =>
        (!filter.pathPrefix || r.path.startsWith(filter.pathPrefix)) &&
        (!filter.method || r.method === filter.method.toUpperCase()),
    ).length;
  }

  resetCounters(): void {
    this.state.requests.length = 0;
  }

  async webhookRequest(
    event: ConformanceWebhookEvent,
    options: { url?: string } = {},
  ): Promise<Request | null> {
    const delivery = this.state.webhooks.delivery(event);
    if (!delivery) return null;
    const url = options.url ?? this.state.webhooks.current?.url ?? 'http://127.0.0.1/webhooks/polar';
    return new Request(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
  }

  /**
   * Delivers an event as Polar would: POST to `url` (default: the created webhook's URL). A non-2xx answer
   * or a network error counts as a failed delivery; after `autoDeactivateAfterFailures` the webhook is
   * deactivated. Resolves with the app's answer; null when nothing was delivered: no URL, an inactive
   * webhook, an event Polar has no webhook for (deletion, deauthorization), or a network error.
   */
  sendWebhook(event: PolarSandboxEvent, url?: string): Promise<SandboxWebhookResponse | null> {
    return this.state.webhooks.send(event, url);
  }

  close(): Promise<void> {
    return this.listener.close();
  }
}

/** Starts a Polar sandbox server on 127.0.0.1 (port 0 by default), without the plugin: the CLI's. */
export function startPolarSandboxServer(
  options: PolarSandboxServerOptions = {},
): Promise<PolarSandboxServer> {
  return new PolarSandboxServer(options).listen();
}
