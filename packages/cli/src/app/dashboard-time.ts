import { html } from 'hono/html';
import { formatInstant } from '../format';

/**
 * An instant on the dashboard: a `<time>` printed in UTC with its zone label (`2026-11-29 20:19 UTC`), so
 * lists sorted by instant read in order without script; the dashboard's script rewrites it in the
 * viewer's time zone with that zone's label (still one zone for the whole page). The exact instant is
 * on hover. `relative` asks the script for "5 min ago" instead. `localAt` adds an activity's own wall-clock time and offset to the hover text.
 */
export function instantHtml(
  date: Date | null | undefined,
  options: {
    localAt?: { startDateLocal: string | null; utcOffsetS: number | null };
    /** Shown as "5 min ago" by the script (the exact time on hover). */
    relative?: boolean;
  } = {},
) {
  if (!date) return html`<span class="absent">never</span>`;
  const iso = date.toISOString();
  const local = options.localAt ? activityLocalTime(options.localAt) : '';
  const title = `${formatInstant(date)}${local ? ` · at the activity: ${local}` : ''}`;
  const relative = options.relative ? html` data-relative="true"` : '';
  return html`<time datetime="${iso}" title="${title}"${relative}>${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** `2026-11-29 21:19 (UTC+01:00)`: the activity's wall-clock time with its offset, or '' when unknown. */
export function activityLocalTime(a: { startDateLocal: string | null; utcOffsetS: number | null }): string {
  if (!a.startDateLocal) return '';
  const wall = a.startDateLocal.slice(0, 16).replace('T', ' ');
  if (a.utcOffsetS === null) return wall;
  const sign = a.utcOffsetS < 0 ? '-' : '+';
  const abs = Math.abs(a.utcOffsetS);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${wall} (UTC${sign}${hh}:${mm})`;
}
