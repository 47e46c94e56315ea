import { type ActivityDetail, sportTypeDisplayName } from '@trainlytics/core';
import { html } from 'hono/html';
import { formatDistance, formatDuration } from '../format';
import { layout } from './dashboard-page';
import { instantHtml } from './dashboard-time';
import { type ChartSpec, channelChart, routePoints, routeSvg } from './streams-svg';

const PACED = /^(run|trail_run|virtual_run|walk|hike)$/;

/** "5:12" min per km from metres per second. */
function pace(mps: number): string {
  if (mps <= 0.05) return '—';
  const s = Math.round(1000 / mps);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The activity page of the dashboard: the route, a chart per channel, the laps (ADR 0030). */
export function activityDetailPage(model: { detail: ActivityDetail; backHref: string }) {
  const { detail, backHref } = model;
  const a = detail.activity;
  const title = a.name ?? sportTypeDisplayName(a.sportType);
  const s = detail.streams;
  const paced = PACED.test(a.sportType);
  const charts: ChartSpec[] = s
    ? [
        { id: 'heartrate', label: 'Heart rate', unit: 'bpm', values: s.channels.heartrate ?? [] },
        paced
          ? {
              id: 'pace',
              label: 'Pace',
              unit: 'min/km',
              // pace is drawn as speed (faster is up) but told as pace
              values: s.channels.speed ?? [],
              format: pace,
            }
          : {
              id: 'speed',
              label: 'Speed',
              unit: 'km/h',
              values: (s.channels.speed ?? []).map((v) => (v === null ? null : v * 3.6)),
              format: (v) => v.toFixed(1),
            },
        { id: 'power', label: 'Power', unit: 'W', values: s.channels.power ?? [] },
        { id: 'altitude', label: 'Altitude', unit: 'm', values: s.channels.altitude ?? [] },
        { id: 'cadence', label: 'Cadence', unit: 'rpm', values: s.channels.cadence ?? [] },
      ]
    : [];
  const status: Record<ActivityDetail['status'], string> = {
    stored: '',
    none: 'The provider has no recorded samples for this activity (it was entered by hand, or is gone).',
    requested: 'Asked the provider for the samples; they arrive shortly. Reload this page in a minute.',
    unsupported: 'This provider does not give recorded samples.',
  };
  return layout(
    `${title} — Trainlytics`,
    '',
    html`<main id="main" tabindex="-1" class="activity-page">
      <p><a href="${backHref}" data-testid="back">← Back to the dashboard</a></p>
      <h1>${title}</h1>
      <p class="meta">
        ${sportTypeDisplayName(a.sportType)} · ${instantHtml(a.startDate)} ·
        ${formatDistance(a.distanceM, a.sportType)} · ${formatDuration(a.movingTimeS ?? a.elapsedTimeS)}
      </p>
      ${status[detail.status] ? html`<p class="notice" data-testid="streams-status">${status[detail.status]}</p>` : ''}
      ${s ? routeSvg(routePoints(s)) : ''}
      ${s ? html`<section aria-labelledby="charts-title"><h2 id="charts-title">Over time</h2>${charts.map((c) => channelChart(s.time, c))}</section>` : ''}
      ${
        s?.laps.length
          ? html`<section aria-labelledby="laps-title">
              <h2 id="laps-title">Laps</h2>
              <table data-testid="laps">
                <thead><tr><th>Lap</th><th class="number">Distance</th><th class="number">Time</th><th class="number">Avg HR</th></tr></thead>
                <tbody>
                  ${s.laps.map(
                    (lap, i) => html`<tr>
                      <td data-label="Lap">${i + 1}</td>
                      <td data-label="Distance" class="number">${formatDistance(lap.distanceM, a.sportType)}</td>
                      <td data-label="Time" class="number">${formatDuration(lap.movingTimeS ?? lap.elapsedTimeS)}</td>
                      <td data-label="Avg HR" class="number">${lap.averageHeartrate === null ? '—' : Math.round(lap.averageHeartrate)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </section>`
          : ''
      }
      ${s ? html`<p class="hint">${s.time.length} samples · ${Object.keys(s.channels).join(', ') || 'time only'}</p>` : ''}
    </main>`,
  );
}
