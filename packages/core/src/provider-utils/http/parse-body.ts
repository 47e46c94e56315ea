/** A success body read into data, or refused by the parser. */
export type ParsedBody = { ok: true; data: unknown } | { ok: false; error: unknown };

/**
 * Reads a success body (pure). An empty body is `undefined` data (a 204, an empty 200); any other text goes
 * through the request's `parse` hook (e.g. `parseJsonExact`) or else `JSON.parse`. Whatever the parser
 * throws becomes `{ ok: false, error }` — an invalid body, which the client retries like a truncated page.
 * Schema validation comes after, on the data (`validatePayload`).
 */
export function parseBody(text: string, parse?: ((text: string) => unknown) | undefined): ParsedBody {
  if (text.length === 0) return { ok: true, data: undefined };
  try {
    return { ok: true, data: parse ? parse(text) : JSON.parse(text) };
  } catch (error) {
    return { ok: false, error };
  }
}
