import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * The sandbox's HTTP server: listens on `host:port` (port 0: a free one), answers a handler's unexpected
 * error with a 500, and on close destroys every open socket (hung requests included).
 */
export class HttpListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private listening: Promise<string> | null = null;

  constructor(
    handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    onError: (res: ServerResponse, error: unknown) => void,
    private readonly address: { port: number; host: string },
  ) {
    this.server = createServer((req, res) => {
      handler(req, res).catch((error) => {
        if (!res.headersSent) onError(res, error);
        else res.destroy();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening and resolves with the origin; a second call (even a concurrent one) shares the first. */
  listen(): Promise<string> {
    this.listening ??= this.start().catch((error: unknown) => {
      this.listening = null;
      throw error;
    });
    return this.listening;
  }

  private async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.address.port, this.address.host, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    return `http://${this.address.host}:${port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.listening = null;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
