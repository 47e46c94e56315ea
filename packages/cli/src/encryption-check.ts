import type { Trainlytics } from '@trainlytics/core';

export const PLAINTEXT_WARNING =
  'trainlytics: warning: TRAINLYTICS_ENCRYPTION_KEY is not set: provider tokens are stored in clear (set it to 32 random bytes, e.g. `openssl rand -hex 32`)';

/**
 * The startup check of the commands that write tokens (`serve`, `worker`, `sync`, `demo`): refuses with
 * core's `ConfigurationError` (one line, non-zero exit) when no key is set but the database already holds
 * encrypted tokens; otherwise warns once (one line) when new tokens will be stored in clear.
 */
export async function checkTokenEncryption(
  trainlytics: Trainlytics,
  warn: (line: string) => void,
): Promise<void> {
  const check = await trainlytics.checkEncryption();
  if (check.storesPlaintext) warn(PLAINTEXT_WARNING);
}
