import type { RateLimitSnapshot } from '../provider/v1/rate-limit';

/**
 * Keeps the app-wide rate-limit state of each provider so that requests wait for a window to reset
 * instead of collecting 429s. The default is in memory (one process); a shared implementation keeps the
 * same state in the database for many workers.
 */
export interface RateLimitTracker {
  /**
   * Reserves one request for `providerId`. Returns null when it may be sent now, or the time to wait
   * for (a window is used up, or the provider answered 429 until then).
   */
  reserve(providerId: string, now: Date): Promise<Date | null>;
  /** Records what a response's headers said (replaces the local estimate). */
  observe(providerId: string, snapshots: RateLimitSnapshot[], now: Date): Promise<void>;
  /** Records a 429: nothing is sent to this provider before `until`. */
  block(providerId: string, until: Date): Promise<void>;
  /** The last known state, for dashboards and benchmarks. */
  snapshot(providerId: string): { snapshots: RateLimitSnapshot[]; blockedUntil: Date | null };
}

interface ProviderState {
  snapshots: RateLimitSnapshot[];
  blockedUntil: Date | null;
}

/** The in-process tracker (the embedded default). */
export function createMemoryRateLimitTracker(): RateLimitTracker {
  const states = new Map<string, ProviderState>();
  const stateOf = (id: string) => {
    let s = states.get(id);
    if (!s) {
      s = { snapshots: [], blockedUntil: null };
      states.set(id, s);
    }
    return s;
  };
  return {
    async reserve(providerId, now) {
      const state = stateOf(providerId);
      let waitUntil: Date | null = state.blockedUntil && state.blockedUntil > now ? state.blockedUntil : null;
      for (const snap of state.snapshots) {
        for (const w of snap.windows) {
          if (w.resetsAt && w.resetsAt <= now) {
            w.used = 0;
            w.resetsAt = null;
          }
          if (w.used >= w.limit) {
            const until = w.resetsAt ?? null;
            if (until && (!waitUntil || until > waitUntil)) waitUntil = until;
          }
        }
      }
      if (waitUntil) return waitUntil;
      for (const snap of state.snapshots) for (const w of snap.windows) w.used += 1;
      return null;
    },
    async observe(providerId, snapshots) {
      if (snapshots.length === 0) return;
      const state = stateOf(providerId);
      const byBucket = new Map(state.snapshots.map((s) => [s.bucket, s]));
      for (const s of snapshots)
        byBucket.set(s.bucket, { bucket: s.bucket, windows: s.windows.map((w) => ({ ...w })) });
      state.snapshots = [...byBucket.values()];
    },
    async block(providerId, until) {
      const state = stateOf(providerId);
      if (!state.blockedUntil || until > state.blockedUntil) state.blockedUntil = until;
    },
    snapshot(providerId) {
      const state = stateOf(providerId);
      return {
        snapshots: state.snapshots.map((s) => ({
          bucket: s.bucket,
          windows: s.windows.map((w) => ({ ...w })),
        })),
        blockedUntil: state.blockedUntil,
      };
    },
  };
}
