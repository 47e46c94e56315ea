import type { Trainlytics } from '@trainlytics/core';
import type { ConformanceSandbox } from '@trainlytics/core/testing';

/** Connects a sandbox account for `userId` through core's public connect flow (the sandbox plays the user). */
export async function connectAccount(
  trainlytics: Trainlytics,
  providerId: string,
  sandbox: ConformanceSandbox,
  input: { userId: number; providerUserId: string },
) {
  const { url } = await trainlytics.connect.start(providerId, {
    userId: input.userId,
    redirectUri: 'http://127.0.0.1:9/callback',
  });
  const callback = await sandbox.approve(url, { providerUserId: input.providerUserId });
  return trainlytics.connect.finish(providerId, { callbackParams: callback.searchParams });
}
