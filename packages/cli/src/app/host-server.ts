import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { UserError } from '../user-error';
import { createHostApp, type HostAppOptions } from './create-host-app';

export interface HostServer {
  /** The origin the app was configured with (OAuth redirect URIs, webhook URLs). */
  readonly baseUrl: string;
  readonly port: number;
  readonly app: Hono;
  close(): Promise<void>;
}

export interface HostServerOptions extends Omit<HostAppOptions, 'baseUrl'> {
  /** 0 picks a free port. */
  port: number;
  /** Interface to listen on (default 127.0.0.1). */
  hostname?: string;
  /** The public origin when behind a proxy; default `http://<hostname>:<port>`. */
  baseUrl?: string;
}

/** Starts the host app on a real socket and resolves once it listens. */
export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  let app: Hono | undefined;
  const server = serve({
    fetch: (request) => (app ? app.fetch(request) : new Response('Starting', { status: 503 })),
    port: options.port,
    hostname,
  });
  await new Promise<void>((resolve, reject) => {
    if (server.listening) resolve();
    server.once('listening', () => resolve());
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UserError(`Port ${options.port} is already in use: choose another with --port`)
          : error,
      ),
    );
  });
  const port = (server.address() as AddressInfo).port;
  const host = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname;
  const baseUrl = (options.baseUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(
    /\/+$/,
    '',
  );
  app = createHostApp({ ...options, baseUrl });
  return {
    baseUrl,
    port,
    app,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
