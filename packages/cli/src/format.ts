/** Small text formatting helpers shared by the commands, the dashboard and the demo summary. */
import { UserError } from './user-error';

/** Pads columns to their widest cell: a plain, aligned table for a terminal or a log. */
export function formatTable(
  header: string[],
  rows: string[][],
  options: { alignRight?: number[] } = {},
): string {
  const right = new Set(options.alignRight ?? []);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * The one duration format of the dashboard and the commands: `12 s`, `4 min 05 s`, `1 h 02 min` (whole
 * seconds, rounded; minutes rounded past an hour), `<1 s` for a positive time under half a second, `—`
 * when unknown (null, not finite, negative). The exact value goes in a `title` (`exactDuration`).
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s === 0) return seconds > 0 ? '<1 s' : '0 s';
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** `1:02:03.4` (hours, minutes, seconds to a tenth): the exact duration for a hover text; `—` when unknown. */
export function exactDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const tenths = Math.round(seconds * 10);
  const h = Math.floor(tenths / 36_000);
  const m = Math.floor((tenths % 36_000) / 600);
  const rest = ((tenths % 600) / 10).toFixed(1).padStart(4, '0');
  return `${h}:${String(m).padStart(2, '0')}:${rest}`;
}

/** How the viewer reads distances: kilometres and metres, or miles and feet. Swims are always in metres. */
export type DistanceUnits = 'km' | 'mi';

const METRES_PER_MILE = 1609.344;
const FEET_PER_METRE = 1 / 0.3048;

/** Whether an activity's distance is shown in metres whatever the units (every swim). */
export function isSwim(sportType: string | null | undefined): boolean {
  return sportType?.includes('swim') ?? false;
}

/**
 * `12.35 km` or `7.67 mi` for metres; a swim in metres whatever the units (`1,500 m`); `—` when unknown
 * (null, not finite, negative).
 */
export function formatDistance(
  metres: number | null | undefined,
  sportType?: string | null,
  units: DistanceUnits = 'km',
): string {
  if (metres == null || !Number.isFinite(metres) || metres < 0) return '—';
  if (isSwim(sportType)) return `${Math.round(metres).toLocaleString('en-US')} m`;
  return units === 'mi' ? `${(metres / METRES_PER_MILE).toFixed(2)} mi` : `${(metres / 1000).toFixed(2)} km`;
}

/** An elevation gain: `312 m`, or `1,024 ft` with miles; `—` when unknown (null, not finite, negative). */
export function formatElevation(metres: number | null | undefined, units: DistanceUnits = 'km'): string {
  if (metres == null || !Number.isFinite(metres) || metres < 0) return '—';
  const value = units === 'mi' ? metres * FEET_PER_METRE : metres;
  return `${Math.round(value).toLocaleString('en-US')} ${units === 'mi' ? 'ft' : 'm'}`;
}

/** `2026-01-01 10:00:00Z`, or `never`. */
export function formatInstant(date: Date | null | undefined): string {
  if (!date) return 'never';
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** The largest id PostgreSQL's `int`/`serial` columns hold (user and connection ids). */
export const MAX_ID = 2_147_483_647;

/**
 * Parses a user or connection id: a positive 32-bit integer (what the `serial` columns hold), else a
 * `UserError` naming `what` that exits 2 (an input error, caught before the database is asked).
 */
export function parseId(value: string, what: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_ID) {
    throw new UserError(`${what} must be a positive integer up to ${MAX_ID}, got "${value}"`, 2);
  }
  return Number(text);
}

/** Parses a positive integer argument, or throws a `UserError` naming `what`. */
export function parsePositiveInt(value: string, what: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UserError(`${what} must be a positive integer, got "${value}"`);
  }
  return Number(value);
}

/** How long a backfill takes, in words a person reads at a glance: "under an hour", "about 6 hours", "about 3 days". */
export function describeBacklogDuration(ms: number): string {
  const hours = ms / 3_600_000;
  if (hours < 1) return 'under an hour';
  if (hours < 36) return `about ${Math.round(hours)} hour${Math.round(hours) === 1 ? '' : 's'}`;
  const days = Math.round(hours / 24);
  return `about ${days} days`;
}

/**
 * The activity detail backlog of a connection in a few words (`connections list`, the dashboard):
 * "complete", "120 activities, about 3 days", or "120 activities" when the budget is unknown.
 */
export function describeStreamsPlan(
  plan: { remaining: number; estimatedMs: number | null } | null | undefined,
): string {
  if (!plan) return '—';
  if (plan.remaining === 0) return 'complete';
  const count = `${plan.remaining.toLocaleString('en-US')} ${plan.remaining === 1 ? 'activity' : 'activities'}`;
  return plan.estimatedMs === null ? count : `${count}, ${describeBacklogDuration(plan.estimatedMs)}`;
}
