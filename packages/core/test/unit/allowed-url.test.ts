import { allowedUrl } from '@trainlytics/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const BASES = ['https://apis.garmin.com/wellness-api/rest', 'http://127.0.0.1:4010/v3/'];
/** The origins of the allow-list, as WHATWG URL computes them (the oracle the helper is held to). */
const ORIGINS = new Set(BASES.map((b) => new URL(b).origin));

const scheme = fc.constantFrom('https', 'https', 'http', 'HTTPS', 'ftp', 'javascript', 'file', 'wss');
const host = fc.constantFrom(
  'apis.garmin.com',
  'apis.garmin.com',
  'APIS.GARMIN.COM',
  'apis.garmin.com.',
  'apis.garmin.com.attacker.example',
  'attacker.example',
  'evil-apis.garmin.com',
  'sub.apis.garmin.com',
  '127.0.0.1',
  '127.1',
  '0x7f.0.0.1',
  '[::1]',
  'localhost',
  'xn--apis-garmin-com',
);
const port = fc.constantFrom('', '', ':443', ':80', ':4010', ':8443', ':0', ':65536', ':');
const userinfo = fc.constantFrom('', '', '', 'user@', 'user:pass@', ':@', 'apis.garmin.com@', '@');
const segment = fc.constantFrom(
  'wellness-api',
  'rest',
  'rest-evil',
  'v3',
  'exercises',
  '..',
  '.',
  '%2e%2e',
  '%2E.',
  '..%2f',
  '%2F',
  '%5c',
  '',
  'a b',
  '\\',
  'activities',
);
const path = fc
  .tuple(
    fc.constantFrom('/wellness-api/rest', '/wellness-api', '/v3', ''),
    fc.array(segment, { maxLength: 5 }),
  )
  .map(([prefix, s]) => `${prefix}/${s.join('/')}`);
const tail = fc.constantFrom('', '?uploadStartTimeInSeconds=1', '#frag', '?x=@attacker.example');
const separator = fc.constantFrom('://', '://', ':/', ':\\\\', '://\\', ':');

/** Anything assembled from URL parts: mostly refused. */
const assembled = fc
  .tuple(scheme, separator, userinfo, host, port, path, tail)
  .map((parts) => parts.join(''));
/** An allowed base with userinfo and path segments added: accepted or refused on one detail. */
const nearMiss = fc
  .tuple(fc.constantFrom(...BASES), userinfo, fc.array(segment, { minLength: 1, maxLength: 4 }), tail)
  .map(
    ([base, info, segments, end]) =>
      `${base.replace('://', `://${info}`).replace(/\/+$/, '')}/${segments.join('/')}${end}`,
  );
const candidate = fc.oneof(assembled, nearMiss);

describe('allowedUrl', () => {
  it('accepts only URLs whose WHATWG origin is in the allow-list, without userinfo, unchanged', () => {
    let acceptedCount = 0;
    fc.assert(
      fc.property(candidate, (text) => {
        const accepted = allowedUrl(text, BASES);
        if (!accepted) return;
        acceptedCount++;
        const parsed = new URL(text);
        expect(ORIGINS.has(parsed.origin)).toBe(true);
        expect(parsed.username).toBe('');
        expect(parsed.password).toBe('');
        expect(accepted.href).toBe(parsed.href);
        const base = BASES.map((b) => new URL(b)).find((b) => b.origin === parsed.origin)!;
        expect(parsed.pathname.startsWith(`${base.pathname.replace(/\/+$/, '')}/`)).toBe(true);
        expect(parsed.pathname).not.toMatch(/%2f|%5c/i);
      }),
      { numRuns: 2000 },
    );
    // the generator reaches the accepting side too (else the property would hold vacuously)
    expect(acceptedCount).toBeGreaterThan(100);
  });

  it('accepts every plain URL under an allowed base', () => {
    const safe = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(
        fc.constantFrom(...BASES),
        fc.array(safe, { minLength: 1, maxLength: 4 }),
        (base, segments) => {
          const text = `${base.replace(/\/+$/, '')}/${segments.join('/')}?a=1`;
          expect(allowedUrl(text, BASES)?.href).toBe(new URL(text).href);
        },
      ),
    );
  });

  it.each([
    ['another host', 'https://attacker.example/wellness-api/rest/activities'],
    ['a longer host', 'https://apis.garmin.com.attacker.example/wellness-api/rest/activities'],
    ['userinfo that hides the host', 'https://apis.garmin.com@attacker.example/wellness-api/rest/a'],
    ['credentials', 'https://user:pass@apis.garmin.com/wellness-api/rest/activities'],
    ['http for an https base', 'http://apis.garmin.com/wellness-api/rest/activities'],
    ['another port', 'https://apis.garmin.com:8443/wellness-api/rest/activities'],
    ['a sibling path', 'https://apis.garmin.com/wellness-api/rest-evil/activities'],
    ['the base itself', 'https://apis.garmin.com/wellness-api/rest'],
    ['a dot-dot escape', 'https://apis.garmin.com/wellness-api/rest/../admin'],
    ['an encoded dot-dot escape', 'https://apis.garmin.com/wellness-api/rest/%2e%2e/%2E%2E/admin'],
    ['an encoded slash', 'https://apis.garmin.com/wellness-api/rest/..%2Fadmin'],
    ['an encoded backslash', 'https://apis.garmin.com/wellness-api/rest/..%5cadmin'],
    ['a relative URL', '/wellness-api/rest/activities'],
    ['not a URL', 'https://'],
    ['javascript:', 'javascript:alert(1)//apis.garmin.com/wellness-api/rest/a'],
  ])('refuses %s', (_what, text) => {
    expect(allowedUrl(text, BASES)).toBeUndefined();
  });

  it.each([
    ['the default port spelled out', 'https://apis.garmin.com:443/wellness-api/rest/activities'],
    ['an upper-case host', 'https://APIS.garmin.com/wellness-api/rest/activities?x=1'],
    ['a dot segment that stays under the base', 'https://apis.garmin.com/wellness-api/rest/x/../activities'],
    ['the http sandbox base', 'http://127.0.0.1:4010/v3/exercises/abc'],
  ])('accepts %s', (_what, text) => {
    expect(allowedUrl(text, BASES)?.href).toBe(new URL(text).href);
  });

  it('skips a base that is not an http(s) URL', () => {
    expect(
      allowedUrl('https://apis.garmin.com/x/y', ['not a url', 'ftp://apis.garmin.com/x']),
    ).toBeUndefined();
  });
});
