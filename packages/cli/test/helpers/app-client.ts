/** A tiny cookie-keeping HTTP client for the host app, as a browser would talk to it. */
export class AppClient {
  private cookies = new Map<string, string>();
  csrfToken = '';

  constructor(readonly baseUrl: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(new URL(path, this.baseUrl), { redirect: 'manual', ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      this.cookies.set(name!.trim(), value ?? '');
    }
    return response;
  }

  /** GETs a JSON API route and parses the answer (loosely typed: tests assert on its shape). */
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
