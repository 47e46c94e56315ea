/**
 * Checks a URL a provider sent us (a Garmin ping's `callbackURL`, a Polar webhook's exercise `url`) before a
 * plugin fetches it with a user's token: a webhook body, which anyone may forge or replay, must never make
 * us send that token anywhere but the provider's API.
 *
 * `candidate` is accepted, and returned parsed (WHATWG URL), only when all of these hold for one of `bases`
 * (the configured API base URL, e.g. `https://apis.garmin.com/wellness-api/rest`, and any other base the
 * plugin lists):
 * - it parses as an absolute `https:` or `http:` URL;
 * - its origin (scheme, host and port, as WHATWG URL computes them) equals the base's: so `http:` only when
 *   the configured base is `http:` (a sandbox), no other host or subdomain, no other port (`:443` on an
 *   `https:` base is the same origin; `:8443` is not);
 * - it carries no userinfo (`https://apis.garmin.com@attacker.example/…` parses to attacker.example, and
 *   `https://user:pass@…` is refused outright);
 * - its path, after WHATWG's resolution of `.` and `..` segments (also `%2e%2e`), lies under the base's path
 *   at a segment boundary (`/wellness-api/rest/…`, never `/wellness-api/rest-evil/…` nor the base itself);
 * - its path has no encoded slash or backslash (`%2F`, `%5C`), which a server may decode into a traversal
 *   after our check.
 *
 * Query and fragment are not checked. Returns undefined for anything else (never throws): the plugin throws
 * its own `ValidationError`, naming its setting.
 */
export function allowedUrl(candidate: string | URL, bases: ReadonlyArray<string | URL>): URL | undefined {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  if (/%(2f|5c)/i.test(url.pathname)) return undefined;
  for (const entry of bases) {
    let base: URL;
    try {
      base = new URL(entry);
    } catch {
      continue;
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') continue;
    if (url.origin !== base.origin) continue;
    if (url.pathname.startsWith(`${base.pathname.replace(/\/+$/, '')}/`)) return url;
  }
  return undefined;
}
