import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One refresh-token grant that went through the gate, and what the provider answered. */
export interface GatedGrant {
  refreshToken: string | null;
  status: number;
  error: string | null;
  issuedRefreshToken: string | null;
}

export interface TokenGate {
  /** The token endpoint to give the processes under test (instead of the provider's). */
  readonly url: string;
  readonly grants: GatedGrant[];
  /** Resolves once `count` refresh grants are held (or have gone through). */
  arrived(count: number): Promise<void>;
  /** Forwards the held grants in arrival order, and every later request at once. */
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A pass-through in front of a provider's token endpoint that holds refresh-token grants until `open()`,
 * so a test can keep one process's refresh in flight while another process needs the same token.
 * Other requests (the code exchange) pass at once.
 */
export async function startTokenGate(target: string): Promise<TokenGate> {
  const grants: GatedGrant[] = [];
  const held: (() => Promise<void>)[] = [];
  const arrivals: { count: number; resolve: () => void }[] = [];
  let seen = 0;
  let isOpen = false;

  async function forward(body: string, req: IncomingMessage, res: ServerResponse, grant: boolean) {
    const answer = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded',
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      },
      body,
    });
    const text = await answer.text();
    if (grant) {
      let parsed: { error?: string; refresh_token?: string } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {}
      grants.push({
        refreshToken: new URLSearchParams(body).get('refresh_token'),
        status: answer.status,
        error: parsed.error ?? null,
        issuedRefreshToken: parsed.refresh_token ?? null,
      });
    }
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    res.end(text);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const grant = new URLSearchParams(body).get('grant_type') === 'refresh_token';
      const go = () =>
        forward(body, req, res, grant).catch((error: unknown) => {
          res.writeHead(502).end(String(error));
        });
      if (!grant || isOpen) {
        void go();
        return;
      }
      held.push(go);
      seen++;
      for (const waiter of arrivals.filter((a) => seen >= a.count)) {
        arrivals.splice(arrivals.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/oauth/token`,
    grants,
    arrived(count) {
      if (seen >= count) return Promise.resolve();
      return new Promise((resolve) => arrivals.push({ count, resolve }));
    },
    async open() {
      isOpen = true;
      for (const go of held.splice(0)) await go();
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
