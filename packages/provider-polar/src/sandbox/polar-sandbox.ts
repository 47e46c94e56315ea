import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Clock, type FetchFunction, systemClock } from '@trainlytics/core';
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
import { type PolarProvider, type PolarProviderOptions, polar } from '../polar-provider';
import { renderConsentPage } from './consent-page';
import {
  generateExerciseDetail,
  isManualEntry,
  recordedExerciseSamples,
  type SandboxExerciseDetail,
} from './generate-samples';
import {
  decodeExerciseId,
  type ExerciseFacts,
  encodeExerciseId,
  generateExercise,
  localString,
  toKebabExercise,
  toSnakeExercise,
} from './polar-history';
import {
  SANDBOX_POLAR_EVENT_HEADER,
  SANDBOX_POLAR_SIGNATURE_HEADER,
  sandboxPolarSignature,
} from './sign-webhook';

const DAY_MS = 86_400_000;
/** `/v3/exercises` answers with exercises uploaded in the last 30 days. */
const EXERCISE_WINDOW_MS = 30 * DAY_MS;
const SHORT_WINDOW_MS = 15 * 60_000;
const LONG_WINDOW_MS = DAY_MS;
const TRANSACTION_SIZE = 50;
const TOKEN_TTL_S = 31_535_999;
const CODE_TTL_MS = 10 * 60_000;

/** The first transactional id with `largeTransactionalIds`: 2^53 + 1, which a double cannot hold. */
const LARGE_ID_BASE = 2n ** 53n + 1n;

/** JSON as Polar writes it: a bigint (a `long` beyond 2^53) becomes a bare JSON number, not rounded. */
function polarJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `\u0000int:${v}` : v)).replace(
    /"\\u0000int:(\d+)"/g,
    '$1',
  );
}

export interface PolarSandboxOptions {
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** The `signature_secret_key` the sandbox's webhook signs with (default: a fixed sandbox value). */
  webhookSecret?: string;
  /**
   * Where `sendWebhook` delivers when given no URL and no webhook was created through the API (the CLI's
   * `--webhook-url`). A created webhook always wins, and an inactive one receives nothing, as at Polar.
   */
  webhookUrl?: string;
  /** Redirect URIs registered for the client; the first is the default. Empty: any is accepted. */
  redirectUris?: string[];
  /** The sandbox's notion of now (upload times, rate-limit windows, code expiry). Default: the system clock. */
  clock?: Clock;
  /** Base seed of generated histories (default 1). */
  seed?: number;
  /** An app-wide limit replacing Polar's short window: 429 once `limit` requests were made in `windowMs`. */
  rateLimit?: { windowMs: number; limit: number };
  /** Deactivate the webhook after this many consecutive failed deliveries (Polar: 7 days of failures). */
  autoDeactivateAfterFailures?: number;
  /**
   * Give the transactional flow's exercises integer ids beyond 2^53 (from 2^53 + 1, written as bare JSON
   * numbers, as a Java `long` may be) instead of 1000000 + index (default false).
   */
  largeTransactionalIds?: boolean;
  /** Require `POST /v3/users` before data calls, as Polar does (default true). */
  requireRegistration?: boolean;
  /**
   * Serve only exercises uploaded after the user's registration, as Polar does (default false: seeded
   * histories are served as if they had been uploaded after registration, so a first sync has data).
   */
  hideUploadsBeforeRegistration?: boolean;
  /**
   * Deliver an EXERCISE event to the active webhook for every exercise `addActivities` uploads, as Polar
   * does (default false: tests send deliveries explicitly with `sendWebhook` / `webhookRequest`).
   */
  deliverOnUpload?: boolean;
  /** Used to send webhook deliveries (default: global fetch). */
  fetch?: FetchFunction;
  /** Options of the providers `createProvider()` returns (e.g. `{ exerciseFlow: 'transactional' }`). */
  provider?: Partial<PolarProviderOptions>;
}

interface Account {
  polarUserId: number;
  seed: number;
  /** Exercises generated at seeding, uploaded over the 29 days before `seededAt`. */
  generated: number;
  seededAt: number;
  /** Upload times of exercises added after seeding (indexes `generated…`). */
  addedUploads: number[];
  /** Chosen start times (UTC ms) by index (`addActivity`): ties, late uploads of old exercises. */
  startOverrides: Map<number, number>;
  /**
   * Exercises added with a chosen recording (`streams.addRecordedActivity`): index → the generated index
   * whose sport, duration and kind they take (under their own id, so their samples are their own).
   */
  recordingSources: Map<number, number>;
  /** Deleted exercises (by index): gone from the listing and `GET /v3/exercises/{id}`. */
  deleted: Set<number>;
  tieSize: number;
  firstName: string;
  lastName: string;
  consentsAccepted: boolean;
  registration: { memberId: string; date: string } | null;
  /** Transactional flow: how many exercises (in upload order) have been committed. */
  committed: number;
  openTransaction: { id: number; from: number; to: number } | null;
}

interface TokenRecord {
  polarUserId: number;
  revoked: boolean;
}

interface CodeRecord {
  polarUserId: number;
  redirectUri: string | null;
  expiresAt: number;
  used: boolean;
}

interface Webhook {
  id: string;
  events: string[];
  url: string;
  active: boolean;
  failures: number;
}

