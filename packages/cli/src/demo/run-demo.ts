import {
  consoleLogger,
  type Provider,
  type SyncResult,
  silentLogger,
  type Trainlytics,
} from '@trainlytics/core';
import { migrate } from '@trainlytics/migrations';
import { loopbackDemoAuth } from '../app/auth';
import { startHostServer } from '../app/host-server';
import { ensureUser } from '../app/users';
import { type CliIO, writeLine } from '../cli-io';
import { type OpenedDatabase, openDatabase } from '../database';
import { openTrainlytics } from '../open-trainlytics';
import { createProgressBoard } from '../progress';
import {
  configuredProviderIds,
  KNOWN_PROVIDER_IDS,
  providerName,
  providersFromEnv,
} from '../providers-from-env';
import { createScheduler } from '../scheduler';
import { connectOverHttp } from './connect-over-http';
import { type DemoSandbox, startDemoSandboxes } from './demo-sandboxes';
import { formatSummary, type ProviderSummary, summarizeConnection } from './demo-summary';

/** A sandbox that queues notifications (Garmin's backfill) until asked to deliver them. */
interface FlushingSandbox {
  flushNotifications(options: { url?: string }): Promise<number[]>;
}

export const DEMO_USER_EMAIL = 'demo@trainlytics.dev';

export interface DemoOptions {
  io: CliIO;
  databaseUrl?: string | undefined;
  /** Drive the whole flow and exit (default when stdout is not a terminal). */
  headless: boolean;
  port: number;
  activityCount: number;
  json: boolean;
  /** Resolves when an interactive demo should stop (Ctrl+C). */
  waitForShutdown: () => Promise<void>;
}

export interface DemoReport {
  ok: boolean;
  dashboardUrl: string;
  providers: (ProviderSummary & {
    fullSync: ReturnType<typeof brief>;
    incrementalSync: ReturnType<typeof brief>;
    webhookActivities: number;
  })[];
  /** One timeline: the stored activities, the workouts they are, and those stored by more than one provider. */
  timeline: { activities: number; workouts: number; shared: number; garminUploads: number };
  problems: string[];
}

function brief(result: SyncResult) {
  return {
    status: result.status,
    activitiesCreated: result.activitiesCreated,
    activitiesUpdated: result.activitiesUpdated,
    requests: result.requests,
    errorMessage: result.errorMessage,
  };
}

/** How often `demo --serve` syncs every connection (its scheduler). */
const DEMO_SYNC_INTERVAL_MS = 15 * 60_000;

