import type { Connection, StreamsBacklogPlan, Trainlytics } from '@trainlytics/core';
import type { Command } from 'commander';
import { type CliIO, writeLine } from '../cli-io';
import { describeStreamsPlan, formatInstant, formatTable, parseId } from '../format';
import { openTrainlytics } from '../open-trainlytics';
import { providerNotices } from '../provider-notices';
import { assertKnownProvider, declaredProviders, KNOWN_PROVIDER_IDS } from '../providers-from-env';
import { type DatabaseFlag, withDatabaseOption } from './shared-options';
import { type StreamsFlags, streamsPolicyFromFlags, withStreamsOptions } from './streams-options';

interface ListFlags extends DatabaseFlag, StreamsFlags {
  user?: string;
  provider?: string;
  json?: boolean;
}

/** `trainlytics connections list [--user ID] [--provider P] [--json]`. */
export function registerConnectionsCommand(program: Command, io: CliIO): void {
  const connections = program.command('connections').description('inspect provider connections');
  const list = withDatabaseOption(
    connections
      .command('list')
      .description('list provider connections (never their tokens) and their activity detail backlog')
      .option('--user <id>', 'only this user’s connections')
      .option('--provider <id>', `only this provider (${KNOWN_PROVIDER_IDS.join(', ')})`)
      .option('--json', 'print a JSON array'),
  );
  withStreamsOptions(list, { withSwitch: false }).action(async (flags: ListFlags) => {
    const userId = flags.user === undefined ? undefined : parseId(flags.user, '--user');
    if (flags.provider) assertKnownProvider(flags.provider);
    const streams = streamsPolicyFromFlags(flags);
    // Listing needs no provider credentials: the plugins only declare their streams cost and rate limits.
    const opened = await openTrainlytics({
      ...flags,
      env: io.env,
      cwd: io.cwd,
      providers: declaredProviders(io.env),
      streams,
    });
    try {
      const list = await opened.trainlytics.connections.list({
        ...(userId !== undefined ? { userId } : {}),
        ...(flags.provider ? { provider: flags.provider } : {}),
      });
      const plans = await streamsPlans(opened.trainlytics, list);
      if (flags.json)
        writeLine(
          io.stdout,
          JSON.stringify(
            list.map((c) => ({ ...connectionJson(c), streamsBacklog: planJson(plans.get(c.id)) })),
          ),
        );
      else {
        // a provider-wide condition (Strava app Inactive) once above the table, not on every row
        const notices = (await providerNotices(opened.trainlytics)).filter(
          (n) => !flags.provider || n.provider === flags.provider,
        );
        for (const notice of notices) writeLine(io.stdout, `! ${notice.message}`);
        writeLine(io.stdout, connectionsTable(list, plans));
      }
    } finally {
      await opened.close();
    }
  });
}

export function connectionJson(c: Connection) {
  return {
    id: c.id,
    userId: c.userId,
    provider: c.provider,
    providerUserId: c.providerUserId,
    status: c.status,
    scopes: c.scopes,
    name: [c.profile.firstName, c.profile.lastName].filter(Boolean).join(' ') || null,
    lastSyncAt: c.lastSyncAt?.toISOString() ?? null,
    lastError: c.lastError,
    createdAt: c.createdAt.toISOString(),
  };
}

/** Each connection's streams backfill plan (none for an inactive connection or a provider without streams). */
export async function streamsPlans(
  trainlytics: Trainlytics,
  list: Connection[],
): Promise<Map<number, StreamsBacklogPlan | null>> {
  const plans = new Map<number, StreamsBacklogPlan | null>();
  for (const c of list) {
    const known = trainlytics.providerIds.includes(c.provider);
    plans.set(c.id, known && c.status !== 'inactive' ? await trainlytics.streams.plan(c.id) : null);
  }
  return plans;
}

/** `streamsBacklog` of `connections list --json`: null when the provider has no activity detail. */
export function planJson(plan: StreamsBacklogPlan | null | undefined) {
  if (!plan) return null;
  return {
    remaining: plan.remaining,
    requests: plan.requests,
    requestsPerDay: plan.requestsPerDay,
    estimatedMs: plan.estimatedMs,
  };
}

function connectionsTable(list: Connection[], plans: Map<number, StreamsBacklogPlan | null>): string {
  if (list.length === 0) return 'No connections.';
  const table = formatTable(
    ['id', 'user', 'provider', 'account', 'status', 'last sync', 'detail backlog', 'last error'],
    list.map((c) => [
      String(c.id),
      String(c.userId),
      c.provider,
      c.providerUserId,
      c.status,
      formatInstant(c.lastSyncAt),
      describeStreamsPlan(plans.get(c.id)),
      c.lastError ?? '',
    ]),
    { alignRight: [0, 1] },
  );
  // a connection only the user can repair says how: their Reconnect (dashboard) or the connect route
  const reconnect = list
    .filter((c) => c.status === 'reauth_required')
    .map(
      (c) =>
        `Connection ${c.id} (${c.provider}) needs re-authorization: user ${c.userId} must reconnect (dashboard "Reconnect", or GET /connect/${c.provider}?user=${c.userId} on the host app)`,
    );
  return [table, ...(reconnect.length > 0 ? ['', ...reconnect] : [])].join('\n');
}
