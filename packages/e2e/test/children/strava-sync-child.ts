// A separate process that works on one Strava connection in real PostgreSQL, for the SIGKILL and the
// refresh-race tests. Input by environment: DATABASE_URL, CONNECTION_ID, STRAVA_OPTIONS (the plugin
// options pointing at the parent's sandbox, JSON), FULL=1 for a full sync; OPERATION=webhook instead
// handles the Strava delivery in WEBHOOK ({"url","headers","body"}, JSON) and waits for its processing.
// Output on stdout, one JSON object a line: {"progress": …} per committed page, {"waiting": ms} each time
// the process sleeps (a lease held by another process), then {"result": …}.
import { type Clock, createTrainlytics, systemClock } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { strava } from '@trainlytics/provider-strava';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** The system clock, telling the parent whenever this process waits. */
const reportingClock: Clock = {
  now: () => systemClock.now(),
  sleep: (ms, signal) => {
    send({ waiting: ms });
    return systemClock.sleep(ms, signal);
  },
};

async function main(): Promise<void> {
  const store = postgresStore({ connectionString: required('DATABASE_URL'), max: 2 });
  const trainlytics = createTrainlytics({
    store,
    providers: [strava(JSON.parse(required('STRAVA_OPTIONS')))],
    clock: reportingClock,
    http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 5_000 },
  });
  send({ ready: true });
  const connectionId = Number(required('CONNECTION_ID'));
  if (process.env.OPERATION === 'webhook') {
    const delivery = JSON.parse(required('WEBHOOK')) as {
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    const response = await trainlytics.webhooks.handle(
      'strava',
      new Request(delivery.url, { method: 'POST', headers: delivery.headers, body: delivery.body }),
    );
    await trainlytics.webhooks.idle();
    const connection = await trainlytics.connections.get(connectionId);
    send({ result: { status: String(response.status), connectionStatus: connection?.status ?? null } });
  } else {
    const result = await trainlytics.sync(connectionId, {
      full: process.env.FULL === '1',
      onProgress: (progress) => send({ progress }),
    });
    send({ result });
  }
  await trainlytics.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
