import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Connection, SyncInProgressError } from '@trainlytics/core';
import type { Hono } from 'hono';
import { UserError } from '../user-error';
import { createHostApp, type HostAppOptions } from './create-host-app';
import { SyncProgressBoard } from './sync-progress';

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
  /**
   * Start a connection's first sync (a full backfill) in the background as soon as it is connected, so
   * its activities appear without waiting for the scheduler. `close()` waits for these syncs.
   */
  syncAfterConnect?: boolean;
}

/**
 * True for an address only this machine can reach: `localhost`, 127.0.0.0/8, `::1` (and its IPv4-mapped
 * form). `0.0.0.0`, `::` and every other address are reachable from elsewhere.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
  return /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(v4);
}

/**
 * Starts the host app on a real socket and resolves once it listens. With the demo sign-in
 * (`loopbackDemoAuth()`, everybody is admin) it refuses any address but loopback.
 */
export async function startHostServer(options: HostServerOptions): Promise<HostServer> {
  const hostname = options.hostname ?? '127.0.0.1';
  if (options.insecureDemo && !isLoopbackHost(hostname)) {
    throw new UserError(
      `Refusing to serve on ${hostname} without authentication: set TRAINLYTICS_ADMIN_TOKEN (at least 32 characters, e.g. \`openssl rand -hex 32\`) or listen on 127.0.0.1`,
      2,
    );
  }
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
  const background = new Set<Promise<unknown>>();
  // the first sync's pages, shown on the dashboard while it runs
  const syncProgress = options.syncProgress ?? new SyncProgressBoard();
  const onConnected = options.syncAfterConnect
    ? (connection: Connection) => {
        const tracked = syncProgress.track(connection.id);
        const task = options.trainlytics
          // a rate limit defers it (handed to `onSyncDeferred`) instead of holding its lease for a window
          .sync(connection.id, {
            full: true,
            ifLocked: 'skip',
            maxRateLimitWaitMs: options.syncMaxRateLimitWaitMs ?? 2_000,
            onProgress: tracked.onProgress,
          })
          .then((result) => {
            if (result.status === 'deferred' && result.retryAt) {
              options.onSyncDeferred?.({ connectionId: connection.id, retryAt: result.retryAt, full: true });
            }
            if (result.status === 'failed') {
              options.logger?.warn('first sync failed', {
                connectionId: connection.id,
                message: result.errorMessage,
              });
            }
          })
          .catch((error) => {
            if (!SyncInProgressError.isInstance(error)) {
              options.logger?.error('first sync could not run', {
                connectionId: connection.id,
                message: String(error),
              });
            }
          })
          .finally(() => {
            tracked.done();
            background.delete(task);
          });
        background.add(task);
      }
    : options.onConnected;
  app = createHostApp({ ...options, baseUrl, syncProgress, ...(onConnected ? { onConnected } : {}) });
  return {
    baseUrl,
    port,
    app,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await Promise.all([...background]);
    },
  };
}
