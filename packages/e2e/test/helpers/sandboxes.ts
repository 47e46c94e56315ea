import type { Provider } from '@trainlytics/core';
import type { ConformanceSandbox } from '@trainlytics/core/testing';
import { startGarminSandbox } from '@trainlytics/provider-garmin/sandbox';
import { startPolarSandbox } from '@trainlytics/provider-polar/sandbox';
import { startStravaSandbox } from '@trainlytics/provider-strava/sandbox';

/** How a provider delivers its history, so one suite can drive all three the same way. */
export interface SandboxCase {
  id: 'strava' | 'garmin' | 'polar';
  /** `pull`: a full sync pages through the whole history. `async`: the history arrives later by push. */
  backfill: 'pull' | 'async';
  /** Activities added for an incremental run: more than one page of the plugin's listing. */
  incrementalCount: number;
  /**
   * Whether `addActivities` returns the ids the listing stores. Polar's sandbox returns the ids of the
   * default exercises flow; the transactional flow used here lists the same exercises under their
   * transactional ids, so only counts are compared.
   */
  addedIdsAreListed: boolean;
  start(): Promise<ConformanceSandbox>;
}

/**
 * The three sandboxes, configured so short histories span several pages: Strava lists 5 per page,
 * Polar's transactional flow commits ≤ 50 exercises per page, Garmin pulls 24-hour upload windows.
 */
export const SANDBOX_CASES: SandboxCase[] = [
  {
    id: 'strava',
    backfill: 'pull',
    incrementalCount: 12,
    addedIdsAreListed: true,
    start: () => startStravaSandbox({ provider: { pageSize: 5 } }),
  },
  {
    id: 'garmin',
    backfill: 'async',
    incrementalCount: 12,
    addedIdsAreListed: true,
    start: () => startGarminSandbox(),
  },
  {
    id: 'polar',
    backfill: 'pull',
    incrementalCount: 60,
    addedIdsAreListed: false,
    start: () =>
      startPolarSandbox({
        provider: { exerciseFlow: 'transactional' },
        rateLimit: { windowMs: 15 * 60_000, limit: 1_000_000 },
      }),
  },
];

export function providerOf(sandbox: ConformanceSandbox): Provider {
  return sandbox.createProvider();
}
