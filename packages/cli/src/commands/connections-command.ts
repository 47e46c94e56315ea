import type { Connection } from '@trainlytics/core';
import type { Command } from 'commander';
import { type CliIO, writeLine } from '../cli-io';
import { formatInstant, formatTable, parseId } from '../format';
import { openTrainlytics } from '../open-trainlytics';
import { providerNotices } from '../provider-notices';
import { assertKnownProvider, KNOWN_PROVIDER_IDS } from '../providers-from-env';
import { type DatabaseFlag, withDatabaseOption } from './shared-options';

interface ListFlags extends DatabaseFlag {
  user?: string;
  provider?: string;
  json?: boolean;
}

/** `trainlytics connections list [--user ID] [--provider P] [--json]`. */
export function registerConnectionsCommand(program: Command, io: CliIO): void {
  const connections = program.command('connections').description('inspect provider connections');
  withDatabaseOption(
    connections
      .command('list')
      .description('list provider connections (never their tokens)')
      .option('--user <id>', 'only this user’s connections')
      .option('--provider <id>', `only this provider (${KNOWN_PROVIDER_IDS.join(', ')})`)
      .option('--json', 'print a JSON array'),
  ).action(async (flags: ListFlags) => {
    const userId = flags.user === undefined ? undefined : parseId(flags.user, '--user');
    if (flags.provider) assertKnownProvider(flags.provider);
    // Listing needs no provider credentials: the plugins are only used to sync.
    const opened = await openTrainlytics({ ...flags, env: io.env, cwd: io.cwd, providers: [] });
    try {
      const list = await opened.trainlytics.connections.list({
        ...(userId !== undefined ? { userId } : {}),
        ...(flags.provider ? { provider: flags.provider } : {}),
      });
      if (flags.json) writeLine(io.stdout, JSON.stringify(list.map(connectionJson)));
      else {
        // a provider-wide condition (Strava app Inactive) once above the table, not on every row
        const notices = (await providerNotices(opened.trainlytics)).filter(
          (n) => !flags.provider || n.provider === flags.provider,
        );
        for (const notice of notices) writeLine(io.stdout, `! ${notice.message}`);
        writeLine(io.stdout, connectionsTable(list));
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

function connectionsTable(list: Connection[]): string {
  if (list.length === 0) return 'No connections.';
  const table = formatTable(
    ['id', 'user', 'provider', 'account', 'status', 'last sync', 'last error'],
    list.map((c) => [
      String(c.id),
      String(c.userId),
      c.provider,
      c.providerUserId,
      c.status,
      formatInstant(c.lastSyncAt),
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
