import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxFaults } from '@trainlytics/core/testing';
import { garminJson } from './garmin-json';
import type { GarminSummaryPayload } from './sandbox-history';
import { sendJson } from './sandbox-http';

/**
 * Fault injection: core's `SandboxFaults` knobs applied to API requests (OAuth endpoints excluded, except
 * `rejectRefresh`). Each counter is spent by the requests it breaks and the knob cleared at zero.
 */

/** Waits the added latency (wall clock: it is what a client's timeout measures). */
export async function injectLatency(faults: SandboxFaults): Promise<void> {
  if (faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
}

/**
 * Answers the request with the next pending fault, in order: a 429, a status (on its path prefix), a reset
 * connection, a request never answered. True when one was applied (the request is then done with).
 */
export function injectRequestFault(
  faults: SandboxFaults,
  request: { req: IncomingMessage; res: ServerResponse; path: string; headers: Record<string, string> },
): boolean {
  const { req, res, path, headers } = request;
  if (faults.rateLimited && faults.rateLimited.times > 0) {
    const retryAfter = faults.rateLimited.retryAfterSeconds;
    if (--faults.rateLimited.times <= 0) delete faults.rateLimited;
    sendJson(
      res,
      429,
      { errorMessage: 'Rate limit exceeded' },
      { ...headers, ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }) },
    );
    return true;
  }
  const status = faults.status;
  if (status && status.times > 0 && (!status.pathPrefix || path.startsWith(status.pathPrefix))) {
    const code = status.code;
    if (--status.times <= 0) delete faults.status;
    sendJson(res, code, { errorMessage: `Sandbox fault: HTTP ${code}` }, headers);
    return true;
  }
  if (faults.connectionResets && faults.connectionResets > 0) {
    faults.connectionResets--;
    req.socket.destroy();
    return true;
  }
  if (faults.hangs && faults.hangs > 0) {
    faults.hangs--;
    return true; // never answered; the socket is closed by close()
  }
  return false;
}

/** The body to send: the JSON cut short while `invalidJson` lasts (a body-less answer spends nothing). */
export function injectInvalidJson(faults: SandboxFaults, body: unknown): unknown {
  if (body === undefined || !faults.invalidJson || faults.invalidJson <= 0) return body;
  faults.invalidJson--;
  return garminJson(body).slice(0, 12);
}

/**
 * Breaks the start time of up to `malformedItems` activity summaries of a pull answer (parents spared), in
 * place, spending the knob by as many.
 */
export function injectMalformedItems(faults: SandboxFaults, items: unknown[]): void {
  if (!faults.malformedItems || faults.malformedItems <= 0) return;
  let broken = 0;
  for (let i = 0; i < items.length && broken < faults.malformedItems; i++) {
    const item = items[i] as GarminSummaryPayload;
    if (item.isParent) continue;
    items[i] = { ...item, startTimeInSeconds: 'not-a-time' };
    broken++;
  }
  faults.malformedItems -= broken;
  if (faults.malformedItems <= 0) delete faults.malformedItems;
}
