import type { IncomingMessage } from 'node:http';
import type { SandboxFaults } from '@trainlytics/core/testing';

/** What the router does with an API request once the per-request faults were applied. */
export type FaultOutcome =
  | { kind: 'proceed' }
  /** Never answered (a hang; the socket is destroyed on close) or its socket destroyed: nothing to write. */
  | { kind: 'dropped' }
  | { kind: 'status'; code: number }
  | { kind: 'rateLimited'; retryAfterSeconds?: number };

/**
 * The fault knobs of core's test kit (`SandboxFaults`), applied to API requests (`/v3/…`; never to OAuth or
 * control endpoints). Each counter is used up by the requests or responses it spoils.
 */
export class SandboxFaultInjection {
  private faults: SandboxFaults = {};

  set(faults: SandboxFaults): void {
    this.faults = { ...this.faults, ...faults };
  }

  reset(): void {
    this.faults = {};
  }

  /** Applies hangs, connection resets, latency, injected statuses and 429s, in that order, to a request. */
  async intercept(req: IncomingMessage, path: string): Promise<FaultOutcome> {
    const faults = this.faults;
    if (faults.hangs && faults.hangs > 0) {
      faults.hangs--;
      return { kind: 'dropped' };
    }
    if (faults.connectionResets && faults.connectionResets > 0) {
      faults.connectionResets--;
      req.socket.destroy();
      return { kind: 'dropped' };
    }
    if (faults.latencyMs) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.status && faults.status.times > 0 && path.startsWith(faults.status.pathPrefix ?? '')) {
      const code = faults.status.code;
      faults.status =
        faults.status.times > 1 ? { ...faults.status, times: faults.status.times - 1 } : undefined;
      return { kind: 'status', code };
    }
    if (faults.rateLimited && faults.rateLimited.times > 0) {
      const { retryAfterSeconds } = faults.rateLimited;
      faults.rateLimited =
        faults.rateLimited.times > 1
          ? { ...faults.rateLimited, times: faults.rateLimited.times - 1 }
          : undefined;
      return { kind: 'rateLimited', retryAfterSeconds };
    }
    return { kind: 'proceed' };
  }

  /** Whether this response's body is to be truncated (`invalidJson`); uses one up. */
  takeInvalidJson(): boolean {
    if (this.faults.invalidJson && this.faults.invalidJson > 0) {
      this.faults.invalidJson--;
      return true;
    }
    return false;
  }

  /** The item with `key` spoilt (a number where Polar sends a string or a list) if `malformedItems` is set. */
  maybeMalformed(item: Record<string, unknown>, key: string): Record<string, unknown> {
    if (this.faults.malformedItems && this.faults.malformedItems > 0) {
      this.faults.malformedItems--;
      return { ...item, [key]: 12345 };
    }
    return item;
  }

  /** How many items of this listing to spoil: all of `malformedItems`, cleared at once. */
  takeMalformedListing(): number {
    const count = this.faults.malformedItems ?? 0;
    this.faults.malformedItems = undefined;
    return count;
  }
}
