import { ConfigurationError, RateLimitError } from '../errors/errors';
import { needsReauthorization } from '../errors/needs-reauthorization';
import type { RateLimitSnapshot } from '../provider/v1/rate-limit';
import type { Runtime } from '../registry/runtime';
import { describeFailure } from '../sync/error-message';
import { activityDetail } from './activity-detail';

/**
 * The streams backfill policy (ADR 0032): which activities the background runner fetches streams for, and
 * how much of each provider's rate budget it may spend. Given to `createTrainlytics({ streams })`; every
 * field is optional.
 */
export interface StreamsPolicy {
  /** Only activities that started at or after this instant. */
  since?: Date;
  /** Only activities at most this many days old (by start date, at each tick); combined with `since`, the later wins. */
  maxAgeDays?: number;
  /** Only activities of these sports (`run`, `ride`, …). */
  sportTypes?: string[];
  /** The share of each rate-limit window left to summary syncs and webhooks (default 0.3). */
  reserve?: number;
  /** The most activities one tick fetches, over all connections (default 20): bounds a tick's duration. */
  maxActivitiesPerTick?: number;
}

export const DEFAULT_STREAMS_RESERVE = 0.3;
export const DEFAULT_STREAMS_PER_TICK = 20;

/** The policy's filters at `now`: `since` is the later of `since` and `now − maxAgeDays`. */
export function streamsFilter(policy: StreamsPolicy, now: Date): { since?: Date; sportTypes?: string[] } {
  const byAge =
    policy.maxAgeDays !== undefined ? new Date(now.getTime() - policy.maxAgeDays * 86_400_000) : undefined;
  const since =
    policy.since && byAge
      ? new Date(Math.max(policy.since.getTime(), byAge.getTime()))
      : (policy.since ?? byAge);
  return {
    ...(since ? { since } : {}),
    ...(policy.sportTypes && policy.sportTypes.length > 0 ? { sportTypes: policy.sportTypes } : {}),
  };
}

/** Throws a `ConfigurationError` naming the field when the policy cannot work. */
export function checkStreamsPolicy(policy: StreamsPolicy): void {
  const reserve = policy.reserve ?? DEFAULT_STREAMS_RESERVE;
  if (!(reserve >= 0 && reserve < 1))
    throw new ConfigurationError(`streams.reserve must be at least 0 and below 1, got ${reserve}`, {
      hint: 'e.g. 0.3 leaves 30 % of every rate-limit window to summary syncs and webhooks',
    });
  const perTick = policy.maxActivitiesPerTick ?? DEFAULT_STREAMS_PER_TICK;
  if (!Number.isSafeInteger(perTick) || perTick < 1) {
    throw new ConfigurationError(
      `streams.maxActivitiesPerTick must be a positive whole number, got ${perTick}`,
    );
  }
  if (policy.maxAgeDays !== undefined && !(policy.maxAgeDays > 0)) {
    throw new ConfigurationError(
      `streams.maxAgeDays must be a positive number of days, got ${policy.maxAgeDays}`,
    );
  }
}

/**
 * The requests a provider's streams backlog may still spend now: for every rate-limit window it last
 * reported (and that has not reset since), `limit × (1 − reserve) − used`, the smallest of them; with no
 * window reported, its documented defaults (nothing used yet); 0 while the provider blocks the app (a 429).
 * `Infinity` when neither is known (the per-tick cap then bounds the tick).
 */
export function streamsAllowance(
  state: { snapshots: RateLimitSnapshot[]; blockedUntil: Date | null },
  defaults: ReadonlyArray<{ limit: number }> | undefined,
  reserve: number,
  now: Date,
): number {
  if (state.blockedUntil && state.blockedUntil > now) return 0;
  const windows = state.snapshots.flatMap((s) => s.windows).filter((w) => !(w.resetsAt && w.resetsAt <= now));
  const known = state.snapshots.length > 0 ? windows : (defaults ?? []).map((d) => ({ ...d, used: 0 }));
  let allowance = Number.POSITIVE_INFINITY;
  for (const w of known) allowance = Math.min(allowance, Math.floor(w.limit * (1 - reserve)) - w.used);
  return Math.max(0, allowance);
}

