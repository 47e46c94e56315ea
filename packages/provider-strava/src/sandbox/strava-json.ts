/** How Strava writes JSON: int64 ids as bare numbers, times to the second with a `Z`. */

/** JSON with int64 ids written as numbers, exactly as Strava does (ids are kept as strings in memory). */
export function toStravaJson(value: unknown): string {
  return JSON.stringify(value, (key, v) =>
    (key === 'id' || key === 'upload_id' || key === 'object_id' || key === 'owner_id') &&
    typeof v === 'string' &&
    /^\d+$/.test(v)
      ? `\u0000int:${v}`
      : v,
  ).replace(/"\\u0000int:(\d+)"/g, '$1');
}

/** An instant as Strava writes it: ISO 8601 to the second, `2026-03-01T07:30:00Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
