import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { deleteCookie, setCookie } from 'hono/cookie';
import { UserError } from '../user-error';
import type { Authenticate, HostAuthOptions } from './auth';
import { loginPage } from './dashboard-page';
import { csrfToken, requireCsrf, safeReturnTo } from './security';

export const SESSION_COOKIE = 'tl_session';
export const ADMIN_TOKEN_MIN_LENGTH = 32;
const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60_000;

export interface AdminTokenAuthOptions {
  /** The operator's secret (`TRAINLYTICS_ADMIN_TOKEN`), at least 32 characters (`openssl rand -hex 32`). */
  token: string;
  /** How long a sign-in lasts (default 12 hours). */
  sessionTtlMs?: number;
  /** Milliseconds since the epoch (tests inject a clock). */
  now?: () => number;
}

/**
 * Equal-length-independent, constant-time comparison of two secrets: both are hashed (SHA-256) and the
 * digests compared with `timingSafeEqual`, so neither the position of the first differing byte nor the
 * length of the guess shows in the time taken.
 */
export function secretsEqual(guess: string, secret: string): boolean {
  const a = createHash('sha256').update(guess, 'utf8').digest();
  const b = createHash('sha256').update(secret, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * The admin sign-in of `trainlytics serve`: whoever presents `TRAINLYTICS_ADMIN_TOKEN` is the admin (sees
 * and acts on every user).
 *
 * - API clients send `Authorization: Bearer <token>`.
 * - A browser signs in once on `GET /login` (a form that takes the token; CSRF-protected), and gets a
 *   signed session cookie `tl_session` (HMAC-SHA256 with a key derived from the token; `HttpOnly`,
 *   `SameSite=Lax`, `Secure` on https, expiring after `sessionTtlMs`). Changing the token ends every
 *   session. `POST /logout` ends this one.
 *
 * Every comparison (the bearer, the login form's token, the cookie's signature) is constant-time.
 */
export function adminTokenAuth(options: AdminTokenAuthOptions): HostAuthOptions {
  // surrounding whitespace (a trailing newline from a secrets file) is not part of the token
  const token = typeof options.token === 'string' ? options.token.trim() : '';
  if (token.length < ADMIN_TOKEN_MIN_LENGTH) {
    throw new UserError(
      `TRAINLYTICS_ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters: generate one with \`openssl rand -hex 32\``,
      2,
    );
  }
  const ttlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const now = options.now ?? Date.now;
  const sessionKey = createHmac('sha256', token).update('trainlytics host session v1').digest();
  const sign = (expires: number) =>
    createHmac('sha256', sessionKey).update(`admin.${expires}`).digest('base64url');

  const issueSession = (): { value: string; maxAgeS: number } => {
    const expires = Math.floor((now() + ttlMs) / 1000);
    return { value: `v1.${expires}.${sign(expires)}`, maxAgeS: Math.floor(ttlMs / 1000) };
  };
  const validSession = (value: string | undefined): boolean => {
    const match = value ? /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
    if (!match) return false;
    const expires = Number(match[1]);
    // compared as text: decoding base64url would accept several spellings of one signature
    const expected = Buffer.from(sign(expires), 'ascii');
    const given = Buffer.from(match[2]!, 'ascii');
    return given.length === expected.length && timingSafeEqual(given, expected) && expires * 1000 > now();
  };

  const authenticate: Authenticate = (request) => {
    const header = request.headers.get('authorization');
    if (header !== null) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
      // A wrong Authorization header refuses the request even if a session cookie comes with it.
      return bearer !== undefined && secretsEqual(bearer, token) ? { admin: true } : null;
    }
    return validSession(cookieValue(request.headers.get('cookie'), SESSION_COOKIE)) ? { admin: true } : null;
  };

  return {
    authenticate,
    loginUrl: '/login',
    publicRoutes(app, { origin, secureCookie }) {
      app.use('/login', requireCsrf(origin));
      app.use('/logout', requireCsrf(origin));
      app.get('/login', (c) => {
        c.header('cache-control', 'no-store');
        return c.html(
          loginPage({
            csrfToken: csrfToken(c, secureCookie),
            returnTo: safeReturnTo(c.req.query('returnTo'), origin) ?? '/dashboard',
            error: null,
          }),
        );
      });
      app.post('/login', async (c) => {
        const body = await c.req.parseBody();
        const given = typeof body.token === 'string' ? body.token.trim() : '';
        const returnTo =
          safeReturnTo(typeof body.returnTo === 'string' ? body.returnTo : null, origin) ?? '/dashboard';
        c.header('cache-control', 'no-store');
        if (!secretsEqual(given, token)) {
          return c.html(
            loginPage({ csrfToken: csrfToken(c, secureCookie), returnTo, error: 'Wrong admin token' }),
            401,
          );
        }
        const session = issueSession();
        setCookie(c, SESSION_COOKIE, session.value, {
          httpOnly: true,
          sameSite: 'Lax',
          secure: secureCookie,
          path: '/',
          maxAge: session.maxAgeS,
        });
        return c.redirect(returnTo, 303);
      });
      app.post('/logout', (c) => {
        deleteCookie(c, SESSION_COOKIE, { path: '/', secure: secureCookie });
        return c.redirect('/login', 303);
      });
    },
  };
}

/** One cookie's value from a `Cookie` header (the first of that name), or undefined. */
function cookieValue(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