/**
 * `trainlytics demo`: the embedded (or given) database, migrations, a sandbox per provider without real
 * credentials (seeded with a few hundred varied activities), the host app, and — headless — the whole
 * flow through the app: connect, full sync, an incremental sync that finds nothing new, a webhook that
 * brings one new activity, and a summary. Returns the exit code.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { io } = options;
  const say = (line: string) => {
    if (!options.json) writeLine(io.stdout, line);
  };
  const database = await openDatabase({ databaseUrl: options.databaseUrl, env: io.env, cwd: io.cwd });
  const closers: (() => Promise<unknown>)[] = [() => database.close()];
  try {
    say(`Database: ${database.description}`);
    const migration = await migrate(database.db, { direction: 'up' });
    say(
      migration.steps.length > 0
        ? `Migrations applied: ${migration.steps.map((s) => s.file).join(', ')}`
        : `Migrations: up to date (${migration.current})`,
    );

    const realIds = configuredProviderIds(io.env);
    const sandboxIds = KNOWN_PROVIDER_IDS.filter((id) => !realIds.includes(id));
    const sandboxes = await startDemoSandboxes(sandboxIds, { activityCount: options.activityCount });
    closers.unshift(() => Promise.all(sandboxes.map((s) => s.sandbox.close())));
    for (const s of sandboxes) {
      const uploads = s.fromGarmin
        ? ` (${s.fromGarmin.uploads} of them uploaded by Garmin Connect, ${s.fromGarmin.withoutExternalId} without external_id)`
        : '';
      say(
        `${providerName(s.providerId)} sandbox on ${s.sandbox.baseUrl}: account ${s.providerUserId} with ${await s.sandbox.activityCount(s.providerUserId)} activities${uploads}`,
      );
    }
    for (const id of realIds) say(`${providerName(id)}: real API with the credentials from the environment`);

    const providers: Provider[] = [
      ...sandboxes.map((s) => s.sandbox.createProvider()),
      ...providersFromEnv(io.env, { only: realIds }),
    ];
    const logger = options.headless
      ? silentLogger
      : consoleLogger({ verbose: Boolean(io.env.TRAINLYTICS_DEBUG) });
    const opened = await openTrainlytics({
      env: io.env,
      cwd: io.cwd,
      database,
      providers,
      logger,
      checkEncryption: (warning) => writeLine(io.stderr, warning),
    });
    closers.unshift(() => opened.close());
    const { trainlytics } = opened;

    const user = await resetDemoData(database, sandboxes);
    const server = await startHostServer({
      // the demo listens on 127.0.0.1 only: whoever opens the dashboard there is the admin
      ...loopbackDemoAuth(),
      trainlytics,
      db: database.db,
      port: options.port,
      logger,
      // On a terminal a person connects from the dashboard: start the backfill at once. Headless, the demo
      // runs each sync itself to show and check it.
      syncAfterConnect: !options.headless,
      // whatever the policy says of matching on write (ADR 0024), the dashboard shows the demo user grouped
      dedupeOnView: true,
      // on a terminal the demo syncs every 15 minutes (below): the dashboard shows when
      ...(options.headless ? {} : { syncIntervalMs: DEMO_SYNC_INTERVAL_MS }),
    });
    closers.unshift(() => server.close());
    const dashboardUrl = `${server.baseUrl}/dashboard?user=${user.id}`;

    if (!options.headless) {
      // As the real providers do, the sandboxes deliver to the app's webhook endpoint by themselves: the
      // Garmin sandbox posts a requested backfill there a moment after the request (no program flushes it).
      for (const s of sandboxes) {
        if ('webhookUrl' in s.sandbox) {
          (s.sandbox as { webhookUrl?: string }).webhookUrl = `${server.baseUrl}/webhooks/${s.providerId}`;
        }
      }
      const scheduler = createScheduler({
        trainlytics,
        intervalMs: DEMO_SYNC_INTERVAL_MS,
        rateLimitTracker: opened.rateLimitTracker,
        logger,
      });
      scheduler.start();
      closers.unshift(() => scheduler.stop());
      // listening for Ctrl+C / SIGTERM before showing the dashboard's address (see `serve`)
      const shutdown = options.waitForShutdown();
      say('');
      say(`Dashboard: ${dashboardUrl}`);
      say('Connect the providers there (the sandboxes show a consent page). Press Ctrl+C to stop.');
      await shutdown;
      return 0;
    }

    const report = await driveFlow({
      io,
      trainlytics,
      sandboxes,
      userId: user.id,
      appUrl: server.baseUrl,
      json: options.json,
      say,
    });
    report.dashboardUrl = dashboardUrl;
    if (options.json) {
      writeLine(io.stdout, JSON.stringify(report));
    } else {
      say('');
      say(formatSummary(report.providers));
      say('');
      for (const problem of report.problems) say(`Problem: ${problem}`);
      say(report.ok ? 'Demo finished: every step worked.' : 'Demo finished with problems (see above).');
    }
    return report.ok ? 0 : 1;
  } finally {
    for (const close of closers) await close().catch(() => {});
  }
}

/**
 * The demo owns its user and its sandbox accounts: it starts each run from a clean slate so the summary
 * shows only this run. Deleting the user cascades to its connections, history and activities. The
 * sandboxes regenerate the same deterministic account and activity ids on every start, so the webhook
 * receipts kept for de-duplication from an earlier run (keys naming those sandbox accounts) are dropped too;
 * otherwise this run's webhook would be taken for a redelivery.
 */
