import net from 'node:net';

/**
 * A TCP proxy that adds network latency: every chunk read from one side is written to the other side
 * `rttMs / 2` later, in each direction, so a request/response exchange through it takes at least the
 * configured round-trip time more than it would directly. Used by the benchmark to put PostgreSQL "over a
 * network" (`rttMs` 0 forwards without delay). Bandwidth is not limited and order is kept: chunks leave in
 * the order they arrived, each no earlier than its arrival + the one-way delay (measured with the monotonic
 * `performance.now()`, so a timer that fires a little early is re-armed instead of releasing the chunk too
 * soon).
 *
 * Contract: bytes are forwarded unchanged and in order; a side that ends (FIN) ends the other side after its
 * queued chunks; a side that fails destroys both. Backpressure: reading pauses while the destination's
 * buffer is full.
 */
export interface LatencyProxyOptions {
  /** Where connections are forwarded to. */
  target: { host: string; port: number };
  /** The round-trip time to add, in ms (half of it each way). */
  rttMs: number;
}

export interface LatencyProxy {
  host: string;
  port: number;
  /** Chunks and bytes forwarded so far, client → target (`up`) and target → client (`down`). */
  readonly stats: { upChunks: number; upBytes: number; downChunks: number; downBytes: number };
  /** Stops listening and destroys the open connections. */
  close(): Promise<void>;
}

export async function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  if (!Number.isFinite(options.rttMs) || options.rttMs < 0) {
    throw new RangeError(`The round-trip time must be a non-negative number of ms, got ${options.rttMs}`);
  }
  const now = () => performance.now();
  const oneWayMs = options.rttMs / 2;
  const stats = { upChunks: 0, upBytes: 0, downChunks: 0, downBytes: 0 };
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    const upstream = net.connect(options.target);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    forward(client, upstream, 'up');
    forward(upstream, client, 'down');
  });

  function forward(from: net.Socket, to: net.Socket, direction: 'up' | 'down'): void {
    const queue: Array<{ due: number; chunk: Buffer | null }> = [];
    let timer: NodeJS.Timeout | null = null;
    let paused = false;

    const deliver = (chunk: Buffer | null) => {
      if (to.destroyed) return;
      if (chunk === null) {
        to.end();
        return;
      }
      if (direction === 'up') {
        stats.upChunks++;
        stats.upBytes += chunk.length;
      } else {
        stats.downChunks++;
        stats.downBytes += chunk.length;
      }
      if (!to.write(chunk) && !paused) {
        paused = true;
        from.pause();
        to.once('drain', () => {
          paused = false;
          from.resume();
        });
      }
    };
    const flush = () => {
      timer = null;
      const t = now();
      while (queue.length > 0 && queue[0]!.due <= t) deliver(queue.shift()!.chunk);
      arm();
    };
    const arm = () => {
      if (timer !== null || queue.length === 0) return;
      timer = setTimeout(flush, Math.max(0, Math.ceil(queue[0]!.due - now())));
    };
    const push = (chunk: Buffer | null) => {
      if (oneWayMs === 0 && queue.length === 0) deliver(chunk);
      else {
        queue.push({ due: now() + oneWayMs, chunk });
        arm();
      }
    };

    from.on('data', (chunk: Buffer) => push(chunk));
    from.on('end', () => push(null));
    to.on('close', () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      queue.length = 0;
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
