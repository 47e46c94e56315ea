import type { HttpRequest } from '../../provider/v1/http';
import type { RequestContext } from './request-context';

export interface PreparedRequest {
  headers: Headers;
  body: string | undefined;
}

/**
 * The headers and body of one attempt, before authorization. Contract:
 * - headers: `accept: application/json` and `user-agent: <userAgent>`, then the request's own headers (which
 *   may override both);
 * - `json` is sent as JSON (`content-type: application/json`); else `form` and/or `userTokenField` as
 *   `application/x-www-form-urlencoded`, undefined fields left out, the access token (read once per
 *   attempt) in the `userTokenField` field; else no body;
 * - `userTokenField` without a connection context (`accessToken`) throws a plain `Error` (a plugin bug).
 */
export async function prepareRequest(
  req: HttpRequest,
  context: RequestContext,
  settings: { userAgent: string; accessToken?: (() => Promise<string>) | undefined },
): Promise<PreparedRequest> {
  const headers = new Headers({
    accept: 'application/json',
    'user-agent': settings.userAgent,
    ...req.headers,
  });
  if (req.json !== undefined) {
    headers.set('content-type', 'application/json');
    return { headers, body: JSON.stringify(req.json) };
  }
  if (req.form || req.userTokenField) {
    headers.set('content-type', 'application/x-www-form-urlencoded');
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(req.form ?? {})) if (v !== undefined) form.set(k, v);
    if (req.userTokenField) {
      if (!settings.accessToken) {
        throw new Error(`${context.name} ${context.what}: userTokenField needs a connection context`);
      }
      form.set(req.userTokenField, await settings.accessToken());
    }
    return { headers, body: form.toString() };
  }
  return { headers, body: undefined };
}
