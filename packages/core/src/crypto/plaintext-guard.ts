import { ConfigurationError } from '../errors/errors';
import type { Runtime } from '../registry/runtime';

/** What `trainlytics.checkEncryption()` found. */
export interface EncryptionCheck {
  /** `TRAINLYTICS_ENCRYPTION_KEY` (the `encryptionKey` option) is set: new tokens are written encrypted. */
  keySet: boolean;
  /** New tokens will be stored in clear (no key). The CLI warns about it at start. */
  storesPlaintext: boolean;
  /** Stored access and refresh tokens in the encrypted form (`tl1:…`). */
  encryptedTokens: number;
  /** Stored access and refresh tokens in clear. */
  plaintextTokens: number;
}

/** How long a "no encrypted token in the store" answer is trusted before writing plaintext again. */
const CLEAN_ANSWER_TTL_MS = 60_000;
const cleanUntil = new WeakMap<Runtime, number>();

function missingKey(encrypted: number): ConfigurationError {
  return new ConfigurationError(
    `The database holds ${encrypted} encrypted token${encrypted === 1 ? '' : 's'} but TRAINLYTICS_ENCRYPTION_KEY is not set: they cannot be read, and new tokens would be stored in clear`,
    {
      setting: 'TRAINLYTICS_ENCRYPTION_KEY',
      hint: 'set TRAINLYTICS_ENCRYPTION_KEY to the key the other processes use (the one the tokens were encrypted with)',
    },
  );
}

/**
 * The encryption state of this instance and its store. Throws `ConfigurationError` when no key is set but the
 * store already holds encrypted tokens (a process started without the key would store new tokens in clear
 * beside them, and could not read them): fix the configuration, do not carry on.
 */
export async function checkEncryption(rt: Runtime): Promise<EncryptionCheck> {
  const counts = await rt.store.countTokens();
  const keySet = rt.cipher.enabled;
  if (!keySet && counts.encrypted > 0) throw missingKey(counts.encrypted);
  if (!keySet) cleanUntil.set(rt, rt.clock.now().getTime() + CLEAN_ANSWER_TTL_MS);
  return {
    keySet,
    storesPlaintext: !keySet,
    encryptedTokens: counts.encrypted,
    plaintextTokens: counts.plaintext,
  };
}

/**
 * Called before core obtains tokens it will write (a code exchange, a refresh): without a key, refuses when
 * the store holds encrypted tokens, so a misconfigured process never writes plaintext beside ciphertext.
 * Checked before the provider call, so no token is obtained and then dropped. A clean answer is reused for
 * a minute.
 */
export async function assertMayWritePlaintext(rt: Runtime): Promise<void> {
  if (rt.cipher.enabled) return;
  const until = cleanUntil.get(rt);
  if (until !== undefined && rt.clock.now().getTime() < until) return;
  await checkEncryption(rt);
}
