import type { Clock } from '@trainlytics/core';
import { AthleteStore } from './athlete-store';
import { FaultInjector } from './fault-injection';
import type { SandboxActivity } from './generate-history';
import { RequestLog } from './request-log';
import { offsetClock } from './sandbox-clock';
import {
  PROGRAM_BEFORE_2026,
  type StravaApiSandboxOptions,
  type StravaProgramSwitches,
} from './sandbox-options';
import { SandboxRateLimiter } from './sandbox-rate-limiter';
import { SandboxTokens } from './sandbox-tokens';

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

/** The app's push subscription (Strava allows one per app). */
export interface PushSubscription {
  id: number;
  callbackUrl: string;
  verifyToken: string;
  createdAt: string;
}

/**
 * Everything the sandbox holds, shared by its routes and its control methods: the app's credentials, the
 * clock, athletes and activities, OAuth grants, rate-limit counters, faults, the request log, the push
 * subscription, the list endpoint's hook and visibility predicate, and the developer-program switches.
 */
export class SandboxState {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly verifyToken: string;
  readonly subscriptionId: number;
  readonly clock: Clock;
  readonly athletes: AthleteStore;
  readonly tokens: SandboxTokens;
  readonly rateLimiter: SandboxRateLimiter;
  readonly faults: FaultInjector;
  readonly requests: RequestLog;
  program: StravaProgramSwitches;
  subscription: PushSubscription | null = null;
  listCalls = 0;
  listHook: ((call: ListActivitiesCall) => void | Promise<void>) | null = null;
  hideFromList: ((activity: SandboxActivity) => boolean) | null;

  constructor(readonly options: StravaApiSandboxOptions) {
    this.program = { ...PROGRAM_BEFORE_2026, ...options.program };
    this.clientId = options.clientId ?? 'sandbox-client-id';
    this.clientSecret = options.clientSecret ?? 'sandbox-client-secret';
    this.verifyToken = options.verifyToken ?? 'sandbox-verify-token';
    this.subscriptionId = options.subscriptionId ?? 120475;
    this.clock = options.clock ?? offsetClock();
    this.faults = new FaultInjector(options.faults);
    this.hideFromList = options.hideFromList ?? null;
    this.athletes = new AthleteStore(this.clock);
    this.tokens = new SandboxTokens(this.clock);
    this.rateLimiter = new SandboxRateLimiter(this.clock, options.rateLimit);
    this.requests = new RequestLog(() => this.tokens.issuedAccessTokens());
  }

  /** Whether the list shows an activity to a token (applied after paging, as Strava does). */
  listed(activity: SandboxActivity, includePrivate: boolean): boolean {
    return (includePrivate || activity.private !== true) && !this.hideFromList?.(activity);
  }

  /** Whether connecting this athlete would exceed the athlete cap (an athlete already connected may reconnect). */
  athleteCapReached(athleteId: string): boolean {
    const cap = this.program.athleteCap;
    if (cap === null) return false;
    const connected = this.tokens.connectedAthletes();
    return !connected.includes(athleteId) && connected.length >= cap;
  }

  /** The fetch that calls the app (webhook deliveries, subscription validation): the option, else global. */
  fetch(input: Request | URL, init?: RequestInit): Promise<Response> {
    const send = this.options.fetch ?? fetch;
    return init === undefined ? send(input) : send(input, init);
  }
}
