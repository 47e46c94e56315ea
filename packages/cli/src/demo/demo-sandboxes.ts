import type { ConformanceSandbox } from '@trainlytics/core/testing';

/** A provider sandbox running for the demo, with its seeded account. */
export interface DemoSandbox {
  providerId: string;
  sandbox: ConformanceSandbox;
  providerUserId: string;
}

/** Each sandbox is loaded only when the demo runs (the other commands never pay for it). */
const STARTERS: Record<string, () => Promise<ConformanceSandbox>> = {
  strava: async () => (await import('@trainlytics/provider-strava/sandbox')).startStravaSandbox({}),
  garmin: async () => (await import('@trainlytics/provider-garmin/sandbox')).startGarminSandbox({}),
  polar: async () => (await import('@trainlytics/provider-polar/sandbox')).startPolarSandbox({}),
};

/** Starts the sandbox of each provider on 127.0.0.1 (port 0) and seeds one account with a varied history. */
export async function startDemoSandboxes(
  providerIds: string[],
  options: { activityCount: number; seed?: number },
): Promise<DemoSandbox[]> {
  const started: DemoSandbox[] = [];
  try {
    for (const [index, providerId] of providerIds.entries()) {
      const start = STARTERS[providerId];
      if (!start) throw new Error(`No sandbox for provider "${providerId}"`);
      const sandbox = await start();
      started.push({ providerId, sandbox, providerUserId: '' });
      const { providerUserId } = await sandbox.seedAccount({
        activityCount: options.activityCount,
        seed: (options.seed ?? 42) + index,
      });
      started[started.length - 1]!.providerUserId = providerUserId;
    }
    return started;
  } catch (error) {
    await Promise.all(started.map((s) => s.sandbox.close().catch(() => {})));
    throw error;
  }
}
