import type { ConformanceSandbox } from '@trainlytics/core/testing';
import { planGarminUploads, uploadToStrava } from './demo-overlap';

/** A provider sandbox running for the demo, with its seeded account. */
export interface DemoSandbox {
  providerId: string;
  sandbox: ConformanceSandbox;
  providerUserId: string;
  /** Strava: how many of its activities Garmin Connect uploaded (the same workouts as Garmin's), and how many of those without `external_id`. */
  fromGarmin?: { uploads: number; withoutExternalId: number };
}

/** Each sandbox is loaded only when the demo runs (the other commands never pay for it). */
const STARTERS: Record<string, () => Promise<ConformanceSandbox>> = {
  strava: async () => (await import('@trainlytics/provider-strava/sandbox')).startStravaSandbox({}),
  garmin: async () => (await import('@trainlytics/provider-garmin/sandbox')).startGarminSandbox({}),
  polar: async () => (await import('@trainlytics/provider-polar/sandbox')).startPolarSandbox({}),
};

/**
 * Starts the sandbox of each provider on 127.0.0.1 (port 0) and seeds one account with a varied history
 * (`activityCount` activities each, seeds by position, so every run is the same). With Garmin and Strava, the
 * Strava account's history holds Garmin Connect's uploads of half of the Garmin activities (see
 * `planGarminUploads`) in place of as many of its own: connecting both shows those workouts once.
 */
export async function startDemoSandboxes(
  providerIds: string[],
  options: { activityCount: number; seed?: number },
): Promise<DemoSandbox[]> {
  const started: DemoSandbox[] = [];
  try {
    for (const providerId of providerIds) {
      const start = STARTERS[providerId];
      if (!start) throw new Error(`No sandbox for provider "${providerId}"`);
      started.push({ providerId, sandbox: await start(), providerUserId: '' });
    }
    // Garmin first: the Strava account copies some of its activities
    const order = [...started].sort(
      (a, b) => Number(b.providerId === 'garmin') - Number(a.providerId === 'garmin'),
    );
    const garmin = started.find((s) => s.providerId === 'garmin');
    for (const s of order) {
      const seed = (options.seed ?? 42) + started.indexOf(s);
      const uploads =
        s.providerId === 'strava' && garmin
          ? planGarminUploads(garmin.sandbox, garmin.providerUserId, Math.floor(options.activityCount / 2))
          : [];
      const { providerUserId } = await s.sandbox.seedAccount({
        activityCount: options.activityCount - uploads.length,
        seed,
      });
      s.providerUserId = providerUserId;
      if (uploads.length > 0) {
        const withoutExternalId = await uploadToStrava(s.sandbox, providerUserId, uploads);
        s.fromGarmin = { uploads: uploads.length, withoutExternalId };
      }
    }
    return started;
  } catch (error) {
    await Promise.all(started.map((s) => s.sandbox.close().catch(() => {})));
    throw error;
  }
}
