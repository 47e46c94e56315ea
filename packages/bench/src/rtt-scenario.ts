import { runBackfill, runNaive } from './backfill-scenario';
import type { BackfillResult, RttResult } from './scenario-result';

/**
 * The comparison over a network: the naive baseline and Trainlytics, back to back in one process, each on
 * its own fresh PostgreSQL database reached through a proxy that adds `rttMs` to every round trip
 * (`latency-proxy.ts`). `first` says which runs first; `run.ts` alternates it between repetitions so
 * neither path always gets the warmed-up JIT. Both must store every activity.
 */
export async function runRttPair(
  activities: number,
  rttMs: number,
  first: 'naive' | 'backfill',
): Promise<RttResult> {
  const naivePath = () => runNaive(activities, 'postgres', { rttMs });
  const trainlyticsPath = () => runBackfill(activities, 'postgres', { rttMs });
  let naive: BackfillResult;
  let trainlytics: BackfillResult;
  if (first === 'naive') {
    naive = await naivePath();
    trainlytics = await trainlyticsPath();
  } else {
    trainlytics = await trainlyticsPath();
    naive = await naivePath();
  }
  for (const r of [naive, trainlytics]) {
    if (r.stored !== activities) {
      throw new Error(`The ${r.scenario} path stored ${r.stored} of ${activities} activities at ${rttMs} ms`);
    }
  }
  return { scenario: 'rtt', activities, rttMs, first, naive, trainlytics };
}
