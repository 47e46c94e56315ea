import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxFaults } from '@trainlytics/core/testing';
import { sendJson, stravaError } from './sandbox-http';
import { isStravaUpload, type SandboxRateLimiter } from './sandbox-rate-limiter';

const RATE_LIMIT_BODY = stravaError('Rate Limit Exceeded', 'Application', 'rate limit', 'exceeded');

/**
 * The fault knobs (`SandboxFaults`, shared by every sandbox) and the app-wide rate limit, applied to each
 * API request before it is routed. Counted knobs (`connectionResets`, `hangs`, `invalidJson`,
 * `rateLimited.times`, `status.times`) are used up one request at a time; `malformedItems` applies to the
 * next list response only; `latencyMs` and `rejectRefresh` stay until reset.
 */
export class FaultInjector {
  private faults: SandboxFaults;

  constructor(initial: SandboxFaults = {}) {
    this.faults = { ...initial };
  }

  set(faults: SandboxFaults): void {
    this.faults = { ...this.faults, ...faults };
  }

  reset(): void {
    this.faults = {};
  }

  /** Whether the token endpoint refuses every refresh token. */
  get rejectRefresh(): boolean {
    return Boolean(this.faults.rejectRefresh);
  }

  /** How many items of this list response to make malformed (the knob is cleared). */
  takeMalformedItems(): number {
    const malformed = this.faults.malformedItems ?? 0;
    delete this.faults.malformedItems;
    return malformed;
  }

  /**
   * Runs the faults and the rate limit for an API request (`path` without `/api/v3`). Returns the
   * rate-limit headers every answer carries, or null when the request was answered (or dropped) here.
   */
  async apply(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    rateLimiter: SandboxRateLimiter,
  ): Promise<Record<string, string> | null> {
    if (this.faults.latencyMs) await new Promise((r) => setTimeout(r, this.faults.latencyMs));
    if (this.consume('connectionResets') > 0) {
      req.socket.destroy();
      return null;
    }
    if (this.consume('hangs') > 0) return null; // never answered; the socket is destroyed on close()

    const overLimit = rateLimiter.count(!isStravaUpload(method, path));
    const headers = rateLimiter.headers();
    const rateLimited = this.faults.rateLimited;
    if (rateLimited && rateLimited.times > 0) {
      if (rateLimited.times <= 1) delete this.faults.rateLimited;
      else this.faults.rateLimited = { ...rateLimited, times: rateLimited.times - 1 };
      const extra: Record<string, string> =
        rateLimited.retryAfterSeconds === undefined
          ? {}
          : { 'Retry-After': String(rateLimited.retryAfterSeconds) };
      // A real 429 reports the short window as used up.
      sendJson(res, 429, RATE_LIMIT_BODY, { ...rateLimiter.headers(true), ...extra });
      return null;
    }
    if (overLimit) {
      sendJson(res, 429, RATE_LIMIT_BODY, headers);
      return null;
    }
    const status = this.faults.status;
    if (
      status &&
      status.times > 0 &&
      (!status.pathPrefix ||
        `/api/v3${path}`.startsWith(status.pathPrefix) ||
        path.startsWith(status.pathPrefix))
    ) {
      if (status.times <= 1) delete this.faults.status;
      else this.faults.status = { ...status, times: status.times - 1 };
      const body = { message: status.code >= 500 ? 'Error' : 'Bad Request', errors: [] };
      sendJson(res, status.code, body, headers);
      return null;
    }
    if (this.consume('invalidJson') > 0) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end('[{"resource_state":2,"id":');
      return null;
    }
    return headers;
  }

  private consume<K extends 'connectionResets' | 'hangs' | 'invalidJson'>(key: K): number {
    const n = this.faults[key] ?? 0;
    if (n > 0) this.faults[key] = (n - 1) as SandboxFaults[K];
    return n;
  }
}
