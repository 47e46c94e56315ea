import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors/errors';

const PREFIX = 'tl1';
const KEY_SETTING = 'TRAINLYTICS_ENCRYPTION_KEY';
const KEY_ERROR = 'TRAINLYTICS_ENCRYPTION_KEY must be 32 bytes as 64 hex chars or base64';
const kidPattern = /^[A-Za-z0-9_-]{1,32}$/;

interface CipherKey {
  kid: string;
  key: Buffer;
}

/**
 * Encrypts tokens at rest with AES-256-GCM. A stored value reads `tl1:<kid>:<iv>:<tag>:<ciphertext>`
 * (base64url parts); the key id makes rotation possible: the first key encrypts, every key decrypts.
 * Values without the prefix are legacy plaintext rows: they are read as they are.
 */
export interface TokenCipher {
  /** True when a key is configured (tokens are written encrypted). */
  readonly enabled: boolean;
  /** The key id new values are encrypted with, or null without a key. */
  readonly currentKeyId: string | null;
  encrypt(plaintext: string): string;
  decrypt(stored: string): string;
  /** True when `stored` is already in the form `encrypt` would write (current key, or plaintext without a key). */
  isCurrent(stored: string): boolean;
}

function decodeKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(
      trimmed,
      trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64',
    );
    if (decoded.length === 32) return decoded;
  }
  throw new ConfigurationError(KEY_ERROR, {
    hint: 'generate one with `openssl rand -hex 32`; for rotation list `kid:key` pairs separated by commas, the new key first',
  });
}

/**
 * Reads `TRAINLYTICS_ENCRYPTION_KEY`: one key (64 hex chars or base64 of 32 bytes), or `kid:key` pairs
 * separated by commas. A key without an id gets a stable id derived from the key itself.
 */
export function parseEncryptionKeys(value: string): CipherKey[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new ConfigurationError(KEY_ERROR);
  const keys: CipherKey[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    let kid: string;
    let key: Buffer;
    if (colon >= 0) {
      kid = entry.slice(0, colon);
      if (!kidPattern.test(kid)) {
        throw new ConfigurationError(
          `TRAINLYTICS_ENCRYPTION_KEY has an invalid key id "${kid}": use letters, digits, _ or - (at most 32)`,
        );
      }
      key = decodeKey(entry.slice(colon + 1));
    } else {
      key = decodeKey(entry);
      kid = derivedKeyId(key);
    }
    if (keys.some((k) => k.kid === kid)) {
      throw new ConfigurationError(`TRAINLYTICS_ENCRYPTION_KEY lists key id "${kid}" twice`);
    }
    keys.push({ kid, key });
  }
  return keys;
}

function derivedKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Whether a stored token is in the encrypted form (rather than legacy plaintext). */
export function isEncryptedToken(stored: string): boolean {
  return stored.startsWith(`${PREFIX}:`);
}

/** Builds the cipher from the configured key (undefined or empty: tokens are stored as they are). */
export function createTokenCipher(encryptionKey: string | undefined): TokenCipher {
  const keys = encryptionKey?.trim() ? parseEncryptionKeys(encryptionKey) : [];
  const primary = keys[0];
  const byKid = new Map<string, Buffer>();
  // a key also reads values written while it had no explicit id (its derived id), so that
  // `KEY` can become `old:KEY` in a rotation without rewriting anything first
  for (const k of keys) byKid.set(derivedKeyId(k.key), k.key);
  for (const k of keys) byKid.set(k.kid, k.key);

  return {
    enabled: primary !== undefined,
    currentKeyId: primary?.kid ?? null,
    encrypt(plaintext) {
      if (!primary) return plaintext;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', primary.key, iv);
      cipher.setAAD(Buffer.from(`${PREFIX}:${primary.kid}`));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        PREFIX,
        primary.kid,
        iv.toString('base64url'),
        tag.toString('base64url'),
        ct.toString('base64url'),
      ].join(':');
    },
    decrypt(stored) {
      if (!isEncryptedToken(stored)) return stored;
      const parts = stored.split(':');
      if (parts.length !== 5) {
        throw new ConfigurationError('A stored token has the encrypted prefix "tl1:" but is malformed', {
          setting: KEY_SETTING,
          hint: 'the row was altered outside Trainlytics; the user must reconnect',
        });
      }
      const [, kid, iv, tag, ct] = parts as [string, string, string, string, string];
      if (!primary) {
        throw new ConfigurationError(
          `A stored token is encrypted (key id "${kid}") but TRAINLYTICS_ENCRYPTION_KEY is not set`,
          {
            setting: KEY_SETTING,
            hint: 'set TRAINLYTICS_ENCRYPTION_KEY to the key the tokens were encrypted with',
          },
        );
      }
      const key = byKid.get(kid);
      if (!key) {
        throw new ConfigurationError(
          `A stored token is encrypted with key id "${kid}", which TRAINLYTICS_ENCRYPTION_KEY does not contain (it has: ${keys.map((k) => k.kid).join(', ')})`,
          {
            setting: KEY_SETTING,
            hint: `add the old key as "${kid}:<key>" after the current one, then run tokens.reencryptAll()`,
          },
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(`${PREFIX}:${kid}`));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch (error) {
        throw new ConfigurationError(
          `A stored token could not be decrypted with key id "${kid}": the key is wrong or the value was altered`,
          { setting: KEY_SETTING, hint: 'check TRAINLYTICS_ENCRYPTION_KEY', cause: error },
        );
      }
    },
    isCurrent(stored) {
      if (!primary) return !isEncryptedToken(stored);
      return stored.startsWith(`${PREFIX}:${primary.kid}:`);
    },
  };
}