export interface PolarSandboxSeedOptions {
  activityCount: number;
  seed?: number;
  /** False: the user has not accepted Polar's mandatory consents (registration answers 403). */
  consentsAccepted?: boolean;
  firstName?: string;
  lastName?: string;
  /** Runs of this many consecutive generated exercises share one start second (default 1: distinct). */
  tieSize?: number;
}

export type PolarSandboxEvent = ConformanceWebhookEvent | { type: 'ping' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const FIRST_NAMES = ['Aino', 'Mikko', 'Sanna', 'Jari', 'Laura', 'Eero', 'Noora', 'Ville'];
const LAST_NAMES = ['Virtanen', 'Korhonen', 'Mäkinen', 'Nieminen', 'Lehtonen', 'Heikkinen'];

/**
 * A Polar AccessLink v3 sandbox: a real HTTP server on 127.0.0.1 with the OAuth endpoints (consent page,
 * token exchange with Basic auth), user registration, both exercise flows, webhooks with signed deliveries,
 * rate-limit headers and fault knobs. Paths match the real API, so a plugin only swaps base URLs:
 * `POLAR_API_URL=<baseUrl>/v3`, `POLAR_AUTHORIZE_URL=<baseUrl>/oauth2/authorization`,
 * `POLAR_TOKEN_URL=<baseUrl>/v2/oauth2/token`.
 */
export class PolarSandbox implements ConformanceSandbox {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly webhookSecret: string;
  readonly clock: Clock;
  private readonly server: Server;
  private readonly options: PolarSandboxOptions;
  private readonly sockets = new Set<Socket>();
  private readonly accounts = new Map<number, Account>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly requests: { method: string; path: string }[] = [];
  private faults: SandboxFaults = {};
  private webhook: Webhook | null = null;
  private nextUserId = 47_500_001;
  private nextTransactionId = 120;
  private short = { start: 0, used: 0 };
  private long = { start: 0, used: 0 };
  private origin = '';

  constructor(options: PolarSandboxOptions = {}) {
    this.options = options;
    this.clientId = options.clientId ?? 'polar-sandbox-client';
    this.clientSecret = options.clientSecret ?? 'polar-sandbox-secret';
    this.webhookSecret = options.webhookSecret ?? 'polar-sandbox-signature-secret-key';
    this.clock = options.clock ?? systemClock;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent) this.json(res, 500, { status: 500, message: String(error) });
        else res.destroy();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /**
   * Starts listening; resolves with the sandbox. Idempotent: a second call (even a concurrent one) resolves
   * with the same sandbox on the same address, without opening another port.
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
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.origin = `http://${this.options.host ?? '127.0.0.1'}:${address.port}`;
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

  createProvider(options: Partial<PolarProviderOptions> = {}): PolarProvider {
    return polar({
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      apiUrl: this.apiUrl,
      authorizeUrl: this.authorizeUrl,
      tokenUrl: this.tokenUrl,
      webhookSecret: this.webhookSecret,
      env: {},
      ...this.options.provider,
      ...options,
    });
  }

  // ---- accounts and histories ----------------------------------------------------------------------

  async seedAccount(options: PolarSandboxSeedOptions): Promise<{ providerUserId: string }> {
    const polarUserId = this.nextUserId++;
    const seed = options.seed ?? (this.options.seed ?? 1) * 1000 + (polarUserId % 1000);
    this.accounts.set(polarUserId, {
      polarUserId,
      seed,
      generated: Math.max(0, Math.floor(options.activityCount)),
      seededAt: this.clock.now().getTime(),
      addedUploads: [],
      startOverrides: new Map(),
      recordingSources: new Map(),
      deleted: new Set(),
      tieSize: Math.max(1, Math.floor(options.tieSize ?? 1)),
      firstName: options.firstName ?? FIRST_NAMES[seed % FIRST_NAMES.length]!,
      lastName: options.lastName ?? LAST_NAMES[seed % LAST_NAMES.length]!,
      consentsAccepted: options.consentsAccepted ?? true,
      registration: null,
      committed: 0,
      openTransaction: null,
    });
    return { providerUserId: String(polarUserId) };
  }

  async addActivities(providerUserId: string, count: number): Promise<string[]> {
    const account = this.account(providerUserId);
    const now = this.clock.now().getTime();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(encodeExerciseId(account.polarUserId, account.generated + account.addedUploads.length));
      account.addedUploads.push(now);
    }
    if (this.options.deliverOnUpload && this.webhook?.active && this.webhook.events.includes('EXERCISE')) {
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
    const account = this.account(providerUserId);
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
    addRecordedActivity: (providerUserId, { recording }) =>
      this.addRecordedActivity(providerUserId, recording),
  };

  private async addRecordedActivity(
    providerUserId: string,
    recording: SandboxRecording,
  ): Promise<SandboxRecordedActivity> {
    const account = this.account(providerUserId);
    const index = this.total(account);
    const used = Math.max(index - 1, ...account.recordingSources.values());
    const now = this.clock.now().getTime();
    for (let source = used + 1; source < used + 1000; source++) {
      const facts = generateExercise(account.polarUserId, account.seed, source, new Date(now));
      const kind: SandboxRecording = isManualEntry(facts) ? 'manual' : facts.hasRoute ? 'outdoor' : 'indoor';
      if (kind !== recording) continue;
      account.addedUploads.push(now);
      account.recordingSources.set(index, source);
      const recorded = recordedExerciseSamples(generateExerciseDetail(this.facts(account, index)));
      if (kind !== 'manual' && recorded === null) {
        // a device without any sensor for this sport (no strap, no GPS): nothing recorded, not indoor
        account.addedUploads.pop();
        account.recordingSources.delete(index);
        continue;
      }
      return { providerActivityId: encodeExerciseId(account.polarUserId, index), recorded };
    }
    throw new Error(`Polar sandbox: no ${recording} exercise among the next generated ones`);
  }

  /** Deletes an exercise in Polar Flow (Polar sends no event for it). */
  async deleteActivity(providerUserId: string, exerciseId: string): Promise<void> {
    const account = this.account(providerUserId);
    const decoded = decodeExerciseId(exerciseId);
    if (decoded && decoded.polarUserId === account.polarUserId) account.deleted.add(decoded.index);
  }

  /** The hashed ids `GET /v3/exercises` lists now (the provider's side of an equality check). */
  listedExerciseIds(providerUserId: string): string[] {
    const account = this.account(providerUserId);
    const now = this.clock.now().getTime();
    const out: string[] = [];
    for (let i = 0; i < this.total(account); i++) {
      if (this.visible(account, i, now, true)) out.push(encodeExerciseId(account.polarUserId, i));
    }
    return out;
  }

  /**
   * What `GET /v3/exercises/{id}?samples=true&zones=true&route=true` adds for an exercise (empty parts for
   * a manual entry), or null for an id the account does not have: the provider's side of a detail check.
   */
  exerciseDetail(providerUserId: string, exerciseId: string): SandboxExerciseDetail | null {
    const account = this.account(providerUserId);
    const decoded = decodeExerciseId(exerciseId);
    if (!decoded || decoded.polarUserId !== account.polarUserId || decoded.index >= this.total(account)) {
      return null;
    }
    return generateExerciseDetail(this.facts(account, decoded.index));
  }

  async activityCount(providerUserId: string): Promise<number> {
    const account = this.account(providerUserId);
    return account.generated + account.addedUploads.length - account.deleted.size;
  }

  /** Whether the user is registered with the sandbox's AccessLink client (after `POST /v3/users`). */
  isRegistered(providerUserId: string): boolean {
    return this.account(providerUserId).registration !== null;
  }

  /** Accepts or withdraws the user's mandatory Polar consents (withdrawn: every user call answers 403). */
  setConsents(providerUserId: string, accepted: boolean): void {
    this.account(providerUserId).consentsAccepted = accepted;
  }

  /** The AccessLink registration of a user (`member-id` = the host app's user id), or null. */
  registration(providerUserId: string): { memberId: string; date: string } | null {
    return this.account(providerUserId).registration;
  }

  /** The active webhook, if one was created. */
  get currentWebhook(): Readonly<Webhook> | null {
    return this.webhook;
  }

  private account(providerUserId: string | number): Account {
    const account = this.accounts.get(Number(providerUserId));
    if (!account) throw new Error(`The Polar sandbox has no account ${providerUserId}`);
    return account;
  }

  private total(account: Account): number {
    return account.generated + account.addedUploads.length;
  }

  private uploadTime(account: Account, index: number): number {
    if (index >= account.generated) return account.addedUploads[index - account.generated]!;
    // spread over the 29 days before seeding, so the whole history is in `/v3/exercises`' 30-day window
    const spacing = Math.floor((29 * DAY_MS) / Math.max(1, account.generated));
    return account.seededAt - (account.generated - index) * spacing;
  }

  /** Whether exercise `index` is served at `now`: uploaded, within 30 days (listing), after registration. */
  private visible(account: Account, index: number, now: number, window: boolean): boolean {
    const uploaded = this.uploadTime(account, index);
    if (account.deleted.has(index)) return false;
    if (uploaded > now || (window && uploaded < now - EXERCISE_WINDOW_MS)) return false;
    if (this.options.hideUploadsBeforeRegistration && account.registration) {
      return uploaded >= Date.parse(account.registration.date);
    }
    return true;
  }

  private facts(account: Account, index: number) {
    const source = account.recordingSources.get(index);
    const generated = generateExercise(
      account.polarUserId,
      account.seed,
      source ?? index,
      new Date(this.uploadTime(account, index)),
    );
    const facts =
      source === undefined
        ? generated
        : {
            ...generated,
            hashedId: encodeExerciseId(account.polarUserId, index),
            transactionalId: 1_000_000 + index,
          };
    const start = account.startOverrides.get(index);
    if (start !== undefined) return { ...facts, startLocal: localString(start, facts.offsetMinutes) };
    const lead = index - (index % account.tieSize);
    if (lead === index || index >= account.generated) return facts;
    // a tie run: the start (local time and offset) of its first exercise
    const first = generateExercise(
      account.polarUserId,
      account.seed,
      lead,
      new Date(this.uploadTime(account, lead)),
    );
    return { ...facts, startLocal: first.startLocal, offsetMinutes: first.offsetMinutes };
  }

  // ---- test controls -------------------------------------------------------------------------------

  async approve(
    authorizationUrl: string,
    options: { providerUserId: string; deny?: boolean; scopes?: string[] },
  ): Promise<URL> {
    const page = await fetch(authorizationUrl, { redirect: 'manual' });
    const html = await page.text();
    const early = page.headers.get('location');
    if (page.status === 302 && early) return new URL(early); // refused before consent (e.g. invalid_scope)
    if (page.status !== 200)
      throw new Error(`The Polar sandbox consent page answered ${page.status}: ${html}`);
    const query = new URL(authorizationUrl).searchParams;
    const form = new URLSearchParams(query);
    if (options.scopes) form.set('scope', options.scopes.join(' '));
    form.set('user_id', options.providerUserId);
    form.set('decision', options.deny ? 'deny' : 'approve');
    const res = await fetch(this.authorizeUrl, { method: 'POST', body: form, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status !== 302 || !location) {
      throw new Error(
        `The Polar sandbox did not redirect after consent (HTTP ${res.status}): ${await res.text()}`,
      );
    }
    return new URL(location);
  }

  async expireAccessTokens(providerUserId: string): Promise<void> {
    this.revokeTokens(Number(providerUserId));
  }

  setFaults(faults: SandboxFaults): void {
    this.faults = { ...this.faults, ...faults };
  }

  resetFaults(): void {
    this.faults = {};
  }

  requestCount(filter: { pathPrefix?: string; method?: string } = {}): number {
    return this.requests.filter(
      (r) =>
        (!filter.pathPrefix || r.path.startsWith(filter.pathPrefix)) &&
        (!filter.method || r.method === filter.method.toUpperCase()),
    ).length;
  }

  resetCounters(): void {
    this.requests.length = 0;
  }

  /** A delivery's body and headers, signed with the webhook secret as Polar does. */
  private delivery(event: PolarSandboxEvent): { body: string; headers: Record<string, string> } | null {
    const timestamp = this.clock.now().toISOString();
    let payload: Record<string, unknown>;
    if (event.type === 'ping') payload = { timestamp, event: 'PING' };
    else if (event.type === 'activity.created') {
      payload = {
        event: 'EXERCISE',
        user_id: Number(event.providerUserId),
        entity_id: event.providerActivityId,
        timestamp,
        url: `${this.apiUrl}/exercises/${event.providerActivityId}`,
      };
    } else return null; // Polar has no deletion or deauthorization event.
    const body = JSON.stringify(payload);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        [SANDBOX_POLAR_EVENT_HEADER]: String(payload.event),
        [SANDBOX_POLAR_SIGNATURE_HEADER]: sandboxPolarSignature(body, this.webhookSecret),
      },
    };
  }

  async webhookRequest(
    event: ConformanceWebhookEvent,
    options: { url?: string } = {},
  ): Promise<Request | null> {
    const delivery = this.delivery(event);
    if (!delivery) return null;
    const url = options.url ?? this.webhook?.url ?? 'http://127.0.0.1/webhooks/polar';
    return new Request(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
  }

  /**
   * Delivers an event as Polar would: POST to `url` (default: the created webhook's URL). A non-2xx answer
   * or a network error counts as a failed delivery; after `autoDeactivateAfterFailures` the webhook is
   * deactivated. Resolves with the app's answer; null when nothing was delivered: no URL, an inactive
   * webhook, an event Polar has no webhook for (deletion, deauthorization), or a network error.
   */
  async sendWebhook(event: PolarSandboxEvent, url?: string): Promise<SandboxWebhookResponse | null> {
    const target =
      url ?? (this.webhook ? (this.webhook.active ? this.webhook.url : undefined) : this.options.webhookUrl);
    const delivery = this.delivery(event);
    if (!target || !delivery) return null;
    const fetchFn = this.options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    let answer: SandboxWebhookResponse | null = null;
    try {
      const res = await fetchFn(target, { method: 'POST', headers: delivery.headers, body: delivery.body });
      answer = await toSandboxWebhookResponse(res);
    } catch {
      answer = null;
    }
    const status = answer?.status ?? null;
    if (this.webhook && target === this.webhook.url && event.type !== 'ping') {
      const ok = status !== null && status >= 200 && status < 300;
      this.webhook.failures = ok ? 0 : this.webhook.failures + 1;
      const limit = this.options.autoDeactivateAfterFailures;
      if (limit !== undefined && this.webhook.failures >= limit) this.webhook.active = false;
    }
    return answer;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.listening = null;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP ----------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    const body = await readBody(req);
    // sandbox-only control endpoints (`/_sandbox/…`), outside the request log, faults and rate limits
    const control = {
      hasAccount: (id: string) => /^\d+$/.test(id) && this.accounts.has(Number(id)),
      addActivities: (id: string, count: number) => this.addActivities(id, count),
      sendWebhook: (event: ConformanceWebhookEvent, to?: string) => this.sendWebhook(event, to),
    };
    if (await handleSandboxControl(control, { method, path: url.pathname, body }, res)) return;
    this.requests.push({ method, path: url.pathname });

    if (url.pathname === '/oauth2/authorization') return this.authorize(method, url, body, res);
    if (url.pathname === '/v2/oauth2/token') return this.token(method, req, body, res);
    if (!url.pathname.startsWith('/v3/')) return this.json(res, 404, { status: 404, message: 'Not found' });

    // API requests: faults, then the rate limit, then the route.
    const faults = this.faults;
    if (faults.hangs && faults.hangs > 0) {
      faults.hangs--;
      return; // never answered; the socket is destroyed on close()
    }
    if (faults.connectionResets && faults.connectionResets > 0) {
      faults.connectionResets--;
      req.socket.destroy();
      return;
    }
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.status && faults.status.times > 0 && url.pathname.startsWith(faults.status.pathPrefix ?? '')) {
      const code = faults.status.code;
      faults.status =
        faults.status.times > 1 ? { ...faults.status, times: faults.status.times - 1 } : undefined;
      return this.json(res, code, {
        status: code,
        errorType: 'SandboxFault',
        message: `Injected HTTP ${code}`,
      });
    }
    if (faults.rateLimited && faults.rateLimited.times > 0) {
      const { retryAfterSeconds } = faults.rateLimited;
      faults.rateLimited =
        faults.rateLimited.times > 1
          ? { ...faults.rateLimited, times: faults.rateLimited.times - 1 }
          : undefined;
      return this.tooManyRequests(res, retryAfterSeconds);
    }
    if (!this.countRequest()) return this.tooManyRequests(res);

    try {
      await this.route(method, url, req, body, res);
    } catch (error) {
      if (error instanceof HttpError) return this.json(res, error.status, error.body);
      throw error;
    }
  }

  private async route(method: string, url: URL, req: IncomingMessage, body: string, res: ServerResponse) {
    const path = url.pathname.replace(/\/+$/, '');
    const parts = path.split('/').slice(2); // after "/v3"
    const [resource, id, sub, txId, leaf, exerciseId] = parts;

    if (resource === 'webhooks') return this.webhooks(method, id, req, body, res);
    if (resource === 'notifications' && method === 'GET') {
      this.requireClient(req);
      return this.empty(res, 204);
    }

    if (resource === 'users' && parts.length === 1 && method === 'POST') {
      const account = this.requireUser(req, { registered: false });
      return this.register(account, body, res);
    }
    if (resource === 'users' && id !== undefined) {
      const account = this.requireUser(req, { registered: false });
      if (String(account.polarUserId) !== id) throw forbidden('The token does not belong to this user');
      if (parts.length === 2 && method === 'GET') {
        if (!account.consentsAccepted) throw forbidden('User has not accepted all mandatory consents');
        if (!account.registration) return this.empty(res, 204);
        return this.json(res, 200, this.userJson(account));
      }
      if (parts.length === 2 && method === 'DELETE') {
        if (!account.registration)
          return this.json(res, 404, { status: 404, message: 'User not registered' });
        account.registration = null;
        account.openTransaction = null;
        this.revokeTokens(account.polarUserId);
        return this.empty(res, 204);
      }
      if (sub === 'exercise-transactions') {
        this.requireRegistered(account);
        if (parts.length === 3 && method === 'POST') return this.createTransaction(account, res);
        const tx = account.openTransaction;
        if (!tx || String(tx.id) !== txId) {
          throw new HttpError(404, { status: 404, message: `No open transaction ${txId}` });
        }
        if (parts.length === 4 && method === 'GET') {
          const exercises: string[] = [];
          for (let i = tx.from; i < tx.to; i++) {
            exercises.push(
              `${this.apiUrl}/users/${id}/exercise-transactions/${tx.id}/exercises/${this.transactionalId(i)}`,
            );
          }
          return this.json(res, 200, { exercises });
        }
        if (parts.length === 4 && method === 'PUT') {
          account.committed = tx.to;
          account.openTransaction = null;
          return this.empty(res, 200);
        }
        if (parts.length === 6 && leaf === 'exercises' && method === 'GET') {
          const index = this.transactionalIndex(exerciseId ?? '');
          if (!Number.isInteger(index) || index < tx.from || index >= tx.to) {
            throw new HttpError(404, {
              status: 404,
              message: `No exercise ${exerciseId} in transaction ${tx.id}`,
            });
          }
          const item = toKebabExercise(this.facts(account, index), this.apiUrl, account.polarUserId, tx.id);
          item.id = this.transactionalId(index);
          return this.json(res, 200, this.maybeMalformed(item, 'start-time'));
        }
      }
    }

    if (resource === 'exercises' && method === 'GET') {
      const account = this.requireUser(req, { registered: true });
      if (id === undefined) return this.listExercises(account, res);
      if (parts.length === 2) {
        const decoded = decodeExerciseId(id);
        // "Only Exercises uploaded to Flow in the last 30 days are available" (Get exercise)
        if (
          !decoded ||
          decoded.polarUserId !== account.polarUserId ||
          decoded.index >= this.total(account) ||
          !this.visible(account, decoded.index, this.clock.now().getTime(), true)
        ) {
          throw new HttpError(404, { status: 404, message: `Exercise ${id} not found` });
        }
        const facts = this.facts(account, decoded.index);
        return this.json(res, 200, {
          ...toSnakeExercise(facts, this.apiUrl, account.polarUserId),
          ...this.detailParts(facts, url.searchParams),
        });
      }
    }
    throw new HttpError(404, { status: 404, message: `No route for ${method} ${url.pathname}` });
  }

  /** The optional parts of an exercise its query asks for (`samples`, `zones`, `route`), when it has them. */
  private detailParts(facts: ExerciseFacts, query: URLSearchParams): Record<string, unknown> {
    const asked = (name: string) => query.get(name) === 'true';
    if (!asked('samples') && !asked('zones') && !asked('route')) return {};
    const detail = generateExerciseDetail(facts);
    const out: Record<string, unknown> = {};
    if (asked('zones') && detail.heart_rate_zones.length > 0) out.heart_rate_zones = detail.heart_rate_zones;
    if (asked('samples') && detail.samples.length > 0) out.samples = detail.samples;
    if (asked('route') && detail.route.length > 0) out.route = detail.route;
    return asked('samples') ? this.maybeMalformed(out, 'samples') : out;
  }

  private register(account: Account, body: string, res: ServerResponse) {
    if (!account.consentsAccepted) {
      throw forbidden('User has not accepted all mandatory consents');
    }
    if (account.registration) {
      return this.json(res, 409, { status: 409, errorType: 'Conflict', message: 'User already registered' });
    }
    let memberId: unknown;
    try {
      memberId = (JSON.parse(body) as Record<string, unknown>)['member-id'];
    } catch {
      memberId = undefined;
    }
    if (typeof memberId !== 'string' || memberId.length === 0) {
      throw new HttpError(400, { status: 400, message: 'member-id is required' });
    }
    account.registration = { memberId, date: this.clock.now().toISOString() };
    return this.json(res, 200, this.userJson(account));
  }

  private userJson(account: Account) {
    return {
      'polar-user-id': account.polarUserId,
      'member-id': account.registration?.memberId ?? null,
      'registration-date': account.registration?.date ?? null,
      'first-name': account.firstName,
      'last-name': account.lastName,
      birthdate: '1990-04-12',
      gender: account.seed % 2 === 0 ? 'FEMALE' : 'MALE',
      weight: 68,
      height: 175,
      'extra-info': [],
    };
  }

  private createTransaction(account: Account, res: ServerResponse) {
    if (!account.openTransaction) {
      const now = this.clock.now().getTime();
      while (
        account.committed < this.total(account) &&
        !this.visible(account, account.committed, now, false)
      ) {
        account.committed++; // uploads Polar does not hand out (before registration) are skipped
      }
      const from = account.committed;
      const to = Math.min(this.total(account), from + TRANSACTION_SIZE);
      if (from >= to) return this.empty(res, 204);
      account.openTransaction = { id: this.nextTransactionId++, from, to };
    }
    const tx = account.openTransaction;
    return this.json(res, 201, {
      'transaction-id': tx.id,
      'resource-uri': `${this.apiUrl}/users/${account.polarUserId}/exercise-transactions/${tx.id}`,
    });
  }

  private maybeMalformed(item: Record<string, unknown>, key: string): Record<string, unknown> {
    if (this.faults.malformedItems && this.faults.malformedItems > 0) {
      this.faults.malformedItems--;
      return { ...item, [key]: 12345 };
    }
    return item;
  }

  /** Streams `GET /v3/exercises`: the last 30 days, generated item by item. */
  private async listExercises(account: Account, res: ServerResponse) {
    const now = this.clock.now().getTime();
    res.writeHead(200, { 'content-type': 'application/json', ...this.rateLimitHeaders() });
    if (this.takeInvalidJson()) {
      res.end('[{"id":"truncated","upload_time":');
      return;
    }
    let malformed = this.faults.malformedItems ?? 0;
    this.faults.malformedItems = undefined;
    let chunk: string[] = [];
    let first = true;
    const flush = async () => {
      if (chunk.length === 0) return;
      const text = (first ? '' : ',') + chunk.join(',');
      first = false;
      chunk = [];
      if (!res.write(text)) await new Promise((resolve) => res.once('drain', resolve));
    };
    res.write('[');
    const total = this.total(account);
    for (let i = 0; i < total; i++) {
      if (!this.visible(account, i, now, true)) continue;
      let item = toSnakeExercise(this.facts(account, i), this.apiUrl, account.polarUserId);
      if (malformed > 0) {
        malformed--;
        item = { ...item, start_time: 12345 };
      }
      chunk.push(JSON.stringify(item));
      if (chunk.length >= 500) await flush();
    }
    await flush();
    res.end(']');
  }

  private async webhooks(
    method: string,
    id: string | undefined,
    req: IncomingMessage,
    body: string,
    res: ServerResponse,
  ) {
    this.requireClient(req);
    if (id === undefined && method === 'GET') {
      const data = this.webhook
        ? [
            {
              id: this.webhook.id,
              events: this.webhook.events,
              url: this.webhook.url,
              active: this.webhook.active,
            },
          ]
        : [];
      return this.json(res, 200, { data });
    }
    if (id === undefined && method === 'POST') {
      if (this.webhook) {
        return this.json(res, 409, { status: 409, errorType: 'Conflict', message: 'Webhook already exists' });
      }
      const request = parseJson(body) as { events?: unknown; url?: unknown } | null;
      const events = Array.isArray(request?.events)
        ? request.events.filter((e) => typeof e === 'string')
        : [];
      if (typeof request?.url !== 'string' || events.length === 0) {
        throw new HttpError(400, { status: 400, message: 'events and url are required' });
      }
      const status = (await this.sendWebhook({ type: 'ping' }, request.url))?.status ?? null;
      if (status !== 200) {
        throw new HttpError(400, {
          status: 400,
          message: `Webhook ping to ${request.url} failed (${status === null ? 'no answer' : `HTTP ${status}`})`,
        });
      }
      this.webhook = {
        id: randomBytes(8).toString('hex'),
        events,
        url: request.url,
        active: true,
        failures: 0,
      };
      return this.json(res, 201, {
        data: { id: this.webhook.id, events, url: request.url, signature_secret_key: this.webhookSecret },
      });
    }
    if ((id === 'activate' || id === 'deactivate') && method === 'POST') {
      if (!this.webhook) throw new HttpError(404, { status: 404, message: 'No webhook' });
      this.webhook.active = id === 'activate';
      this.webhook.failures = 0;
      return this.empty(res, 204);
    }
    if (!this.webhook || this.webhook.id !== id) {
      throw new HttpError(404, { status: 404, message: `Webhook ${id} not found` });
    }
    if (method === 'DELETE') {
      this.webhook = null;
      return this.empty(res, 204);
    }
    if (method === 'PATCH') {
      const patch = parseJson(body) as { events?: unknown; url?: unknown } | null;
      if (typeof patch?.url === 'string' && patch.url !== this.webhook.url) {
        const status = (await this.sendWebhook({ type: 'ping' }, patch.url))?.status;
        if (status !== 200)
          throw new HttpError(400, { status: 400, message: `Webhook ping to ${patch.url} failed` });
        this.webhook.url = patch.url;
      }
      if (Array.isArray(patch?.events))
        this.webhook.events = patch.events.filter((e) => typeof e === 'string');
      return this.json(res, 200, {
        data: { id: this.webhook.id, events: this.webhook.events, url: this.webhook.url },
      });
    }
    throw new HttpError(405, { status: 405, message: `${method} not allowed` });
  }

  // ---- OAuth ---------------------------------------------------------------------------------------

  private authorize(method: string, url: URL, body: string, res: ServerResponse) {
    const params = method === 'POST' ? new URLSearchParams(body) : url.searchParams;
    const clientId = params.get('client_id');
    if (clientId !== this.clientId)
      return this.html(res, 400, `<h1>Unknown client_id ${escapeText(clientId)}</h1>`);
    const registered = this.options.redirectUris ?? [];
    const given = params.get('redirect_uri');
    if (given && registered.length > 0 && !registered.includes(given)) {
      return this.html(res, 400, '<h1>redirect_uri does not match a registered redirect URI</h1>');
    }
    const redirect = given ?? registered[0];
    if (!redirect)
      return this.html(res, 400, '<h1>redirect_uri is required: the client has none registered</h1>');
    const state = params.get('state');
    const back = (query: Record<string, string>) => {
      const target = new URL(redirect);
      for (const [k, v] of Object.entries(query)) target.searchParams.set(k, v);
      if (state !== null) target.searchParams.set('state', state);
      res.writeHead(302, { location: target.toString() }).end();
    };
    if (params.get('response_type') !== 'code') return back({ error: 'unsupported_response_type' });
    const scope = params.get('scope');
    if (scope?.split(/[\s,]+/).some((s) => s && s !== 'accesslink.read_all')) {
      return back({ error: 'invalid_scope' });
    }
    if (method === 'GET') {
      const fields: Record<string, string> = {};
      params.forEach((v, k) => {
        fields[k] = v;
      });
      const accounts = [...this.accounts.values()].map((a) => ({
        polarUserId: String(a.polarUserId),
        label: `${a.firstName} ${a.lastName}`,
      }));
      return this.html(
        res,
        200,
        renderConsentPage({ action: '/oauth2/authorization', fields, accounts, clientName: this.clientId }),
      );
    }
    if (params.get('decision') !== 'approve') return back({ error: 'access_denied' });
    let userId = Number(params.get('user_id'));
    if (!this.accounts.has(userId)) {
      if (params.get('user_id')) return this.html(res, 400, '<h1>Unknown Polar account</h1>');
      const created = this.nextUserId;
      void this.seedAccount({ activityCount: 30 });
      userId = created;
    }
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, {
      polarUserId: userId,
      redirectUri: given,
      expiresAt: this.clock.now().getTime() + CODE_TTL_MS,
      used: false,
    });
    return back({ code });
  }

  private token(method: string, req: IncomingMessage, body: string, res: ServerResponse) {
    if (method !== 'POST') return this.oauthJson(res, 405, { error: 'invalid_request' });
    const client = readBasic(req);
    if (!client || client.username !== this.clientId || client.password !== this.clientSecret) {
      return this.oauthJson(res, 401, { error: 'invalid_client' });
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'authorization_code')
      return this.oauthJson(res, 400, { error: 'unsupported_grant_type' });
    const code = this.codes.get(form.get('code') ?? '');
    if (!code) return this.oauthJson(res, 400, { error: 'invalid_grant' });
    if (code.used) {
      // Polar: reusing a code deletes every token issued for the user.
      this.revokeTokens(code.polarUserId);
      return this.oauthJson(res, 400, { error: 'invalid_grant' });
    }
    code.used = true;
    if (code.expiresAt < this.clock.now().getTime())
      return this.oauthJson(res, 400, { error: 'invalid_grant' });
    if ((form.get('redirect_uri') ?? null) !== code.redirectUri)
      return this.oauthJson(res, 400, { error: 'invalid_grant' });
    const accessToken = randomBytes(24).toString('hex');
    this.tokens.set(accessToken, { polarUserId: code.polarUserId, revoked: false });
    return this.oauthJson(res, 200, {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: TOKEN_TTL_S,
      x_user_id: code.polarUserId,
    });
  }

  private revokeTokens(polarUserId: number) {
    for (const record of this.tokens.values()) if (record.polarUserId === polarUserId) record.revoked = true;
  }

  private requireUser(req: IncomingMessage, options: { registered: boolean }): Account {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    const record = token ? this.tokens.get(token) : undefined;
    if (!record || record.revoked) {
      throw new HttpError(401, {
        status: 401,
        errorType: 'Unauthorized',
        message: 'Invalid or revoked access token',
      });
    }
    const account = this.account(record.polarUserId);
    if (options.registered) this.requireRegistered(account);
    return account;
  }

  private requireRegistered(account: Account) {
    if (this.options.requireRegistration !== false && !account.registration) {
      throw forbidden('User is not registered with this client');
    }
    if (!account.consentsAccepted) throw forbidden('User has not accepted all mandatory consents');
  }

  private requireClient(req: IncomingMessage) {
    const client = readBasic(req);
    if (!client || client.username !== this.clientId || client.password !== this.clientSecret) {
      throw new HttpError(401, {
        status: 401,
        errorType: 'Unauthorized',
        message: 'Invalid client credentials',
      });
    }
  }

  // ---- rate limits and responses -------------------------------------------------------------------

  private limits(): { short: number; long: number; shortWindowMs: number } {
    const users = [...this.accounts.values()].filter((a) => a.registration).length;
    const knob = this.options.rateLimit;
    return {
      short: knob?.limit ?? 500 + users * 20,
      long: 5000 + users * 100,
      shortWindowMs: knob?.windowMs ?? SHORT_WINDOW_MS,
    };
  }

  /** Counts one API request in both rolling windows; false when a window is used up. */
  private countRequest(): boolean {
    const now = this.clock.now().getTime();
    const { short, long, shortWindowMs } = this.limits();
    if (this.short.used === 0 || now >= this.short.start + shortWindowMs)
      this.short = { start: now, used: 0 };
    if (this.long.used === 0 || now >= this.long.start + LONG_WINDOW_MS) this.long = { start: now, used: 0 };
    if (this.short.used >= short || this.long.used >= long) return false;
    this.short.used++;
    this.long.used++;
    return true;
  }

  private rateLimitHeaders(): Record<string, string> {
    const now = this.clock.now().getTime();
    const { short, long, shortWindowMs } = this.limits();
    const shortReset = this.short.used === 0 ? shortWindowMs : this.short.start + shortWindowMs - now;
    const longReset = this.long.used === 0 ? LONG_WINDOW_MS : this.long.start + LONG_WINDOW_MS - now;
    return {
      'RateLimit-Usage': `${this.short.used},${this.long.used}`,
      'RateLimit-Limit': `${short},${long}`,
      'RateLimit-Reset': `${Math.max(0, Math.ceil(shortReset / 1000))},${Math.max(0, Math.ceil(longReset / 1000))}`,
    };
  }

  private tooManyRequests(res: ServerResponse, retryAfterSeconds?: number) {
    const headers: Record<string, string> = {};
    if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
    return this.json(
      res,
      429,
      { status: 429, errorType: 'TooManyRequests', message: 'Rate limit exceeded' },
      headers,
    );
  }

  private takeInvalidJson(): boolean {
    if (this.faults.invalidJson && this.faults.invalidJson > 0) {
      this.faults.invalidJson--;
      return true;
    }
    return false;
  }

  /** The transactional id of exercise `index`: a bigint beyond 2^53 with `largeTransactionalIds`. */
  private transactionalId(index: number): number | bigint {
    return this.options.largeTransactionalIds ? LARGE_ID_BASE + BigInt(index) : 1_000_000 + index;
  }

  /** The index of a transactional id from a URL (NaN when it is not one). */
  private transactionalIndex(id: string): number {
    if (!/^\d+$/.test(id)) return Number.NaN;
    return this.options.largeTransactionalIds ? Number(BigInt(id) - LARGE_ID_BASE) : Number(id) - 1_000_000;
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const all = { 'content-type': 'application/json', ...this.rateLimitHeaders(), ...headers };
    if (status >= 200 && status < 300 && this.takeInvalidJson()) {
      res.writeHead(status, all).end(polarJson(body).slice(0, 10));
      return;
    }
    res.writeHead(status, all).end(polarJson(body));
  }

  /** OAuth endpoints (polarremote.com at Polar): no rate-limit headers, untouched by the API fault knobs. */
  private oauthJson(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify(body));
  }

  private empty(res: ServerResponse, status: number) {
    res.writeHead(status, this.rateLimitHeaders()).end();
  }

  private html(res: ServerResponse, status: number, html: string) {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  }
}

function forbidden(message: string): HttpError {
  return new HttpError(403, { status: 403, errorType: 'Forbidden', message });
}

function escapeText(value: string | null): string {
  return String(value ?? '').replace(/[<>&"']/g, '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function readBasic(req: IncomingMessage): { username: string; password: string } | null {
  const m = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a Polar sandbox on 127.0.0.1 (port 0 by default). */
export async function startPolarSandbox(options: PolarSandboxOptions = {}): Promise<PolarSandbox> {
  return new PolarSandbox(options).listen();
}
