import type { IncomingMessage, ServerResponse } from 'node:http';
import { toStravaJson } from './strava-json';

/** Strava's error body: `{"message": …, "errors": [{resource, field, code}]}`. */
export const stravaError = (message: string, resource: string, field: string, code: string) => ({
  message,
  errors: [{ resource, field, code }],
});

/** Answers JSON the way Strava writes it (int64 ids as numbers). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(toStravaJson(body));
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Query parameters merged with a form or JSON body (Strava accepts either). `text` is the body already read. */
export function readParams(req: IncomingMessage, url: URL, text: string): URLSearchParams {
  const params = new URLSearchParams(url.searchParams);
  if (!text) return params;
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(text) as Record<string, unknown>))
        params.set(k, String(v));
    } catch {
      /* not JSON: treated as no body */
    }
  } else {
    for (const [k, v] of new URLSearchParams(text)) params.append(k, v);
  }
  return params;
}

/**
 * The bearer token of a request: the `Authorization` header, or (until Strava's 2027-06-01 change, and only
 * when `paramsAllowed`) the `access_token` parameter.
 */
export function bearerToken(
  req: IncomingMessage,
  params: URLSearchParams,
  paramsAllowed = true,
): string | null {
  const header = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  return header ?? (paramsAllowed ? params.get('access_token') : null);
}

/** `Authorization: Basic base64(id:secret)` → `{ id, secret }`, or null. */
export function basicCredentials(req: IncomingMessage): { id: string; secret: string } | null {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!encoded) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}
