/** The requests the sandbox received (control endpoints excluded), for `requestCount`. */
export class SandboxRequestLog {
  private readonly requests: Array<{ method: string; path: string }> = [];

  record(method: string, path: string): void {
    this.requests.push({ method, path });
  }

  count(filter: { pathPrefix?: string; method?: string } = {}): number {
    return this.requests.filter(
      (r) =>
        (!filter.pathPrefix || r.path.startsWith(filter.pathPrefix)) &&
        (!filter.method || r.method === filter.method.toUpperCase()),
    ).length;
  }

  reset(): void {
    this.requests.length = 0;
  }
}
