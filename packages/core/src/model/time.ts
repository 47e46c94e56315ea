/**
 * Time and unit helpers for mappings. Providers disagree on time semantics (Strava's fake-`Z` local
 * time, Garmin's epoch + offset seconds, Polar's zone-less local time + offset minutes, ISO-8601
 * durations): these turn each into the model's UTC instant + wall-clock string + offset seconds.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Formats the wall-clock time of `instant` shifted by `offsetSeconds` as `YYYY-MM-DDTHH:mm:ss`. */
export function toLocalDateTimeString(instant: Date, offsetSeconds: number): string {
  const shifted = new Date(instant.getTime() + offsetSeconds * 1000);
  return (
    `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`
  );
}

const localPattern = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?/;

/**
 * Reads a wall-clock string, ignoring any zone designator (Strava's `start_date_local` ends in a `Z`
 * that is not UTC). Returns `YYYY-MM-DDTHH:mm:ss`, or null when it is not a date-time.
 */
export function parseLocalDateTime(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = localPattern.exec(value.trim());
  if (!m) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}`;
}

/** The UTC instant of a wall-clock string at a given offset from UTC (seconds). */
export function localDateTimeToUtc(local: string, offsetSeconds: number): Date {
  const normalized = parseLocalDateTime(local);
  if (!normalized) throw new RangeError(`Not a local date-time: ${local}`);
  return new Date(Date.parse(`${normalized}Z`) - offsetSeconds * 1000);
}

/** Epoch seconds to a Date. */
export function fromEpochSeconds(seconds: number): Date {
  return new Date(seconds * 1000);
}

/** A Date to whole epoch seconds (floored). */
export function toEpochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

const durationPattern =
  /^(-)?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/**
 * Parses an ISO-8601 duration (`PT2H44M`, `PT1H2M3.5S`, `P1DT2H`) to seconds. Years and months are not
 * accepted (their length is ambiguous). Returns null for anything that is not such a duration.
 */
export function parseIsoDuration(value: string | null | undefined): number | null {
  if (!value) return null;
  const m = durationPattern.exec(value.trim());
  if (!m || value.trim() === 'P' || value.trim().endsWith('T')) return null;
  if (m[2] || m[3]) return null;
  const n = (s: string | undefined) => (s ? Number(s.replace(',', '.')) : 0);
  const seconds = n(m[4]) * 604800 + n(m[5]) * 86400 + n(m[6]) * 3600 + n(m[7]) * 60 + n(m[8]);
  return m[1] ? -seconds : seconds;
}

/** Returns the number when it is finite, else null (NaN, Infinity, null, undefined). */
export function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Converts kilojoules to kilocalories. */
export function kilojoulesToKilocalories(kj: number): number {
  return kj / 4.184;
}
