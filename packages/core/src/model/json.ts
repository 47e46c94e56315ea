/** A JSON value: what `raw` payloads, cursors and profiles are stored as (`jsonb`). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
