/**
 * JSON as Garmin writes it: an `activityId` kept as a digit string (beyond 2^53, see `addActivity`'s
 * `largeActivityId`) becomes a bare number; everything else is `JSON.stringify`'s.
 */
export const garminJson = (value: unknown): string =>
  JSON.stringify(value, (key, v) =>
    key === 'activityId' && typeof v === 'string' && /^\d+$/.test(v) ? `\u0000int:${v}` : v,
  ).replace(/"\\u0000int:(\d+)"/g, '$1');
