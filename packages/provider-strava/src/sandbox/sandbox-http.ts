import type { IncomingMessage, ServerResponse } from 'node:http';
import { toStravaJson } from './generate-history';

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

/** Query parameters merged with a form or JSON body (Strava accepts either). */
export async function readParams(req: IncomingMessage, url: URL): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.searchParams);
  const text = await readBody(req);
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

/** The bearer token of a request (header, or the `access_token` parameter). */
export function bearerToken(req: IncomingMessage, params: URLSearchParams): string | null {
  return /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? params.get('access_token');
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