/** An activity without streams, as the tick planner sees it. */
export interface StreamsTickCandidate {
  activityId: number;
  connectionId: number;
  provider: string;
  startDate: Date;
  sportType: string;
}

export interface StreamsTickInput {
  now: Date;
  /** Each connection's backlog, newest first (any order across connections). */
  candidates: readonly StreamsTickCandidate[];
  /** The requests each provider's backlog may still spend (`streamsAllowance`); a provider not listed: none. */
  allowance: Readonly<Record<string, number>>;
  /** Requests one activity's streams cost, by provider (`ProviderStreamsV1.requestsPerActivity`). */
  requestsPerActivity: Readonly<Record<string, number>>;
  /** Providers with a summary sync due or waiting: their backlog waits (summaries always go first). */
  summaryDue: ReadonlySet<string>;
  /** When each connection's backlog was last served (ms); never-served connections come first. */
  lastServedMs: ReadonlyMap<number, number>;
  /** The policy's filters and per-tick cap. */
  policy: StreamsPolicy;
}

/**
 * Which activities one tick fetches streams for, in order (pure; ADR 0032). Candidates outside the policy's
 * age and sport filters are never chosen; providers with a summary sync due get nothing; the connections
 * are served round-robin, the least recently served first, one activity each turn, as long as the provider's
 * allowance covers one more activity and the tick's cap is not reached.
 */
export function planStreamsTick(input: StreamsTickInput): StreamsTickCandidate[] {
  const { since, sportTypes } = streamsFilter(input.policy, input.now);
  const sports = sportTypes ? new Set(sportTypes) : null;
  const cap = input.policy.maxActivitiesPerTick ?? DEFAULT_STREAMS_PER_TICK;
  const queues = new Map<number, StreamsTickCandidate[]>();
  for (const c of input.candidates) {
    if (input.summaryDue.has(c.provider)) continue;
    if (since && !(c.startDate >= since)) continue;
    if (sports && !sports.has(c.sportType)) continue;
    const queue = queues.get(c.connectionId) ?? [];
    if (!queue.some((q) => q.activityId === c.activityId)) queue.push(c);
    queues.set(c.connectionId, queue);
  }
  const order = [...queues.keys()].sort(
    (a, b) =>
      (input.lastServedMs.get(a) ?? Number.NEGATIVE_INFINITY) -
        (input.lastServedMs.get(b) ?? Number.NEGATIVE_INFINITY) || a - b,
  );
  const left = new Map(Object.entries(input.allowance));
  const chosen: StreamsTickCandidate[] = [];
  let progress = true;
  while (chosen.length < cap && progress) {
    progress = false;
    for (const connectionId of order) {
      if (chosen.length >= cap) break;
      const next = queues.get(connectionId)?.[0];
      if (!next) continue;
      const cost = Math.max(1, input.requestsPerActivity[next.provider] ?? 1);
      const budget = left.get(next.provider) ?? 0;
      if (budget < cost) continue;
      left.set(next.provider, budget - cost);
      queues.get(connectionId)?.shift();
      chosen.push(next);
      progress = true;
    }
  }
  return chosen;
}

export interface StreamsTickOptions {
  /**
   * Whether a summary sync of the provider is due or waiting (the scheduler's leftovers, the queue's waiting
   * sync jobs). Asked once per provider before planning and again before each fetch: a true answer stops
   * that provider's backlog for this tick.
   */
  isSummaryDue?: (provider: string) => boolean | Promise<boolean>;
  /** Only these connections (default: every active connection whose provider has streams). */
  connectionIds?: readonly number[];
}

