import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from './sandbox-http';

/**
 * Serves `handler` on `host:port` (port 0: a free one); resolves with the server and its origin. A handler
 * that throws answers 500 (when nothing was sent yet) instead of leaving the request hanging.
 */
export async function listenHttp(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  address: { port: number; host: string },
): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { errorMessage: `sandbox error: ${String(error)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  return { server, origin: `http://${bound.address}:${bound.port}` };
}

/** Closes the server, open connections included (a hung request does not keep it open). */
export async function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
