import { NotFoundError, RateLimitError } from '../errors/errors';
import { needsReauthorization } from '../errors/needs-reauthorization';
import type { RateLimitWindow } from '../provider/v1/rate-limit';
import type { Runtime } from '../registry/runtime';
import type { StreamsBacklogQuery } from '../store/store';
import { describeFailure } from '../sync/error-message';
import { activityDetail } from './activity-detail';

/**
 * The streams backlog of a connection: its activities whose streams are not stored yet (ADR 0030).
 *
 * Streams are worth less than summaries and cost more requests, so the backlog runs as low-priority work
 * that leaves room for summary syncs and webhooks: it stops, to resume later, as soon as fetching one more
 * activity would use more than `1 − reserve` of any rate-limit window the provider last reported (default
 * reserve 30 %), or when the provider says the budget is used up. It is resumable by construction: each
 * activity's streams are stored as they arrive, and the backlog is "what has no streams row".
 */
export interface StreamsBacklogOptions {
  /** Only activities that started at or after this instant (e.g. the last 90 days). */
  since?: Date;
  /** Only activities of these sports (`run`, `ride`, …). */
  sportTypes?: string[];
  /** At most this many activities in this run (default: as many as the budget allows). */
  limit?: number;
  /** The share of each rate-limit window left to summary syncs and webhooks (default 0.3). */
  reserve?: number;
}

export interface StreamsBacklogRun {
  connectionId: number;
  /** Activities whose streams were stored, found to have none, or requested (push providers). */
  stored: number;
  none: number;
  requested: number;
  /** Activities whose fetch failed (their error is in `errors`); they stay in the backlog. */
  failed: number;
  requests: number;
  /** Why the run ended. */
  stoppedBy: 'done' | 'limit' | 'budget' | 'rate-limit' | 'reauthorization' | 'unsupported';
  /** When the budget allows the next run, when it stopped for the budget or a rate limit. */
  resumeAt: Date | null;
  errors: Array<{ activityId: number; name: string; message: string }>;
}

const DEFAULT_RESERVE = 0.3;
const PAGE = 50;

/** Fetches and stores the connection's missing streams, newest activity first. Never throws for a provider failure. */
export async function runStreamsBacklog(
  rt: Runtime,
  connectionId: number,
  options: StreamsBacklogOptions = {},
): Promise<StreamsBacklogRun> {
  const run: StreamsBacklogRun = {
    connectionId,
    stored: 0,
    none: 0,
    requested: 0,
    failed: 0,
    requests: 0,
    stoppedBy: 'done',
    resumeAt: null,
    errors: [],
  };
  const connection = await rt.store.getConnection(connectionId);
  if (!connection) throw new NotFoundError(`Connection ${connectionId} does not exist`);
  const provider = rt.providers.get(connection.provider);
  if (!provider?.streams || !rt.store.listStreamsBacklog) return { ...run, stoppedBy: 'unsupported' };
  const reserve = options.reserve ?? DEFAULT_RESERVE;
  const query: StreamsBacklogQuery = {
    connectionId,
    ...(options.since ? { since: options.since } : {}),
    ...(options.sportTypes ? { sportTypes: options.sportTypes } : {}),
    limit: PAGE,
  };
  let beforeId: number | undefined;
  let handled = 0;
  for (;;) {
    const page = await rt.store.listStreamsBacklog({ ...query, ...(beforeId ? { beforeId } : {}) });
    if (page.length === 0) return run;
    for (const item of page) {
      beforeId = item.id;
      if (options.limit !== undefined && handled >= options.limit) return { ...run, stoppedBy: 'limit' };
      const full = windowsFull(rt, provider.id, provider.streams.requestsPerActivity, reserve);
      if (full) return { ...run, stoppedBy: 'budget', resumeAt: full };
      handled++;
      try {
        const detail = await activityDetail(rt, item.id);
        run.requests += detail.requests;
        if (detail.status === 'stored') run.stored++;
        else if (detail.status === 'none') run.none++;
        else if (detail.status === 'requested') run.requested++;
      } catch (error) {
        if (RateLimitError.isInstance(error))
          return { ...run, stoppedBy: 'rate-limit', resumeAt: error.retryAt };
        const failure = describeFailure(error);
        if (needsReauthorization(error)) {
          run.errors.push({ activityId: item.id, name: failure.name, message: failure.message });
          return { ...run, stoppedBy: 'reauthorization' };
        }
        // the activity was deleted meanwhile: nothing to fetch
        if (NotFoundError.isInstance(error)) continue;
        run.failed++;
        run.errors.push({ activityId: item.id, name: failure.name, message: failure.message });
      }
    }
  }
}

