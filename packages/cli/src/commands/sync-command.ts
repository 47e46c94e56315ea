import { type Connection, SyncInProgressError, type SyncResult, type Trainlytics } from '@trainlytics/core';
import type { Command } from 'commander';
import { type CliIO, writeLine } from '../cli-io';
import { parsePositiveInt } from '../format';
import { openTrainlytics } from '../open-trainlytics';
import { createProgressBoard, type ProgressBoard } from '../progress';
import { providerName } from '../providers-from-env';
import { runConcurrently } from '../run-concurrently';
import { UserError } from '../user-error';
import { type DatabaseFlag, withDatabaseOption } from './shared-options';

interface SyncFlags extends DatabaseFlag {
  full?: boolean;
  json?: boolean;
  all?: boolean;
  concurrency?: string;
}

/** The one JSON object `sync --json` prints (the contract of the design). */
export function syncJson(result: SyncResult) {
  return {
    syncId: result.syncId,
    status: result.status,
    activitiesCreated: result.activitiesCreated,
    activitiesUpdated: result.activitiesUpdated,
    requests: result.requests,
    errorMessage: result.errorMessage,
  };
}

/** `trainlytics sync <connection-id> [--full] [--json]` and `trainlytics sync --all [--concurrency N]`. */
export function registerSyncCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  withDatabaseOption(
    program
      .command('sync')
      .description('sync a connection’s activities now (incremental unless --full)')
      .argument('[connection-id]', 'the connection to sync (see `trainlytics connections list`)')
      .option('--full', 'a full backfill instead of an incremental sync')
      .option('--all', 'sync every active connection')
      .option('--concurrency <n>', 'with --all: how many connections sync at once', '4')
      .option('--json', 'print one JSON object (an array with --all)'),
  ).action(async (connectionId: string | undefined, flags: SyncFlags) => {
    if (flags.all && connectionId !== undefined) {
      throw new UserError('Give either a connection id or --all, not both');
    }
    if (!flags.all && connectionId === undefined) {
      throw new UserError(
        'Missing connection id: `trainlytics sync <connection-id>` or `trainlytics sync --all`',
      );
    }
    const id = connectionId === undefined ? undefined : parsePositiveInt(connectionId, 'connection id');
    const concurrency = parsePositiveInt(flags.concurrency ?? '4', '--concurrency');
    // the plaintext warning is printed once a sync really starts: a refused input stays one line
    let plaintextWarning: string | null = null;
    const warnPlaintext = () => {
      if (plaintextWarning) writeLine(io.stderr, plaintextWarning);
      plaintextWarning = null;
    };
    const opened = await openTrainlytics({
      ...flags,
      env: io.env,
      cwd: io.cwd,
      checkEncryption: (warning) => {
        plaintextWarning = warning;
      },
    });
    const board = createProgressBoard(io, { json: flags.json });
    try {
      const { trainlytics } = opened;
      if (id !== undefined) {
        const connection = await findConnection(trainlytics, id);
        warnPlaintext();
        const result = await syncOne(trainlytics, connection, Boolean(flags.full), board);
        board.stop();
        if (flags.json) writeLine(io.stdout, JSON.stringify(syncJson(result)));
        else writeLine(io.stdout, describeResult(connection, result));
        setExitCode(result.status === 'success' ? 0 : 1);
        return;
      }
      const active = (await trainlytics.connections.list({ active: true })).filter(
        (c) => c.status === 'active',
      );
      const runnable = active.filter((c) => trainlytics.providerIds.includes(c.provider));
      for (const c of active) {
        if (!runnable.includes(c)) {
          writeLine(
            io.stderr,
            `Skipping connection ${c.id}: ${providerName(c.provider)} credentials are not set`,
          );
        }
      }
      if (runnable.length > 0) warnPlaintext();
      const settled = await runConcurrently(runnable, concurrency, (c) =>
        syncOne(trainlytics, c, Boolean(flags.full), board),
      );
      board.stop();
      const results: SyncResult[] = [];
      let failed = runnable.length < active.length;
      settled.forEach((outcome, index) => {
        const connection = runnable[index]!;
        if (outcome.status === 'fulfilled') {
          results.push(outcome.value);
          if (outcome.value.status !== 'success') failed = true;
          if (!flags.json) writeLine(io.stdout, describeResult(connection, outcome.value));
        } else {
          failed = true;
          const message = SyncInProgressError.isInstance(outcome.reason)
            ? 'skipped: another sync of it is running'
            : (outcome.reason as Error).message;
          writeLine(io.stderr, `Connection ${connection.id} (${connection.provider}): ${message}`);
        }
      });
      if (flags.json) writeLine(io.stdout, JSON.stringify(results.map(syncJson)));
      else if (runnable.length === 0) writeLine(io.stdout, 'No active connections to sync.');
      setExitCode(failed ? 1 : 0);
    } finally {
      board.stop();
      await opened.close();
    }
  });
}

async function findConnection(trainlytics: Trainlytics, id: number): Promise<Connection> {
  const connection = await trainlytics.connections.get(id);
  if (!connection) {
    throw new UserError(`Unknown connection id ${id}: see \`trainlytics connections list\``);
  }
  if (!trainlytics.providerIds.includes(connection.provider)) {
    const prefix = connection.provider.toUpperCase();
    throw new UserError(
      `Missing ${providerName(connection.provider)} credentials to sync connection ${id}: set ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET`,
    );
  }
  if (connection.status === 'inactive') {
    throw new UserError(
      `Connection ${id} is disconnected: the user must connect ${providerName(connection.provider)} again`,
    );
  }
  return connection;
}

async function syncOne(
  trainlytics: Trainlytics,
  connection: Connection,
  full: boolean,
  board: ProgressBoard,
): Promise<SyncResult> {
  const line = board.line(`${connection.provider} #${connection.id}`);
  const result = await trainlytics.sync(connection.id, { full, onProgress: (p) => line.update(p) });
  line.finish(result.status);
  return result;
}

function describeResult(connection: Connection, result: SyncResult): string {
  const what = `${providerName(connection.provider)} connection ${connection.id}`;
  const counts = `${result.activitiesCreated} created, ${result.activitiesUpdated} updated, ${result.activitiesDeleted} deleted, ${result.requests} requests`;
  return result.status === 'success'
    ? `Synced ${what} (sync ${result.syncId}): ${counts}`
    : `Sync ${result.syncId} of ${what} failed: ${result.errorMessage ?? result.errorName ?? 'unknown error'} (${counts})`;
}
