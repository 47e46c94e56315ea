/**
 * The package's `./sandbox` entry: the Strava sandbox (`src/sandbox/`, which imitates Strava from its
 * documentation and imports nothing of the plugin) with the plugin bound to it, so that the conformance
 * kit's `createProvider` builds a plugin pointed at the sandbox. This file is plugin code; the sandbox's
 * independence is checked by `test/sandbox-independence.test.ts`.
 */
import type { Server } from 'node:http';
import type { FetchFunction, Provider } from '@trainlytics/core';
import type { ConformanceSandbox } from '@trainlytics/core/testing';
import { runSandboxCli as runCli, type SandboxCliIo } from './sandbox/sandbox-cli';
import type { StravaApiSandboxOptions } from './sandbox/sandbox-options';
import { listenStravaSandbox } from './sandbox/sandbox-server';
import { StravaApiSandbox } from './sandbox/strava-api-sandbox';
import { strava } from './strava-provider';
import type { StravaProviderOptions } from './strava-settings';

export type { ConformanceWebhookEvent, SandboxFaults } from '@trainlytics/core/testing';
export type { ActivityPatch, SeedAthleteOptions } from './sandbox/athlete-store';
export { buildActivity, toDetailed } from './sandbox/generate-activity';
export {
  generatedStartMs,
  type HistoryShape,
  type SandboxActivity,
  UNSAFE_ID_BASE,
} from './sandbox/generate-history';
export {
  generateStreams,
  recordedSamples,
  type SandboxStreams,
  STRAVA_STREAM_CHANNELS,
} from './sandbox/generate-streams';
export type { SandboxRequestRecord } from './sandbox/request-log';
export type { StravaProgramSwitches } from './sandbox/sandbox-options';
export type { ListActivitiesCall } from './sandbox/sandbox-state';
export type { StravaSandboxWebhookEvent } from './sandbox/sandbox-webhooks';
export { DOCUMENTED_SPORT_TYPES } from './sandbox/sport-types';
export { toStravaJson } from './sandbox/strava-json';

export interface StravaSandboxOptions extends StravaApiSandboxOptions {
  /** Extra plugin options for `createProvider` (e.g. a small `pageSize` so short histories span pages). */
  provider?: Omit<
    StravaProviderOptions,
    'clientId' | 'clientSecret' | 'apiUrl' | 'oauthUrl' | 'authorizeUrl' | 'tokenUrl'
  >;
}

/** The Strava sandbox (`StravaApiSandbox`) and the plugin pointed at it: what the conformance kit drives. */
export class StravaSandbox extends StravaApiSandbox implements ConformanceSandbox {
  private readonly pluginOptions: StravaSandboxOptions['provider'];

  /** @internal use `startStravaSandbox` */
  constructor(
    server: Server,
    baseUrl: string,
    options: StravaSandboxOptions,
    api: { server: Server; origin: string } | null = null,
  ) {
    super(server, baseUrl, options, api);
    this.pluginOptions = options.provider;
  }

  /** The plugin options that point at this sandbox. */
  providerOptions(options: { fetch?: FetchFunction } = {}): StravaProviderOptions {
    return {
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      apiUrl: this.apiUrl,
      oauthUrl: this.oauthUrl,
      authorizeUrl: this.authorizeUrl,
      tokenUrl: this.tokenUrl,
      webhooks: { verifyToken: this.verifyToken, subscriptionId: this.subscriptionId },
      env: {},
      ...this.pluginOptions,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
  }

  createProvider(options: { fetch?: FetchFunction } = {}): Provider {
    return strava(this.providerOptions(options));
  }
}

/** Starts a Strava sandbox on 127.0.0.1 (port 0 by default); with `apiBase: 'api-v3'` on two origins. */
export async function startStravaSandbox(options: StravaSandboxOptions = {}): Promise<StravaSandbox> {
  const { oauth, api } = await listenStravaSandbox(options);
  return new StravaSandbox(oauth.server, oauth.origin, options, api);
}

/**
 * The sandbox CLI (`npx trainlytics-sandbox-strava --port 4010`). Runs until SIGINT/SIGTERM.
 * Returns the started sandbox so callers (the demo) can drive it.
 */
export function runSandboxCli(argv: string[], io?: SandboxCliIo): Promise<StravaSandbox | null> {
  return runCli(argv, io, startStravaSandbox);
}
