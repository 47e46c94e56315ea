import {
  type Connection,
  SyncInProgressError,
  type SyncResult,
  type SyncWait,
  type Trainlytics,
} from '@trainlytics/core';
import type { Command } from 'commander';
import { type CliIO, writeLine } from '../cli-io';
import { parseId, parsePositiveInt } from '../format';
import { openTrainlytics } from '../open-trainlytics';
import { createProgressBoard, type ProgressBoard } from '../progress';
import { providerName } from '../providers-from-env';
import { runConcurrently } from '../run-concurrently';
import { describeError, UserError } from '../user-error';
import { type DatabaseFlag, withDatabaseOption } from './shared-options';

interface SyncFlags extends DatabaseFlag {
  full?: boolean;
  json?: boolean;
  all?: boolean;
  concurrency?: string;
}

/**
 * The exit code of a sync the provider's rate limit deferred (EX_TEMPFAIL of sysexits.h): not a failure
 * (1), nothing to fix — run it again at `retryAt`.
 */
export const EXIT_DEFERRED = 75;

/**
 * The one JSON object `sync --json` prints (the contract of the design); `syncId` is null when no sync ran.
 * A `deferred` sync adds `retryAt` (ISO-8601): when the provider accepts requests again and a new run
 * resumes where this one stopped.
 */
export interface SyncJson {
  syncId: number | null;
  status: SyncResult['status'];
  activitiesCreated: number;
  activitiesUpdated: number;
  requests: number;
  errorMessage: string | null;
  retryAt?: string;
}

export function syncJson(result: SyncResult): SyncJson {
  return {
    syncId: result.syncId,
    status: result.status,
    activitiesCreated: result.activitiesCreated,
    activitiesUpdated: result.activitiesUpdated,
    requests: result.requests,
    errorMessage: result.errorMessage,
    ...(result.status === 'deferred' && result.retryAt ? { retryAt: result.retryAt.toISOString() } : {}),
  };
}

/** The object `sync --json` prints when no sync ran (bad input, the database failed): same keys, `failed`. */
export function failedSyncJson(errorMessage: string): SyncJson {
  return {
    syncId: null,
    status: 'failed',
    activitiesCreated: 0,
    activitiesUpdated: 0,
    requests: 0,
    errorMessage,
  };
}

/** An item of `sync --all --json`: which connection (and provider) the result is about. */
export type SyncAllJsonItem = { connectionId: number; provider: string } & SyncJson;

/** 0 for success, `EXIT_DEFERRED` when every non-successful sync was only deferred, else 1. */
function exitCodeOf(results: SyncResult[]): number {
  if (results.every((r) => r.status === 'success')) return 0;
  return results.every((r) => r.status === 'success' || r.status === 'deferred') ? EXIT_DEFERRED : 1;
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
    if (!flags.json) return runSync(connectionId, flags, io, setExitCode);
    // --json promises one object (an array with --all) on stdout whatever happens: an error that ends
    // the command early still prints one, then goes on to its one line on stderr and exit code
    let printed = false;
    const json: CliIO = {
      ...io,
      stdout: {
        write(chunk: string) {
          printed = true;
          return io.stdout.write(chunk);
        },
      },
    };
    try {
      await runSync(connectionId, flags, json, setExitCode);
    } catch (error) {
      if (!printed) {
        const failed = failedSyncJson(describeError(error, {}));
        writeLine(io.stdout, JSON.stringify(flags.all ? [failed] : failed));
      }
      throw error;
    }
  });
}

