import type { ConformanceSandbox } from '@trainlytics/core/testing';
import { type PolarProvider, type PolarProviderOptions, polar } from './polar-provider';
import { PolarSandboxServer } from './sandbox/polar-sandbox';
import type { PolarSandboxServerOptions } from './sandbox/sandbox-options';

/**
 * The package's `./sandbox` export. The sandbox itself (`./sandbox/`) imitates Polar from its documentation
 * and imports nothing of the plugin, so a plugin bug cannot be checked against itself
 * (`test/sandbox-independence.test.ts`). This file only binds it to the plugin for `createProvider()`.
 */

export type { ConformanceWebhookEvent, SandboxFaults } from '@trainlytics/core/testing';
export { renderConsentPage } from './sandbox/consent-page';
export {
  generateExerciseDetail,
  isManualEntry,
  type SandboxExerciseDetail,
} from './sandbox/generate-samples';
export {
  decodeExerciseId,
  type ExerciseFacts,
  encodeExerciseId,
  generateExercise,
  isoDuration,
  SANDBOX_SPORTS,
  toKebabExercise,
  toSnakeExercise,
} from './sandbox/polar-history';
export { runSandboxCli } from './sandbox/sandbox-cli';
export type { PolarSandboxEvent, PolarSandboxSeedOptions } from './sandbox/sandbox-options';

export interface PolarSandboxOptions extends PolarSandboxServerOptions {
  /** Options of the providers `createProvider()` returns (e.g. `{ exerciseFlow: 'transactional' }`). */
  provider?: Partial<PolarProviderOptions>;
}

/** The Polar sandbox server with `createProvider()`: a plugin pointed at it (credentials and every URL set). */
export class PolarSandbox extends PolarSandboxServer implements ConformanceSandbox {
  private readonly providerOptions: Partial<PolarProviderOptions>;

  constructor(options: PolarSandboxOptions = {}) {
    super(options);
    this.providerOptions = options.provider ?? {};
  }

  createProvider(options: Partial<PolarProviderOptions> = {}): PolarProvider {
    return polar({
      clientId: this.clientId,
      clientSecret: this.clientSecret,
      apiUrl: this.apiUrl,
      authorizeUrl: this.authorizeUrl,
      tokenUrl: this.tokenUrl,
      webhookSecret: this.webhookSecret,
      env: {},
      ...this.providerOptions,
      ...options,
    });
  }
}

/** Starts a Polar sandbox on 127.0.0.1 (port 0 by default). */
export async function startPolarSandbox(options: PolarSandboxOptions = {}): Promise<PolarSandbox> {
  return new PolarSandbox(options).listen();
}
