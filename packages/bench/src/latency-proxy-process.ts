import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ProxyProcess {
  host: string;
  port: number;
  /** Stops the proxy process (its open connections close with it). */
  close(): Promise<void>;
}

/**
 * Starts the latency proxy (`latency-proxy.ts`) in a child process, listening on 127.0.0.1 and forwarding
 * to `target` with `rttMs` added to every round trip. The child ends with its parent (its stdin closes).
 */
export function spawnLatencyProxy(
  target: { host: string; port: number },
  rttMs: number,
): Promise<ProxyProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(here, 'latency-proxy-main.ts'),
      target.host,
      String(target.port),
      String(rttMs),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], cwd: path.resolve(here, '..') },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)\n/.exec(out);
      if (!match) return;
      child.stdout!.off('data', onData);
      child.off('exit', onEarlyExit);
      resolve({
        host: '127.0.0.1',
        port: Number(match[1]),
        async close() {
          child.kill('SIGTERM');
          await exited;
        },
      });
    };
    const onEarlyExit = (code: number | null) =>
      reject(new Error(`The latency proxy process exited (${code}) before listening`));
    child.stdout!.on('data', onData);
    child.once('exit', onEarlyExit);
  });
}
