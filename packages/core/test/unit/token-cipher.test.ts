import { ConfigurationError, createTokenCipher, isEncryptedToken } from '@trainlytics/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const HEX = 'ab'.repeat(32);
const B64 = Buffer.alloc(32, 9).toString('base64');
const B64URL = Buffer.alloc(32, 250).toString('base64url');

describe('token cipher', () => {
  it('round-trips any string and never writes the plaintext', () => {
    const cipher = createTokenCipher(HEX);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (token) => {
        const stored = cipher.encrypt(token);
        expect(stored.startsWith(`tl1:${cipher.currentKeyId}:`)).toBe(true);
        expect(stored.split(':')).toHaveLength(5);
        expect(cipher.decrypt(stored)).toBe(token);
      }),
    );
    expect(cipher.encrypt('secret-token')).not.toContain('secret-token');
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same')); // a fresh IV each time
  });

  it('accepts 64 hex chars, base64 and base64url keys', () => {
    for (const key of [HEX, B64, B64URL]) {
      const cipher = createTokenCipher(key);
      expect(cipher.enabled).toBe(true);
      expect(cipher.decrypt(cipher.encrypt('t'))).toBe('t');
    }
  });

  it('refuses a malformed key with a ConfigurationError saying what is expected', () => {
    for (const bad of [
      'short',
      'ab'.repeat(31),
      Buffer.alloc(16).toString('base64'),
      'k1:',
      'bad id!:' + HEX,
    ]) {
      let error: unknown;
      try {
        createTokenCipher(bad);
      } catch (e) {
        error = e;
      }
      expect(ConfigurationError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/TRAINLYTICS_ENCRYPTION_KEY/);
    }
    expect(() => createTokenCipher('zz')).toThrow(
      'TRAINLYTICS_ENCRYPTION_KEY must be 32 bytes as 64 hex chars or base64',
    );
    expect(() => createTokenCipher(`a:${HEX},a:${B64}`)).toThrow(/twice/);
  });

  it('reads legacy plaintext as it is; without a key writes plaintext', () => {
    const cipher = createTokenCipher(HEX);
    expect(cipher.decrypt('legacy-plain-token')).toBe('legacy-plain-token');
    expect(cipher.isCurrent('legacy-plain-token')).toBe(false);
    const none = createTokenCipher(undefined);
    expect(none.enabled).toBe(false);
    expect(none.encrypt('x')).toBe('x');
    expect(none.isCurrent('x')).toBe(true);
    expect(isEncryptedToken(cipher.encrypt('x'))).toBe(true);
  });

  it('a missing key, an unknown key id, a wrong key or an altered value is a ConfigurationError naming the key', () => {
    const stored = createTokenCipher(`k1:${HEX}`).encrypt('token');
    const cases: [string | undefined, string, RegExp][] = [
      [undefined, stored, /not set/],
      [`k2:${B64}`, stored, /key id "k1".*\(it has: k2\)/],
      [`k1:${B64}`, stored, /could not be decrypted with key id "k1"/],
      [`k1:${HEX}`, `${stored.slice(0, -2)}AA`, /could not be decrypted/],
      [`k1:${HEX}`, 'tl1:k1:broken', /malformed/],
    ];
    for (const [key, value, message] of cases) {
      let error: unknown;
      try {
        createTokenCipher(key).decrypt(value);
      } catch (e) {
        error = e;
      }
      expect(ConfigurationError.isInstance(error)).toBe(true);
      expect((error as ConfigurationError).setting).toBe('TRAINLYTICS_ENCRYPTION_KEY');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('rotation: the first key encrypts, every key decrypts, and a bare key keeps reading as `old:KEY`', () => {
    const before = createTokenCipher(HEX);
    const old = before.encrypt('old-token');
    const rotated = createTokenCipher(`new:${B64},old:${HEX}`);
    expect(rotated.currentKeyId).toBe('new');
    expect(rotated.decrypt(old)).toBe('old-token');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.isCurrent(rotated.encrypt('n'))).toBe(true);
  });
});
