import type { ActivityRow } from '@trainlytics/core';
import { html } from 'hono/html';
import { type DistanceUnits, formatDistance, formatDuration } from '../format';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** One ISO week (Monday 00:00 UTC onwards): training time and distance of the activities that started in it. */
export interface WeekVolume {
  weekStart: Date;
  movingS: number;
  distanceM: number;
  activities: number;
}

/** Monday 00:00 UTC of the week holding `date`. */
export function weekStartOf(date: Date): Date {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * DAY_MS);
}

/**
 * The last `weeks` weeks up to the one holding `now`, oldest first; each activity counts once, in the week
 * its start falls in (UTC), with its moving time (elapsed when absent) and distance. Activities before the
 * first week or after `now`'s week are left out.
 */
export function weeklyVolume(
  activities: ReadonlyArray<Pick<ActivityRow, 'startDate' | 'movingTimeS' | 'elapsedTimeS' | 'distanceM'>>,
  now: Date,
  weeks = 8,
): WeekVolume[] {
  const last = weekStartOf(now).getTime();
  const out: WeekVolume[] = Array.from({ length: weeks }, (_, i) => ({
    weekStart: new Date(last - (weeks - 1 - i) * WEEK_MS),
    movingS: 0,
    distanceM: 0,
    activities: 0,
  }));
  for (const a of activities) {
    const index = weeks - 1 - Math.round((last - weekStartOf(a.startDate).getTime()) / WEEK_MS);
    const week = out[index];
    if (!week) continue;
    week.movingS += a.movingTimeS ?? a.elapsedTimeS ?? 0;
    week.distanceM += a.distanceM ?? 0;
    week.activities += 1;
  }
  return out;
}

/** A bar per week of training time, drawn on the server as inline SVG (no script, no external asset). */
export function weeklyChart(weeks: WeekVolume[], units: DistanceUnits = 'km') {
  const width = 320;
  const height = 100;
  const barWidth = width / weeks.length;
  const max = Math.max(3600, ...weeks.map((w) => w.movingS));
  const total = weeks.reduce((sum, w) => sum + w.movingS, 0);
  return html`<figure class="weekly" data-testid="weekly-chart">
    <svg viewBox="0 0 ${width} ${height + 16}" role="img" aria-labelledby="weekly-title" preserveAspectRatio="none">
      <title id="weekly-title">Training time per week, last ${weeks.length} weeks: ${formatDuration(total)} in all</title>
      ${weeks.map((w, i) => {
        const h = Math.round((w.movingS / max) * height);
        const label = `Week of ${w.weekStart.toISOString().slice(0, 10)}: ${formatDuration(w.movingS)}, ${formatDistance(w.distanceM, null, units)}, ${w.activities} ${w.activities === 1 ? 'activity' : 'activities'}`;
        return html`<g data-week="${w.weekStart.toISOString().slice(0, 10)}" data-moving-s="${w.movingS}">
          <title>${label}</title>
          <rect x="${(i * barWidth + 2).toFixed(1)}" y="${height - h}" width="${(barWidth - 4).toFixed(1)}" height="${h}" fill="#2457c5"></rect>
          <text x="${(i * barWidth + barWidth / 2).toFixed(1)}" y="${height + 12}" font-size="9" text-anchor="middle" fill="#5b6475">${w.weekStart.toISOString().slice(5, 10)}</text>
        </g>`;
      })}
    </svg>
    <figcaption>Training time per week (UTC weeks, from Monday): ${formatDuration(total)} over ${weeks.length} weeks</figcaption>
  </figure>`;
}
