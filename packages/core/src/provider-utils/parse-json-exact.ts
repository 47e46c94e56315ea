const QUOTE = 34; // "
const BACKSLASH = 92; // \
const MINUS = 45; // -

const isDigit = (code: number) => code >= 48 && code <= 57;
/** A character that continues a JSON number: digit, `.`, `e`, `E`, `+`, `-`. */
const isNumberPart = (code: number) =>
  isDigit(code) || code === 46 || code === 101 || code === 69 || code === 43 || code === MINUS;
const LONG_INTEGER = /^-?\d{16,}$/;

/** The index just after the string that opens at `start` (a `"`), or the text's length if it never closes. */
function endOfString(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

/**
 * Where an integer literal of 16 or more digits may start: a run of 16 digits (after an optional `-`) that
 * does not continue a number (not after a digit, `.`, `e`, `E`, `+` or `-`). Only such a literal can be
 * beyond 2^53, so a text without a match reads the same with plain `JSON.parse`. A match inside a string or
 * a float's integer part is only a false alarm (the exact scan then runs and finds nothing to change).
 */
const MAY_HOLD_LONG_INTEGER = /(?:^|[^\d.eE+-])-?\d{16}/;

/**
 * `JSON.parse` that keeps int64 numbers exact: an integer beyond 2^53 (Strava activity and upload ids,
 * Garmin's `activityId`, Polar's transactional ids can be) becomes its digit string instead of being
 * rounded; every other value, and every string in the body, is left as `JSON.parse` reads it.
 *
 * Pass it as a request's `parse` hook (`ctx.http.request({ …, parse: parseJsonExact })`); webhook bodies
 * (`WebhookRequest.json()`) already go through it. Schemas then accept such ids as a number or a digit
 * string. A body with no integer literal of 16+ digits (the usual page: ids of 10–12 digits) costs what
 * `JSON.parse` costs (one native regular-expression test first, ADR 0023); any other body gets
 * {@link parseJsonExactScan}. Throws `SyntaxError` like `JSON.parse`.
 */
export function parseJsonExact(text: string): unknown {
  return MAY_HOLD_LONG_INTEGER.test(text) ? parseJsonExactScan(text) : JSON.parse(text);
}

/**
 * The exact reading without the fast path: one linear scan (strings are skipped with `indexOf`, so a
 * 10 MB description costs little) that quotes each integer literal beyond 2^53, then `JSON.parse`.
 * `parseJsonExact` returns what this returns, for every text (a property test holds them equal).
 */
export function parseJsonExactScan(text: string): unknown {
  let parts: string[] | null = null;
  let copied = 0;
  let at = 0;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code === QUOTE) {
      at = endOfString(text, at);
    } else if (isDigit(code) || code === MINUS) {
      const start = at;
      do at++;
      while (at < text.length && isNumberPart(text.charCodeAt(at)));
      const token = text.slice(start, at);
      if (LONG_INTEGER.test(token) && !Number.isSafeInteger(Number(token))) {
        parts ??= [];
        parts.push(text.slice(copied, start), `"${token}"`);
        copied = at;
      }
    } else {
      at++;
    }
  }
  if (parts === null) return JSON.parse(text);
  parts.push(text.slice(copied));
  return JSON.parse(parts.join(''));
}
