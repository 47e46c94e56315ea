// A separate process that syncs one Strava connection into real PostgreSQL, for the SIGKILL and the
// refresh-race tests. Input by environment: DATABASE_URL, CONNECTION_ID, STRAVA_OPTIONS (the plugin
// options pointing at the parent's sandbox, JSON), FULL=1 for a full sync. Output on stdout, one JSON
// object a line: {"progress": …} per committed page, then {"result": …}.
import { createTrainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import { strava } from '@trainlytics/provider-strava';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const store = postgresStore({ connectionString: required('DATABASE_URL'), max: 2 });
  const trainlytics = createTrainlytics({
    store,
    providers: [strava(JSON.parse(required('STRAVA_OPTIONS')))],
    http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 5_000 },
  });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const result = await trainlytics.sync(Number(required('CONNECTION_ID')), {
    full: process.env.FULL === '1',
    onProgress: (progress) => process.stdout.write(`${JSON.stringify({ progress })}\n`),
  });
  process.stdout.write(`${JSON.stringify({ result })}\n`);
  await trainlytics.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
