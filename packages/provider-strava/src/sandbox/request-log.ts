/** One request the sandbox received (for counters and for asserting where tokens travelled). */
export interface SandboxRequestRecord {
  method: string;
  path: string;
  /** `oauth` (the first origin) or `api` (the second origin of `apiBase: 'api-v3'`). */
  origin: 'oauth' | 'api';
  /** Path and query string as sent. */
  url: string;
  /** The request body as sent ('' when none). */
  body: string;
  /** The `Authorization` scheme (`bearer`, `basic`) or null. */
  authorization: string | null;
}

/**
 * Every request the sandbox received, in order (control endpoints excepted), and what can be asked of
 * them: counts by path and method, and the requests that carried an issued access token outside the
 * `Authorization` header.
 */
export class RequestLog {
  private records: SandboxRequestRecord[] = [];

  /** `issuedAccessTokens`: every access token the sandbox ever issued or registered. */
  constructor(private readonly issuedAccessTokens: () => Iterable<string>) {}

  add(record: SandboxRequestRecord): void {
    this.records.push(record);
  }

  all(): SandboxRequestRecord[] {
    return this.records.map((r) => ({ ...r }));
  }

  clear(): void {
    this.records = [];
  }

  /** Requests by method and path prefix (`/athlete` matches `/api/v3/athlete` too). */
  count(filter: { pathPrefix?: string; method?: string } = {}): number {
    return this.records.filter((r) => {
      if (filter.method && r.method !== filter.method.toUpperCase()) return false;
      if (!filter.pathPrefix) return true;
      const apiPath = r.path.startsWith('/api/v3') ? r.path.slice('/api/v3'.length) : r.path;
      return r.path.startsWith(filter.pathPrefix) || apiPath.startsWith(filter.pathPrefix);
    }).length;
  }

  tokenLeaks(): SandboxRequestRecord[] {
    return this.records.filter((r) => this.leaksToken(r));
  }

  /**
   * Whether a request carried an issued access token anywhere but the `Authorization` header: an
   * `access_token` parameter, or the token itself in the URL or the body (revoke's `token` field excepted,
   * the one place Strava wants a token there).
   */
  leaksToken(r: SandboxRequestRecord): boolean {
    const url = new URL(r.url, 'http://sandbox');
    if (url.searchParams.has('access_token')) return true;
    const body = new URLSearchParams(r.body);
    if (body.has('access_token')) return true;
    const revoke = r.path === '/oauth/revoke';
    const bodyWithoutRevokeToken = revoke ? r.body.replace(/(^|&)token=[^&]*/, '') : r.body;
    for (const token of this.issuedAccessTokens()) {
      if (r.url.includes(token) || bodyWithoutRevokeToken.includes(token)) return true;
    }
    return false;
  }
}
