import type { RateLimitSnapshot } from '../provider/v1/rate-limit';
import type { RateLimitTracker } from '../provider-utils/rate-limit-tracker';
import type { PgQueryable } from './postgres-store';

export interface PostgresRateLimitTrackerOptions {
  /** A node-postgres Pool/Client or a PGlite instance on a database migrated with 004_trainlytics_queue. */
  db: PgQueryable;
  /**
   * The length of each rate-limit window by name, for windows aligned on the epoch (Strava's `15min`
   * resets at :00/:15/:30/:45 UTC, `daily` at midnight UTC — the defaults). Override for a sandbox with a
   * short window, e.g. `{ '15min': 15_000 }`. Windows without a period use the `resetsAt` a response reported.
   */
  windowPeriodsMs?: Record<string, number>;
  /**
   * Requests reserved this close to the end of a window are counted in the next window too, since the
   * provider may receive them after it reset (default 1,000 ms).
   */
  guardMs?: number;
}

const DEFAULT_PERIODS: Record<string, number> = { '15min': 15 * 60_000, daily: 86_400_000 };

interface StateJson {
  windows: Array<{ bucket: string; name: string; limit: number; used: number; resets_at: string | null }>;
  blocked_until: string | null;
}

/**
 * A `RateLimitTracker` whose state lives in PostgreSQL, so that many worker processes on many machines
 * share one provider's app-wide limit: `reserve` counts one request atomically in SQL
 * (`trainlytics_rate_limit_reserve`), `observe` records what the provider's rate-limit headers said
 * (never lowering the count of the current window below what was reserved), `block` records a 429.
 *
 * ```ts
 * const trainlytics = createTrainlytics({ store, providers, rateLimitTracker: postgresRateLimitTracker({ db: pool }) });
 * ```
 */
export function postgresRateLimitTracker(
  options: PostgresRateLimitTrackerOptions,
): RateLimitTracker & { refresh(providerId: string): Promise<void> } {
  const { db } = options;
  const periods = { ...DEFAULT_PERIODS, ...options.windowPeriodsMs };
  const guardMs = options.guardMs ?? 1_000;
  const cache = new Map<string, { snapshots: RateLimitSnapshot[]; blockedUntil: Date | null }>();

  async function call(fn: string, args: Record<string, unknown>): Promise<unknown> {
    const { rows } = await db.query(`select ${fn}($1::jsonb) as result`, [JSON.stringify(args)]);
    return rows[0]?.result;
  }

  function toState(json: StateJson) {
    const buckets = new Map<string, RateLimitSnapshot>();
    for (const w of json.windows) {
      let snap = buckets.get(w.bucket);
      if (!snap) {
        snap = { bucket: w.bucket, windows: [] };
        buckets.set(w.bucket, snap);
      }
      snap.windows.push({
        name: w.name,
        limit: w.limit,
        used: w.used,
        resetsAt: w.resets_at ? new Date(w.resets_at) : null,
      });
    }
    return {
      snapshots: [...buckets.values()],
      blockedUntil: json.blocked_until ? new Date(json.blocked_until) : null,
    };
  }

  return {
    async reserve(providerId, now) {
      const result = (await call('trainlytics_rate_limit_reserve', {
        provider: providerId,
        now: now.toISOString(),
        guard_ms: guardMs,
      })) as { wait_until: string | null } | undefined;
      return result?.wait_until ? new Date(result.wait_until) : null;
    },
    async observe(providerId, snapshots, now) {
      if (snapshots.length === 0) return;
      const windows = snapshots.flatMap((s) =>
        s.windows.map((w) => ({
          bucket: s.bucket,
          name: w.name,
          limit: w.limit,
          used: w.used,
          resets_at: w.resetsAt?.toISOString() ?? null,
          period_ms: periods[w.name] ?? null,
        })),
      );
      await call('trainlytics_rate_limit_observe', {
        provider: providerId,
        now: now.toISOString(),
        guard_ms: guardMs,
        windows,
      });
      // the window ends as this tracker counts them (a provider may report a coarser reset time)
      const windowEnd = (name: string, reported: Date | null): Date | null => {
        const period = periods[name];
        if (!period) return reported;
        return new Date((Math.floor(now.getTime() / period) + 1) * period);
      };
      cache.set(providerId, {
        snapshots: snapshots.map((s) => ({
          bucket: s.bucket,
          windows: s.windows.map((w) => ({ ...w, resetsAt: windowEnd(w.name, w.resetsAt) })),
        })),
        blockedUntil: cache.get(providerId)?.blockedUntil ?? null,
      });
    },
    async block(providerId, until) {
      await call('trainlytics_rate_limit_block', { provider: providerId, until: until.toISOString() });
      const current = cache.get(providerId) ?? { snapshots: [], blockedUntil: null };
      if (!current.blockedUntil || until > current.blockedUntil) current.blockedUntil = until;
      cache.set(providerId, current);
    },
    /** The last state this process saw (`refresh` reads the shared state from the database). */
    snapshot(providerId) {
      const current = cache.get(providerId) ?? { snapshots: [], blockedUntil: null };
      return {
        snapshots: current.snapshots.map((s) => ({
          bucket: s.bucket,
          windows: s.windows.map((w) => ({ ...w })),
        })),
        blockedUntil: current.blockedUntil,
      };
    },
    async refresh(providerId) {
      const json = (await call('trainlytics_rate_limit_state', { provider: providerId })) as StateJson;
      cache.set(providerId, toState(json));
    },
  };
}
