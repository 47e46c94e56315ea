// RSS of a host app under the issue 18 A5 load: eight concurrent 50 MB unauthenticated posts to
// /webhooks/garmin, then eight posts carrying the (public) client id, streamed from one reused buffer.
// `node --expose-gc --import tsx --conditions=@trainlytics/source src/webhook-memory.ts` (from packages/bench).
// The deterministic proof is packages/cli/test/webhook-memory.test.ts; this prints a figure.
import { request as httpRequest } from 'node:http';
import {
  loopbackDemoAuth,
  openDatabase,
  openTrainlytics,
  providersFromEnv,
  startHostServer,
} from '@trainlytics/cli';
import { migrate } from '@trainlytics/migrations';

const POSTS = 8;
const BODY_BYTES = 50 * 1000 * 1000;
const env = { GARMIN_CLIENT_ID: 'bench-garmin', GARMIN_CLIENT_SECRET: 'bench-secret' };

function post(url: URL, headers: Record<string, string>): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    let sent = 0;
    const write = () => {
      while (!answered && sent < BODY_BYTES) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', write);
      }
      if (!answered) req.end();
    };
    write();
  });
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;

const database = await openDatabase({ env: {}, cwd: process.cwd(), memory: true });
await migrate(database.db, { direction: 'up' });
const opened = await openTrainlytics({
  env: {},
  cwd: process.cwd(),
  database,
  providers: providersFromEnv(env),
});
const server = await startHostServer({
  ...loopbackDemoAuth(),
  trainlytics: opened.trainlytics,
  db: database.db,
  port: 0,
});
const url = new URL('/webhooks/garmin', server.baseUrl);

gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);
for (const [label, headers] of [
  ['unauthenticated (no garmin-client-id)', {}],
  ['with the public client id', { 'garmin-client-id': env.GARMIN_CLIENT_ID }],
] as const) {
  peak = process.memoryUsage().rss;
  const statuses = await Promise.all(Array.from({ length: POSTS }, () => post(url, headers)));
  const figures = opened.trainlytics.webhooks.bodyBytes();
  console.log(
    `${POSTS} x 50 MB ${label}: statuses ${[...new Set(statuses)].join(',')}; RSS baseline ${mb(baseline)}, peak ${mb(peak)}; body bytes read ${mb(figures.read)}, peak held ${mb(figures.peak)} (budget ${mb(figures.limit)})`,
  );
}
clearInterval(sampler);
await server.close();
await opened.close();
await database.close();
