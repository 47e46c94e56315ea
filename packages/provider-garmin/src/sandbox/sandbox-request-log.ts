/** The requests the sandbox received (control endpoints excluded), for `requestCount`. */
export class SandboxRequestLog {
  private readonly requests: Array<{ method: string; path: string }> = [];

  record(method: string, path: string): void {
    this.requests.push({ method, path });
  }

  /** Requests whose path starts with `pathPrefix` and whose method is `method` (any case), when given. */
  count(filter: { pathPrefix?: string; method?: string } = {}): number {
    const prefix = filter.pathPrefix ?? '';
    const method = filter.method?.toUpperCase();
    return this.requests.filter((r) => r.path.startsWith(prefix) && (!method || r.method === method)).length;
  }

  reset(): void {
    this.requests.length = 0;
  }
}
