/** A JSON string (skipped as a whole), or an integer of 16+ digits that is a whole value (not in a string). */
const bigIntegerOrString = /"(?:[^"\\]|\\.)*"|(?<=(?:^|[:[,])\s*)-?\d{16,}(?![.\deE])/g;

/**
 * `JSON.parse` that keeps int64 numbers exact: an integer beyond 2^53 (Strava activity and upload ids,
 * Garmin's `activityId`, Polar's transactional ids can be) becomes its digit string instead of being
 * rounded; every other value, and every string in the body, is left as `JSON.parse` reads it.
 *
 * Pass it as a request's `parse` hook (`ctx.http.request({ …, parse: parseJsonExact })`) and use it on
 * webhook bodies (`parseJsonExact(request.text())`), so `raw` holds the provider's numbers exactly.
 * Schemas then accept such ids as a number or a digit string. Throws `SyntaxError` like `JSON.parse`.
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(
    text.replace(bigIntegerOrString, (match) =>
      match.startsWith('"') || Number.isSafeInteger(Number(match)) ? match : `"${match}"`,
    ),
  );
}
