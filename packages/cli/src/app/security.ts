import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';

export const CSRF_COOKIE = 'tl_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = 'csrf';

/**
 * Security headers of every page and API answer: a strict CSP (scripts and styles only from this origin,
 * no framing), X-Frame-Options DENY, nosniff and a same-origin referrer policy.
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
    },
    xFrameOptions: 'DENY',
    xContentTypeOptions: 'nosniff',
    referrerPolicy: 'same-origin',
    strictTransportSecurity: false,
  });
}

/** The CSRF token of this browser (double-submit cookie), set on the first page view. */
export function csrfToken(c: Context, secure: boolean): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{32,}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  setCookie(c, CSRF_COOKIE, token, { httpOnly: true, sameSite: 'Lax', path: '/', secure });
  return token;
}

/**
 * Refuses state-changing requests that did not come from our own pages: the `Origin` (when the browser
 * sends one) must be ours, and the request must carry the CSRF token of the cookie in the
 * `x-csrf-token` header or a `csrf` form field. Requests carrying an `Authorization: Bearer` header (which
 * browsers never send by themselves) are not cookie-authenticated and skip the check.
 */
export function requireCsrf(origin: string): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    // An API client authenticated by a bearer token (checked by the sign-in guard before this): a browser
    // never attaches one by itself (unlike cookies or cached Basic credentials), so there is nothing to forge.
    if (/^Bearer\s/i.test(c.req.header('authorization') ?? '')) return next();
    const requestOrigin = c.req.header('origin');
    if (requestOrigin && requestOrigin !== origin) {
      return c.json({ error: 'CsrfError', message: 'Cross-origin request refused' }, 403);
    }
    const cookie = getCookie(c, CSRF_COOKIE);
    let sent = c.req.header(CSRF_HEADER);
    if (!sent && isForm(c.req.header('content-type'))) {
      const body = await c.req.parseBody();
      const field = body[CSRF_FIELD];
      sent = typeof field === 'string' ? field : undefined;
    }
    if (!cookie || !sent || !safeEqual(cookie, sent)) {
      return c.json(
        { error: 'CsrfError', message: 'Missing or wrong CSRF token: reload the dashboard and try again' },
        403,
      );
    }
    return next();
  };
}

/** A `returnTo` is honoured only as a same-origin relative path (`/dashboard?user=1`), never a URL. */
export function safeReturnTo(value: string | null | undefined, base: string): string | null {
  if (!value?.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  try {
    const resolved = new URL(value, base);
    if (resolved.origin !== new URL(base).origin) return null;
    return `${resolved.pathname}${resolved.search}`;
  } catch {
    return null;
  }
}

function isForm(contentType: string | undefined): boolean {
  return Boolean(
    contentType &&
      (contentType.startsWith('application/x-www-form-urlencoded') ||
        contentType.startsWith('multipart/form-data')),
  );
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
