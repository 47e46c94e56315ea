import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request as the router read it: the body already read into `text`, `path` without a trailing slash. */
export interface SandboxRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  path: string;
  text: string;
}

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
