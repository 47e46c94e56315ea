import type { Trainlytics } from '@trainlytics/core';
import { formatTable } from '../format';
import { providerName } from '../providers-from-env';

/** One provider's line of the demo summary. */
export interface ProviderSummary {
  provider: string;
  connectionId: number;
  activities: number;
  sportTypes: Record<string, number>;
  distanceKm: number;
  durationHours: number;
  requests: number;
}

/** Reads what landed in the database for a connection: counts, sport types, totals, requests made. */
export async function summarizeConnection(
  trainlytics: Trainlytics,
  provider: string,
  connectionId: number,
): Promise<ProviderSummary> {
  const activities = [];
  let before: Date | undefined;
  for (;;) {
    const page = await trainlytics.activities.list({
      connectionId,
      limit: 500,
      ...(before ? { before } : {}),
    });
    activities.push(...page);
    if (page.length < 500) break;
    before = page[page.length - 1]!.startDate;
  }
  const sportTypes: Record<string, number> = {};
  let distance = 0;
  let duration = 0;
  for (const a of activities) {
    sportTypes[a.sportType] = (sportTypes[a.sportType] ?? 0) + 1;
    distance += a.distanceM ?? 0;
    duration += a.movingTimeS ?? a.elapsedTimeS ?? 0;
  }
  const history = await trainlytics.history.list({ connectionId, limit: 1000 });
  return {
    provider,
    connectionId,
    activities: activities.length,
    sportTypes,
    distanceKm: Math.round(distance / 100) / 10,
    durationHours: Math.round(duration / 360) / 10,
    requests: history.reduce((sum, h) => sum + h.requestsMade, 0),
  };
}

/** The column-aligned summary table printed at the end of the demo. */
export function formatSummary(rows: ProviderSummary[]): string {
  return formatTable(
    ['provider', 'activities', 'sport types', 'distance', 'duration', 'requests'],
    rows.map((r) => {
      const sorted = Object.entries(r.sportTypes).sort((a, b) => b[1] - a[1]);
      const top = sorted
        .slice(0, 3)
        .map(([type, count]) => `${type} ${count}`)
        .join(', ');
      return [
        providerName(r.provider),
        String(r.activities),
        `${sorted.length} (${top}${sorted.length > 3 ? ', …' : ''})`,
        `${r.distanceKm.toFixed(1)} km`,
        `${r.durationHours.toFixed(1)} h`,
        String(r.requests),
      ];
    }),
    { alignRight: [1, 3, 4, 5] },
  );
}