/**
 * When a window the provider last reported would go beyond `1 − reserve` of its limit with `cost` more
 * requests: the time it resets (or now when unknown); null while there is room.
 */
function windowsFull(rt: Runtime, providerId: string, cost: number, reserve: number): Date | null {
  const state = rt.rateLimitTracker.snapshot(providerId);
  if (state.blockedUntil && state.blockedUntil > rt.clock.now()) return state.blockedUntil;
  let resumeAt: Date | null = null;
  const now = rt.clock.now();
  for (const window of state.snapshots.flatMap((s) => s.windows)) {
    if (window.resetsAt && window.resetsAt <= now) continue; // reset since it was reported
    if (window.used + cost > window.limit * (1 - reserve)) {
      const at = window.resetsAt ?? rt.clock.now();
      if (!resumeAt || at > resumeAt) resumeAt = at;
    }
  }
  return resumeAt;
}

/** What is left of a connection's streams backlog and how long it takes under the provider's budget. */
export interface StreamsBacklogPlan {
  connectionId: number;
  remaining: number;
  requestsPerActivity: number;
  requests: number;
  /**
   * The requests the backlog may spend per day: the tightest window the provider last reported (or its
   * documented defaults), less the reserve. Null when neither is known.
   */
  requestsPerDay: number | null;
  /** How long the remaining backlog takes at that rate (ms), or null when the rate is unknown. */
  estimatedMs: number | null;
}

const WINDOW_MS: Record<string, number> = { '15min': 15 * 60_000, daily: 86_400_000 };

export async function planStreamsBacklog(
  rt: Runtime,
  connectionId: number,
  options: Pick<StreamsBacklogOptions, 'since' | 'sportTypes' | 'reserve'> = {},
): Promise<StreamsBacklogPlan | null> {
  const connection = await rt.store.getConnection(connectionId);
  if (!connection) throw new NotFoundError(`Connection ${connectionId} does not exist`);
  const provider = rt.providers.get(connection.provider);
  if (!provider?.streams || !rt.store.countStreamsBacklog) return null;
  const remaining = await rt.store.countStreamsBacklog({
    connectionId,
    ...(options.since ? { since: options.since } : {}),
    ...(options.sportTypes ? { sportTypes: options.sportTypes } : {}),
  });
  const requestsPerActivity = provider.streams.requestsPerActivity;
  const requests = remaining * requestsPerActivity;
  const reported = rt.rateLimitTracker.snapshot(provider.id).snapshots.flatMap((s) => s.windows);
  const windows: Array<Pick<RateLimitWindow, 'name' | 'limit'> & { windowMs?: number }> = reported.length
    ? reported
    : (provider.rateLimit?.defaults ?? []);
  const perDay = windows
    .map((w) => {
      const ms = 'windowMs' in w && w.windowMs ? w.windowMs : WINDOW_MS[w.name];
      return ms ? (w.limit * (1 - (options.reserve ?? DEFAULT_RESERVE)) * 86_400_000) / ms : null;
    })
    .filter((v): v is number => v !== null && v > 0);
  const requestsPerDay = perDay.length ? Math.floor(Math.min(...perDay)) : null;
  return {
    connectionId,
    remaining,
    requestsPerActivity,
    requests,
    requestsPerDay,
    estimatedMs: requestsPerDay ? Math.round((requests / requestsPerDay) * 86_400_000) : null,
  };
}
