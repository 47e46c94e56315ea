/** A cookie-keeping HTTP client for the host app, as a browser would talk to it; records every answer. */
export interface Recorded {
  method: string;
  path: string;
  status: number;
  headers: string;
  body: string;
}

export class AppClient {
  private cookies = new Map<string, string>();
  csrfToken = '';
  readonly recorded: Recorded[] = [];

  constructor(readonly baseUrl: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(new URL(path, this.baseUrl), { redirect: 'manual', ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    await this.record(init.method ?? 'GET', path, response);
    return response;
  }

  /** Records an answer obtained elsewhere (e.g. a webhook delivery sent straight to the server). */
  async record(method: string, path: string, response: Response): Promise<void> {
    this.recorded.push({
      method,
      path,
      status: response.status,
      headers: JSON.stringify([...response.headers.entries()]),
      body: await response.clone().text(),
    });
  }

  // biome-ignore lint/suspicious/noExplicitAny: test helper over arbitrary JSON
  async json(path: string): Promise<any> {
    return (await this.request(path)).json();
  }

  /** Opens the dashboard (which sets the CSRF cookie) and keeps the page's token. */
  async dashboard(userId?: number): Promise<{ response: Response; html: string }> {
    const response = await this.request(userId ? `/dashboard?user=${userId}` : '/dashboard');
    const html = await response.text();
    this.csrfToken = /<meta name="csrf-token" content="([^"]*)"/.exec(html)?.[1] ?? '';
    return { response, html };
  }

  /** A POST as the dashboard's buttons send it (CSRF header, same origin). */
  post(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('x-csrf-token', this.csrfToken);
    headers.set('origin', new URL(this.baseUrl).origin);
    return this.request(path, { ...init, method: 'POST', headers });
  }
}
