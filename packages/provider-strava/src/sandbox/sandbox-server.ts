import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sendJson } from './sandbox-http';
import type { StravaApiSandboxOptions } from './sandbox-options';

/** One listening HTTP server and its origin (`http://host:port`). */
export interface ListeningServer {
  server: Server;
  origin: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, origin: 'oauth' | 'api') => Promise<void>;

/** Starts an HTTP server on `host:port` (0: a free port). */
export async function listenOn(host: string, port: number): Promise<ListeningServer> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}` };
}

/**
 * The sandbox's one or two servers (the OAuth origin, and the API origin of `apiBase: 'api-v3'`) wired to
 * a handler. An error thrown by the handler is answered 500 with Strava's error body (or the socket
 * destroyed when the answer had begun); `close` also destroys open sockets (hanging requests, keep-alive).
 */
export class SandboxServers {
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly oauth: Server,
    private readonly api: Server | null,
    handle: Handler,
  ) {
    this.serve(oauth, 'oauth', handle);
    if (api) this.serve(api, 'api', handle);
  }

  async close(): Promise<void> {
    const servers = this.api ? [this.oauth, this.api] : [this.oauth];
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(closed);
  }

  private serve(target: Server, origin: 'oauth' | 'api', handle: Handler): void {
    target.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    target.on('request', (req, res) => {
      handle(req, res, origin).catch((error: unknown) => {
        if (!res.headersSent) {
          sendJson(res, 500, {
            message: 'Error',
            errors: [{ resource: 'sandbox', field: '', code: String(error) }],
          });
        } else res.destroy();
      });
    });
  }
}

/** Starts the servers of a sandbox: the OAuth origin, and with `apiBase: 'api-v3'` the API origin. */
export async function listenStravaSandbox(
  options: StravaApiSandboxOptions,
): Promise<{ oauth: ListeningServer; api: ListeningServer | null }> {
  const host = options.host ?? '127.0.0.1';
  const oauth = await listenOn(host, options.port ?? 0);
  const api = options.apiBase === 'api-v3' ? await listenOn(host, options.apiPort ?? 0) : null;
  return { oauth, api };
}
