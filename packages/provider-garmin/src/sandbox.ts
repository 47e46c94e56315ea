/**
 * The package's `./sandbox` entry: the Garmin sandbox of `./sandbox/` — written from Garmin's
 * documentation, importing nothing of the plugin (`test/sandbox-independence.test.ts`) — and
 * `createProvider`, the one place where this plugin meets it (a plugin pointed at the sandbox).
 */
import type { FetchFunction } from '@trainlytics/core';
import type { ConformanceSandbox } from '@trainlytics/core/testing';
import { type GarminProvider, garmin } from './garmin-provider';
import { GarminSandboxServer } from './sandbox/garmin-sandbox';
import type { GarminSandboxOptions } from './sandbox/sandbox-options';

/** The Garmin sandbox (see `GarminSandboxServer`) that also hands out plugins pointed at it. */
export class GarminSandbox extends GarminSandboxServer implements ConformanceSandbox {
  createProvider(options: { fetch?: FetchFunction } = {}): GarminProvider {
    return garmin({
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      apiUrl: this.apiUrl,
      authorizeUrl: this.authorizeUrl,
      tokenUrl: this.tokenUrl,
      env: {},
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }
}

/** Starts a Garmin sandbox on 127.0.0.1 (port 0 by default). */
export async function startGarminSandbox(options: GarminSandboxOptions = {}): Promise<GarminSandbox> {
  return new GarminSandbox(options).listen();
}

export { type BackfillDelivery, MAX_DELIVERY_ATTEMPTS } from './sandbox/backfill-delivery';
export type { AddedGarminActivity } from './sandbox/sandbox-accounts';
export { runSandboxCli } from './sandbox/sandbox-cli';
export { GARMIN_PERMISSIONS } from './sandbox/sandbox-consent-page';
export { type GarminSummaryPayload, GeneratedHistory, type StoredSummary } from './sandbox/sandbox-history';
export type { GarminSandboxOptions } from './sandbox/sandbox-options';
export { SANDBOX_API_PATH, SANDBOX_AUTHORIZE_PATH, SANDBOX_TOKEN_PATH } from './sandbox/sandbox-paths';
export { type SandboxScheduler, timerScheduler } from './sandbox/sandbox-scheduler';
export { SANDBOX_SPORTS } from './sandbox/sandbox-sports';
export type { WindowBounds } from './sandbox/summary-windows';
export type { GarminSandboxEvent } from './sandbox/webhook-events';
