import type { IncomingMessage, ServerResponse } from 'node:http';
import { garminJson } from './garmin-json';

/** Response headers by lower-case name. */
type HeaderMap = Record<string, string>;

/** Answers JSON as Garmin writes it (a string body is sent as it is; no body, no content type). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: HeaderMap = {}): void {
  const text = body === undefined ? '' : typeof body === 'string' ? body : garminJson(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json;charset=UTF-8' } : {}),
    ...headers,
  });
  res.end(text);
}

/** Answers an HTML page (the consent and error pages). */
export function sendHtml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
}

/** Answers a 302 to `location`. */
export function redirect(res: ServerResponse, location: URL): void {
  res.writeHead(302, { location: location.toString() });
  res.end();
}

/** The request's whole body as UTF-8 text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
