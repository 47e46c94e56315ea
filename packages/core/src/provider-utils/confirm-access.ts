import { ReauthorizationRequiredError } from '../errors/errors';
import type { AccessConfirmation } from '../provider/v1/provider-v1';

/**
 * Reads the outcome of a probe made with a connection's token (`auth: 'user'`, e.g. `GET /athlete`) as an
 * `AccessConfirmation`: it succeeded → `authorized`; core's token session gave up because the provider
 * refused the token and then the refresh grant → `revoked`; any other failure (5xx, 429, timeout, network
 * error, a 401 after a refresh that worked) → `unknown`. Only a definitive refusal may disconnect a user.
 *
 * ```ts
 * confirmDeauthorization: (ctx) =>
 *   confirmAccess(() => ctx.http.request({ url: `${api}/athlete`, auth: 'user', retry: false })),
 * ```
 */
export async function confirmAccess(probe: () => Promise<unknown>): Promise<AccessConfirmation> {
  try {
    await probe();
    return 'authorized';
  } catch (error) {
    return accessConfirmationOf(error);
  }
}

/** The `AccessConfirmation` a probe's error stands for: `revoked` only for a definitive refusal. */
export function accessConfirmationOf(error: unknown): AccessConfirmation {
  return ReauthorizationRequiredError.isInstance(error) ? 'revoked' : 'unknown';
}
