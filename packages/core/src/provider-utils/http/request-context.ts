import { redactUrl } from '../../errors/provider-api-error';
import type { HttpRequest, QueryValue } from '../../provider/v1/http';

/** What every step knows about the call it serves: who is called, how, and how errors and logs name it. */
export interface RequestContext {
  /** Provider id (`strava`) and display name (`Strava`). */
  provider: string;
  name: string;
  method: string;
  /** The URL sent, with the query. */
  url: URL;
  /** `url` with secret query values redacted, for errors, logs and `onRequest`. */
  safeUrl: string;
  operation: string | undefined;
  /** The call as errors name it: `'list activities'`, else `GET /athlete/activities`. */
  what: string;
}

/** The URL with the query appended; `undefined` and `null` values are left out. */
export function buildUrl(url: string | URL, query?: Record<string, QueryValue>): URL {
  const u = new URL(url.toString());
  if (query) {
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
  }
  return u;
}

/** The context of one `HttpClient.request` call (pure; the method defaults to GET). */
export function describeRequest(req: HttpRequest, provider: string, name: string): RequestContext {
  const method = req.method ?? 'GET';
  const url = buildUrl(req.url, req.query);
  const operation = req.operation;
  return {
    provider,
    name,
    method,
    url,
    safeUrl: redactUrl(url.toString()),
    operation,
    what: operation ? `'${operation}'` : `${method} ${url.pathname}`,
  };
}