async function runSync(
  connectionId: string | undefined,
  flags: SyncFlags,
  io: CliIO,
  setExitCode: (code: number) => void,
): Promise<void> {
  if (flags.all && connectionId !== undefined) {
    throw new UserError('Give either a connection id or --all, not both', 2);
  }
  if (!flags.all && connectionId === undefined) {
    throw new UserError(
      'Missing connection id: `trainlytics sync <connection-id>` or `trainlytics sync --all`',
      2,
    );
  }
  const id = connectionId === undefined ? undefined : parseId(connectionId, 'connection id');
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
    command: 'sync',
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
      const result = await syncOne(trainlytics, connection, Boolean(flags.full), board, io);
      board.stop();
      if (flags.json) writeLine(io.stdout, JSON.stringify(syncJson(result)));
      else writeLine(io.stdout, describeResult(connection, result));
      setExitCode(exitCodeOf([result]));
      return;
    }
    const active = (await trainlytics.connections.list({ active: true })).filter(
      (c) => c.status === 'active',
    );
    const runnable = active.filter((c) => trainlytics.providerIds.includes(c.provider));
    const results: SyncAllJsonItem[] = [];
    const item = (c: Connection, json: SyncJson) => ({ connectionId: c.id, provider: c.provider, ...json });
    for (const c of active) {
      if (!runnable.includes(c)) {
        const line = `Skipping connection ${c.id}: ${providerName(c.provider)} credentials are not set`;
        results.push(item(c, failedSyncJson(line)));
        writeLine(io.stderr, line);
      }
    }
    if (runnable.length > 0) warnPlaintext();
    const settled = await runConcurrently(runnable, concurrency, (c) =>
      syncOne(trainlytics, c, Boolean(flags.full), board, io),
    );
    board.stop();
    const finished: SyncResult[] = [];
    let failed = runnable.length < active.length;
    settled.forEach((outcome, index) => {
      const connection = runnable[index]!;
      if (outcome.status === 'fulfilled') {
        results.push(item(connection, syncJson(outcome.value)));
        finished.push(outcome.value);
        if (outcome.value.status !== 'success' && outcome.value.status !== 'deferred') failed = true;
        if (!flags.json) writeLine(io.stdout, describeResult(connection, outcome.value));
      } else {
        failed = true;
        const message = SyncInProgressError.isInstance(outcome.reason)
          ? 'skipped: another sync of it is running'
          : describeError(outcome.reason, io.env);
        const line = `Connection ${connection.id} (${connection.provider}): ${message}`;
        results.push(item(connection, failedSyncJson(line)));
        writeLine(io.stderr, line);
      }
    });
    if (flags.json) writeLine(io.stdout, JSON.stringify(results));
    else if (runnable.length === 0) writeLine(io.stdout, 'No active connections to sync.');
    setExitCode(failed ? 1 : exitCodeOf(finished));
  } finally {
    board.stop();
    await opened.close();
  }
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
  io: CliIO,
): Promise<SyncResult> {
  const line = board.line(`${connection.provider} #${connection.id}`);
  const result = await trainlytics.sync(connection.id, {
    full,
    onProgress: (p) => line.update(p),
    // a sync of this connection runs elsewhere (or was killed and its lease has not expired yet): say so
    onWaiting: (wait) => writeLine(io.stderr, describeWait(wait)),
  });
  line.finish(result.status);
  return result;
}

/** `Waiting for connection 1's sync, held by trainlytics sync (pid 1234 on host) — lease expires in 9 s` */
export function describeWait(wait: SyncWait): string {
  const seconds = Math.ceil(wait.expiresInMs / 1000);
  return `Waiting for connection ${wait.connectionId}'s sync, held by ${wait.holder} — lease expires in ${seconds} s unless renewed`;
}

function describeResult(connection: Connection, result: SyncResult): string {
  const what = `${providerName(connection.provider)} connection ${connection.id}`;
  const counts = `${result.activitiesCreated} created, ${result.activitiesUpdated} updated, ${result.activitiesDeleted} deleted, ${result.requests} requests`;
  if (result.status === 'deferred') {
    if (result.errorName === 'AppSuspendedError') {
      // app-wide: the message carries the fix (the app owner reactivates the app at the provider)
      return `Sync ${result.syncId} of ${what} ${result.errorMessage ?? 'deferred: the provider refuses every call of this app'} (${counts})`;
    }
    return `Sync ${result.syncId} of ${what} deferred by the rate limit: run it again at ${result.retryAt?.toISOString() ?? 'a later time'} to resume (${counts})`;
  }
  return result.status === 'success'
    ? `Synced ${what} (sync ${result.syncId}): ${counts}`
    : `Sync ${result.syncId} of ${what} failed: ${result.errorMessage ?? result.errorName ?? 'unknown error'} (${counts})`;
}