async function resetDemoData(database: OpenedDatabase, sandboxes: DemoSandbox[]) {
  await database.db.query('delete from users where email = $1', [DEMO_USER_EMAIL]);
  for (const s of sandboxes) {
    await database.db.query(
      "delete from trainlytics_webhook_events where provider::text = $1 and event_key like '%' || $2 || '%'",
      [s.providerId, s.providerUserId],
    );
  }
  return ensureUser(database.db, { email: DEMO_USER_EMAIL, firstName: 'Demo', lastName: 'Athlete' });
}

async function driveFlow(input: {
  io: CliIO;
  trainlytics: Trainlytics;
  sandboxes: DemoSandbox[];
  userId: number;
  appUrl: string;
  json: boolean;
  say: (line: string) => void;
}): Promise<DemoReport> {
  const { trainlytics, sandboxes, say } = input;
  const problems: string[] = [];
  const report: DemoReport = {
    ok: false,
    dashboardUrl: '',
    providers: [],
    timeline: { activities: 0, workouts: 0, shared: 0, garminUploads: 0 },
    problems,
  };

  // 1. Connect every sandbox account through the app's own routes.
  const connected: { sandbox: DemoSandbox; connectionId: number }[] = [];
  for (const s of sandboxes) {
    try {
      await connectOverHttp({
        appUrl: input.appUrl,
        providerId: s.providerId,
        userId: input.userId,
        sandbox: s.sandbox,
        providerUserId: s.providerUserId,
      });
      const [connection] = await trainlytics.connections.list({
        userId: input.userId,
        provider: s.providerId,
      });
      if (!connection) throw new Error('the callback succeeded but no connection was stored');
      connected.push({ sandbox: s, connectionId: connection.id });
      say(
        `Connected ${providerName(s.providerId)} account ${s.providerUserId} (connection ${connection.id})`,
      );
    } catch (error) {
      problems.push(`connecting ${providerName(s.providerId)} failed: ${(error as Error).message}`);
    }
  }

  // 2. A full sync of each, with progress on a terminal.
  const board = createProgressBoard(input.io, { json: input.json });
  const full = new Map<number, SyncResult>();
  await Promise.all(
    connected.map(async ({ sandbox, connectionId }) => {
      // A pulled backfill has a known size (a bar); an asynchronous one (Garmin) is only requested here.
      const pulled = trainlytics.getProvider(sandbox.providerId).capabilities.backfill === 'pull';
      const total = pulled ? await sandbox.sandbox.activityCount(sandbox.providerUserId) : null;
      const line = board.line(`${sandbox.providerId} ${pulled ? 'full' : 'backfill request'}`, total);
      const result = await trainlytics.sync(connectionId, { full: true, onProgress: (p) => line.update(p) });
      line.finish(result.status);
      full.set(connectionId, result);
    }),
  );
  board.stop();
  for (const { sandbox, connectionId } of connected) {
    const result = full.get(connectionId)!;
    say(`Full sync ${providerName(sandbox.providerId)}: ${describe(result)}`);
    if (result.status !== 'success')
      problems.push(`full sync of ${sandbox.providerId} failed: ${result.errorMessage}`);
    // A provider with an asynchronous backfill (Garmin) answers the request at once and delivers the
    // history later by webhook: the sandbox now sends those notifications to the app's endpoint.
    const flushing = sandbox.sandbox as Partial<FlushingSandbox>;
    if (typeof flushing.flushNotifications === 'function') {
      const before = await trainlytics.store.countActivities({ connectionId });
      const statuses = await flushing.flushNotifications({
        url: `${input.appUrl}/webhooks/${sandbox.providerId}`,
      });
      await trainlytics.webhooks.idle();
      const delivered = (await trainlytics.store.countActivities({ connectionId })) - before;
      say(
        `${providerName(sandbox.providerId)} backfill delivered by ${statuses.length} webhook notification(s): ${delivered} activities`,
      );
      if (statuses.some((status) => status >= 300)) {
        problems.push(
          `the ${sandbox.providerId} backfill notifications were answered ${statuses.join(', ')}`,
        );
      }
    }
  }

  // 3. An incremental sync right after finds nothing new.
  const incremental = new Map<number, SyncResult>();
  for (const { sandbox, connectionId } of connected) {
    const result = await trainlytics.sync(connectionId);
    incremental.set(connectionId, result);
    say(`Incremental sync ${providerName(sandbox.providerId)}: ${describe(result)}`);
    if (result.status !== 'success') {
      problems.push(`incremental sync of ${sandbox.providerId} failed: ${result.errorMessage}`);
    } else if (result.activitiesCreated !== 0) {
      problems.push(
        `incremental sync of ${sandbox.providerId} created ${result.activitiesCreated} activities (expected none)`,
      );
    }
  }

  // 4. A new activity at each provider, announced by a real webhook delivery to the app.
  const webhookActivities = new Map<number, number>();
  for (const { sandbox, connectionId } of connected) {
    const s = sandbox.sandbox;
    const before = await trainlytics.store.countActivities({ connectionId });
    const [activityId] = await s.addActivities(sandbox.providerUserId, 1);
    const request = await s.webhookRequest(
      { type: 'activity.created', providerUserId: sandbox.providerUserId, providerActivityId: activityId! },
      { url: `${input.appUrl}/webhooks/${sandbox.providerId}` },
    );
    if (!request) {
      problems.push(`${sandbox.providerId} sandbox has no activity webhook`);
      continue;
    }
    const response = await fetch(request);
    await trainlytics.webhooks.idle();
    const after = await trainlytics.store.countActivities({ connectionId });
    webhookActivities.set(connectionId, after - before);
    say(
      `Webhook ${providerName(sandbox.providerId)}: answered ${response.status}, ${after - before} new activity`,
    );
    if (!response.ok) problems.push(`the ${sandbox.providerId} webhook was answered ${response.status}`);
    else if (after - before !== 1)
      problems.push(`the ${sandbox.providerId} webhook brought ${after - before} activities (expected 1)`);
  }

  for (const { sandbox, connectionId } of connected) {
    const summary = await summarizeConnection(trainlytics, sandbox.providerId, connectionId);
    if (summary.activities === 0) problems.push(`no ${sandbox.providerId} activities were stored`);
    report.providers.push({
      ...summary,
      fullSync: brief(full.get(connectionId)!),
      incrementalSync: brief(incremental.get(connectionId)!),
      webhookActivities: webhookActivities.get(connectionId) ?? 0,
    });
  }
  // 5. One timeline: the copies Garmin Connect uploaded to Strava are grouped with their Garmin originals.
  report.timeline = await groupTimeline(trainlytics, input.userId, sandboxes);
  const t = report.timeline;
  say(
    `One timeline: ${t.activities} activities are ${t.workouts} workouts; ${t.shared} of them came from two providers (shown once, both named)`,
  );
  if (t.shared < t.garminUploads && connected.length === sandboxes.length) {
    problems.push(
      `${t.garminUploads} Garmin activities were uploaded to Strava but only ${t.shared} workouts were grouped`,
    );
  }
  if (sandboxes.length === 0)
    problems.push('every provider has real credentials: nothing for the headless demo to drive');
  report.ok = problems.length === 0;
  return report;
}

/** Groups the user's copies (`Store.dedupe`) and counts the timeline: activities, workouts, shared workouts. */
async function groupTimeline(trainlytics: Trainlytics, userId: number, sandboxes: DemoSandbox[]) {
  const store = trainlytics.store;
  await store.dedupe?.({ userId });
  const activities = await store.countActivities({ userId });
  const workouts = store.listCanonicalActivities
    ? await store.listCanonicalActivities({ userId, limit: activities + 1 })
    : [];
  return {
    activities,
    workouts: store.listCanonicalActivities ? workouts.length : activities,
    shared: workouts.filter((w) => new Set(w.providers).size > 1).length,
    garminUploads: sandboxes.find((s) => s.fromGarmin)?.fromGarmin?.uploads ?? 0,
  };
}

function describe(result: SyncResult): string {
  const counts = `${result.activitiesCreated} created, ${result.activitiesUpdated} updated, ${result.requests} requests`;
  return result.status === 'success' ? counts : `failed: ${result.errorMessage} (${counts})`;
}
