import type { ActivityStreams } from '@trainlytics/core';
import { html } from 'hono/html';

/**
 * The activity page's pictures, drawn on the server as inline SVG (no tiles, no script, no external asset):
 * the route from the `latlng` samples (or the encoded polyline when there are none) and one line chart per
 * channel. Each has a text alternative that says what it shows.
 */

const MAX_POINTS = 800;
/** No sample for longer than this (seconds) is a pause: the chart's line breaks there. */
const PAUSE_S = 60;

/** Google's encoded polyline algorithm (precision 5), the format of Strava's `map.polyline`. */
export function decodePolyline(encoded: string): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  let index = 0;
  let lat = 0;
  let lng = 0;
  const next = (): number | null => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (index >= encoded.length) return null;
      const b = encoded.charCodeAt(index++) - 63;
      result |= (b & 0x1f) << shift;
      shift += 5;
      if (b < 0x20) break;
    }
    return result & 1 ? ~(result >> 1) : result >> 1;
  };
  while (index < encoded.length) {
    const dLat = next();
    const dLng = next();
    if (dLat === null || dLng === null) break;
    lat += dLat;
    lng += dLng;
    points.push([lat / 1e5, lng / 1e5]);
  }
  return points;
}

/** Every `step`-th item (and the last), so a chart stays under MAX_POINTS points. */
function thin<T>(items: T[]): T[] {
  if (items.length <= MAX_POINTS) return items;
  const step = Math.ceil(items.length / MAX_POINTS);
  return items.filter((_, i) => i % step === 0 || i === items.length - 1);
}

/** The route's points: the samples' positions, else the decoded polyline. */
export function routePoints(streams: ActivityStreams): Array<[number, number]> {
  const fromSamples = (streams.channels.latlng ?? []).filter(
    (p): p is readonly [number, number] => p !== null,
  );
  if (fromSamples.length > 1) return fromSamples.map(([a, b]) => [a, b]);
  return streams.route ? decodePolyline(streams.route.polyline) : [];
}

/** The route as a line on a blank plane (equirectangular, longitude scaled by cos(latitude)). */
export function routeSvg(points: Array<[number, number]>) {
  if (points.length < 2) return '';
  const width = 600;
  const height = 360;
  const midLat = (points.reduce((s, p) => s + p[0], 0) / points.length) * (Math.PI / 180);
  const xy = points.map(([lat, lng]) => [lng * Math.cos(midLat), lat] as const);
  const xs = xy.map((p) => p[0]);
  const ys = xy.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min((width - 20) / (maxX - minX || 1e-9), (height - 20) / (maxY - minY || 1e-9));
  const d = thin(xy)
    .map(
      ([x, y], i) =>
        `${i ? 'L' : 'M'}${(10 + (x - minX) * scale).toFixed(1)} ${(height - 10 - (y - minY) * scale).toFixed(1)}`,
    )
    .join(' ');
  return html`<figure class="route" data-testid="route">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="route-title">
      <title id="route-title">The route, ${points.length} points, north up</title>
      <path d="${d}" fill="none" stroke="#c2410c" stroke-width="3" stroke-linejoin="round" stroke-linecap="round"></path>
    </svg>
    <figcaption>Route (north up, no map)</figcaption>
  </figure>`;
}

export interface ChartSpec {
  id: string;
  label: string;
  unit: string;
  values: Array<number | null>;
  /** How a value is printed in the text alternative (default: rounded). */
  format?: (value: number) => string;
}

/** A line chart of one channel over time; gaps break the line. */
export function channelChart(time: number[], spec: ChartSpec) {
  const present = spec.values.filter((v): v is number => v !== null);
  if (present.length < 2) return '';
  const width = 600;
  const height = 120;
  const min = Math.min(...present);
  const max = Math.max(...present);
  const end = time[time.length - 1] || 1;
  const format = spec.format ?? ((v: number) => String(Math.round(v)));
  const average = present.reduce((s, v) => s + v, 0) / present.length;
  let pen = false;
  let previous = Number.NEGATIVE_INFINITY;
  const d = thin(spec.values.map((v, i) => [time[i] as number, v] as const))
    .map(([t, v]) => {
      // a gap in the samples, or a pause (no sample for over a minute), breaks the line
      if (v === null || t - previous > PAUSE_S) pen = false;
      previous = t;
      if (v === null) return '';
      const x = ((t / end) * (width - 20) + 10).toFixed(1);
      const y = (height - 10 - ((v - min) / (max - min || 1)) * (height - 20)).toFixed(1);
      const move = pen ? 'L' : 'M';
      pen = true;
      return `${move}${x} ${y}`;
    })
    .join(' ');
  const summary = `${spec.label}: from ${format(min)} to ${format(max)} ${spec.unit}, average ${format(average)} ${spec.unit}`;
  return html`<figure class="chart" data-testid="chart-${spec.id}">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-${spec.id}-title" preserveAspectRatio="none">
      <title id="chart-${spec.id}-title">${summary}</title>
      <path d="${d}" fill="none" stroke="#2457c5" stroke-width="1.5"></path>
    </svg>
    <figcaption>${summary}</figcaption>
  </figure>`;
}