/** What one tick of the streams backlog runner did. */
export interface StreamsTickReport {
  /** Activities chosen by the plan. */
  planned: number;
  stored: number;
  none: number;
  requested: number;
  failed: number;
  requests: number;
  /** Providers left alone this tick because a summary sync of theirs was due. */
  waitedForSummary: string[];
  /** Providers whose budget share was used up (or that answered 429), and when it frees up if known. */
  budgetExhausted: Array<{ provider: string; resumeAt: Date | null }>;
  errors: Array<{ activityId: number; connectionId: number; name: string; message: string }>;
}

export interface StreamsRunner {
  tick(options?: StreamsTickOptions): Promise<StreamsTickReport>;
}

/** Connections one tick looks at (backlog queries), per activity it may fetch. */
const LOOKS_PER_ACTIVITY = 3;

/**
 * The background streams runner (ADR 0032): each `tick()` plans with `planStreamsTick` from the database's
 * backlog and the providers' rate-limit state, then fetches the chosen activities' streams one by one,
 * checking the budget and the summary syncs before each. Resumable by construction: the backlog is what
 * has no streams row, so a restarted process continues where the last one stopped. The runner remembers
 * (in memory) when it last served each connection, for the round-robin.
 */
export function createStreamsRunner(rt: Runtime, policy: StreamsPolicy = {}): StreamsRunner {
  checkStreamsPolicy(policy);
  const reserve = policy.reserve ?? DEFAULT_STREAMS_RESERVE;
  const cap = policy.maxActivitiesPerTick ?? DEFAULT_STREAMS_PER_TICK;
  const lastServedMs = new Map<number, number>();
  let running: Promise<StreamsTickReport> | null = null;

  async function runTick(options: StreamsTickOptions): Promise<StreamsTickReport> {
    const report: StreamsTickReport = {
      planned: 0,
      stored: 0,
      none: 0,
      requested: 0,
      failed: 0,
      requests: 0,
      waitedForSummary: [],
      budgetExhausted: [],
      errors: [],
    };
    const store = rt.store;
    if (!store.listStreamsBacklog) return report;
    const only = options.connectionIds ? new Set(options.connectionIds) : null;
    const connections = (await store.listConnections({ active: true }))
      .filter((c) => !c.reauthRequired && (!only || only.has(c.id)))
      .filter((c) => rt.providers.get(c.provider)?.streams);
    const isDue = options.isSummaryDue ?? (() => false);
    const now = rt.clock.now();
    const allowance: Record<string, number> = {};
    const requestsPerActivity: Record<string, number> = {};
    const summaryDue = new Set<string>();
    for (const provider of new Set(connections.map((c) => c.provider))) {
      const plugin = rt.providers.get(provider)!;
      if (await isDue(provider)) {
        summaryDue.add(provider);
        report.waitedForSummary.push(provider);
        continue;
      }
      const tracker = rt.rateLimitTracker as { refresh?: (id: string) => Promise<void> };
      if (tracker.refresh) await tracker.refresh(provider);
      allowance[provider] = streamsAllowance(
        rt.rateLimitTracker.snapshot(provider),
        plugin.rateLimit?.defaults,
        reserve,
        now,
      );
      requestsPerActivity[provider] = plugin.streams?.requestsPerActivity ?? 1;
      if (allowance[provider] < requestsPerActivity[provider]) {
        report.budgetExhausted.push({ provider, resumeAt: resumeAtOf(rt, provider, now) });
      }
    }
    const filter = streamsFilter(policy, now);
    const ordered = connections
      .filter((c) => (allowance[c.provider] ?? 0) >= (requestsPerActivity[c.provider] ?? 1))
      .sort(
        (a, b) =>
          (lastServedMs.get(a.id) ?? Number.NEGATIVE_INFINITY) -
            (lastServedMs.get(b.id) ?? Number.NEGATIVE_INFINITY) || a.id - b.id,
      );
    const candidates: StreamsTickCandidate[] = [];
    let withBacklog = 0;
    for (const connection of ordered.slice(0, cap * LOOKS_PER_ACTIVITY)) {
      if (withBacklog >= cap) break;
      const perActivity = requestsPerActivity[connection.provider] ?? 1;
      const page = await store.listStreamsBacklog({
        connectionId: connection.id,
        ...filter,
        limit: Math.max(1, Math.min(cap, Math.floor((allowance[connection.provider] ?? 0) / perActivity))),
      });
      // an empty backlog goes to the back of the round-robin: looked at again once the others had a turn
      if (page.length === 0) lastServedMs.set(connection.id, now.getTime());
      else withBacklog++;
      for (const item of page) {
        candidates.push({
          activityId: item.id,
          connectionId: connection.id,
          provider: connection.provider,
          startDate: item.startDate,
          sportType: item.sportType,
        });
      }
    }
    const plan = planStreamsTick({
      now,
      candidates,
      allowance,
      requestsPerActivity,
      summaryDue,
      lastServedMs,
      policy,
    });
    report.planned = plan.length;
    const stopped = new Set<string>();
    /** Requests this tick spent per provider. */
    const spent = new Map<string, number>();
    const skippedConnections = new Set<number>();
    for (const item of plan) {
      if (stopped.has(item.provider) || skippedConnections.has(item.connectionId)) continue;
      if (await isDue(item.provider)) {
        stopped.add(item.provider);
        if (!report.waitedForSummary.includes(item.provider)) report.waitedForSummary.push(item.provider);
        continue;
      }
      const plugin = rt.providers.get(item.provider)!;
      const left = streamsAllowance(
        rt.rateLimitTracker.snapshot(item.provider),
        plugin.rateLimit?.defaults,
        reserve,
        rt.clock.now(),
      );
      // the plan's allowance was taken before this tick's own requests: the tracker has them now
      const spentHere = spent.get(item.provider) ?? 0;
      if (Math.min(left, allowance[item.provider]! - spentHere) < requestsPerActivity[item.provider]!) {
        stopped.add(item.provider);
        report.budgetExhausted.push({
          provider: item.provider,
          resumeAt: resumeAtOf(rt, item.provider, now),
        });
        continue;
      }
      lastServedMs.set(item.connectionId, rt.clock.now().getTime());
      try {
        const detail = await activityDetail(rt, item.activityId);
        report.requests += detail.requests;
        spent.set(item.provider, spentHere + detail.requests);
        if (detail.status === 'stored') report.stored++;
        else if (detail.status === 'none') report.none++;
        else if (detail.status === 'requested') report.requested++;
      } catch (error) {
        const failure = describeFailure(error);
        if (RateLimitError.isInstance(error)) {
          stopped.add(item.provider);
          report.budgetExhausted.push({ provider: item.provider, resumeAt: error.retryAt });
          continue;
        }
        if (failure.name === 'NotFoundError') continue; // deleted meanwhile: nothing to fetch
        report.failed++;
        report.errors.push({
          activityId: item.activityId,
          connectionId: item.connectionId,
          name: failure.name,
          message: failure.message,
        });
        if (needsReauthorization(error)) skippedConnections.add(item.connectionId);
      }
    }
    return report;
  }

  return {
    tick(options = {}) {
      // never two ticks at once in a process: a tick asked for while one runs joins it
      running ??= runTick(options).finally(() => {
        running = null;
      });
      return running;
    },
  };
}

/** When the provider's tightest exhausted window resets (or its block ends); null when unknown. */
function resumeAtOf(rt: Runtime, provider: string, now: Date): Date | null {
  const state = rt.rateLimitTracker.snapshot(provider);
  if (state.blockedUntil && state.blockedUntil > now) return state.blockedUntil;
  const resets = state.snapshots
    .flatMap((s) => s.windows)
    .map((w) => w.resetsAt)
    .filter((d): d is Date => d !== null && d > now)
    .sort((a, b) => b.getTime() - a.getTime());
  return resets[0] ?? null;
}
