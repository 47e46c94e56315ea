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

/** `1:02:03` or `12:03` for a duration in seconds; `—` when unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** `12.35 km` for metres (a swim in metres: `1,500 m`); `—` when unknown. */
export function formatDistance(metres: number | null | undefined, sportType?: string): string {
  if (metres == null || !Number.isFinite(metres)) return '—';
  if (sportType?.includes('swim')) return `${Math.round(metres).toLocaleString('en-US')} m`;
  return `${(metres / 1000).toFixed(2)} km`;
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
