import type { ServerResponse } from 'node:http';
import type { SandboxFaultInjection } from '../fault-injection';
import type { SandboxRateLimit } from '../state/rate-limit';

/** JSON as Polar writes it: a bigint (a `long` beyond 2^53) becomes a bare JSON number, not rounded. */
export function polarJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `\u0000int:${v}` : v)).replace(
    /"\\u0000int:(\d+)"/g,
    '$1',
  );
}

/**
 * How the sandbox answers: API answers carry the rate-limit headers and are subject to the `invalidJson`
 * fault (2xx only); OAuth answers (polarremote.com at Polar) and HTML pages are not.
 */
export class SandboxResponses {
  constructor(
    private readonly rateLimit: SandboxRateLimit,
    private readonly faults: SandboxFaultInjection,
  ) {}

  json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const all = { 'content-type': 'application/json', ...this.rateLimit.headers(), ...headers };
    if (status >= 200 && status < 300 && this.faults.takeInvalidJson()) {
      res.writeHead(status, all).end(polarJson(body).slice(0, 10));
      return;
    }
    res.writeHead(status, all).end(polarJson(body));
  }

  tooManyRequests(res: ServerResponse, retryAfterSeconds?: number): void {
    const headers: Record<string, string> = {};
    if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
    this.json(
      res,
      429,
      { status: 429, errorType: 'TooManyRequests', message: 'Rate limit exceeded' },
      headers,
    );
  }

  /** OAuth endpoints: no rate-limit headers, untouched by the API fault knobs. */
  oauthJson(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify(body));
  }

  empty(res: ServerResponse, status: number): void {
    res.writeHead(status, this.rateLimit.headers()).end();
  }

  html(res: ServerResponse, status: number, html: string): void {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  }
}
