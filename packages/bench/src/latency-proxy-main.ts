import { startLatencyProxy } from './latency-proxy';

/**
 * `latency-proxy-main.ts <targetHost> <targetPort> <rttMs>`: the latency proxy in a process of its own (so
 * its timers and copies do not share the measured app's event loop, as a real network would not). Prints
 * `LISTENING <port>` once it accepts connections; stops on SIGTERM or when its stdin closes.
 */
const [host, port, rtt] = process.argv.slice(2);
const proxy = await startLatencyProxy({
  target: { host: host ?? '127.0.0.1', port: Number(port) },
  rttMs: Number(rtt),
});
const stop = () => {
  proxy.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
process.stdout.write(`LISTENING ${proxy.port}\n`);
