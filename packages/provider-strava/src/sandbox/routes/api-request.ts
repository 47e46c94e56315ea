import type { ServerResponse } from 'node:http';

/** An authenticated API request as the routes see it (after faults, rate limits and the bearer token). */
export interface ApiRequest {
  res: ServerResponse;
  url: URL;
  method: string;
  /** The path without `/api/v3`. */
  path: string;
  /** The rate-limit headers every answer carries. */
  headers: Record<string, string>;
  /** The athlete the access token belongs to. */
  athleteId: string;
  /** Whether the token holds any of these scopes. */
  can(...scopes: string[]): boolean;
}
