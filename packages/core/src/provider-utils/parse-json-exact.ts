import { type ParseOptions, parse } from 'lossless-json';

/** An integer literal long enough to be beyond 2^53 (every integer of 15 digits or fewer is safe). */
const LONG_INTEGER = /^-?\d{16,}$/;

/**
 * Reads one JSON number literal as lossless-json hands it over (its exact text): an integer literal beyond
 * 2^53 is kept as its digit string, every other literal — safe integers, fractions, exponents — is the number
 * `JSON.parse` reads (`Number` and `JSON.parse` round a literal the same way).
 */
function readNumber(literal: string): number | string {
  if (LONG_INTEGER.test(literal)) {
    const value = Number(literal);
    return Number.isSafeInteger(value) ? value : literal;
  }
  return Number(literal);
}

const EXACT: ParseOptions = {
  parseNumber: readNumber,
  // JSON.parse keeps the last of duplicate keys (lossless-json's default is to throw)
  onDuplicateKey: ({ newValue }) => newValue,
};

/**
 * Where an integer literal of 16 or more digits may start: a run of 16 digits (after an optional `-`) that
 * does not continue a number (not after a digit, `.`, `e`, `E`, `+` or `-`). Only such a literal can be
 * beyond 2^53, so a text without a match reads the same with plain `JSON.parse`. A match inside a string or
 * a float's integer part is only a false alarm (the exact reading then runs and finds nothing to change).
 */
const MAY_HOLD_LONG_INTEGER = /(?:^|[^\d.eE+-])-?\d{16}/;

/**
 * `JSON.parse` that keeps int64 numbers exact: an integer beyond 2^53 (Strava activity and upload ids,
 * Garmin's `activityId`, Polar's transactional ids can be) becomes its digit string instead of being
 * rounded; every other value, and every string in the body, is left as `JSON.parse` reads it (duplicate keys:
 * the last one wins; `__proto__` is an ordinary key).
 *
 * The one int64-safe reader of provider bodies (ADR 0016, 0039): plugins pass it as a request's `parse` hook
 * (`ctx.http.request({ …, parse: parseJsonExact })`); webhook bodies (`WebhookRequest.json()`) already go
 * through it. Schemas then accept such ids as a number or a digit string. A body with no integer literal of
 * 16+ digits (the usual page: ids of 10–12 digits) costs what `JSON.parse` costs (one native
 * regular-expression test first, ADR 0023); any other body gets {@link parseJsonExactScan}. Throws
 * `SyntaxError` on invalid JSON, like `JSON.parse` (the message differs).
 */
export function parseJsonExact(text: string): unknown {
  return MAY_HOLD_LONG_INTEGER.test(text) ? parseJsonExactScan(text) : JSON.parse(text);
}

/**
 * The exact reading without the fast path: lossless-json's parser, whose number hook sees each literal's
 * text (see `readNumber`). `parseJsonExact` returns what this returns, for every text (a property test holds
 * them equal). Throws `SyntaxError` on invalid JSON.
 */
export function parseJsonExactScan(text: string): unknown {
  return parse(text, undefined, EXACT);
}
