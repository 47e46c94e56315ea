import { hostname } from 'node:os';
import {
  type Clock,
  createMemoryRateLimitTracker,
  createTrainlytics,
  type FetchFunction,
  type Logger,
  type Provider,
  type RateLimitTracker,
  type StreamsPolicy,
  silentLogger,
  type Trainlytics,
} from '@trainlytics/core';
import { assertMigrated, type DatabaseOptions, type OpenedDatabase, openDatabase } from './database';
import { checkTokenEncryption } from './encryption-check';
import { providersFromEnv } from './providers-from-env';
import { storeFromDatabase } from './store-from-database';

export interface OpenTrainlyticsOptions extends DatabaseOptions {
  /** The plugins; default: every provider with credentials in `env`. */
  providers?: Provider[];
  /** Only these providers (each must have credentials). */
  only?: string[];
  logger?: Logger;
  clock?: Clock;
  fetch?: FetchFunction;
  /** An already opened database (the demo and tests share theirs). */
  database?: OpenedDatabase;
  webhookProcessing?: 'background' | 'inline';
  /** With a job queue: webhooks enqueue syncs through this instead of fetching in this process. */
  enqueueSync?: (connectionId: number) => Promise<void>;
  /** The app-wide rate-limit state (default: in memory, for one process). */
  rateLimitTracker?: (database: OpenedDatabase) => RateLimitTracker;
  /** The command, to name this process in the leases it holds (`sync` → `trainlytics sync (pid 1234 on host)`). */
  command?: string;
  /**
   * For commands that write tokens: check the encryption configuration against the database first
   * (refuse when encrypted tokens exist and no key is set) and pass the plaintext warning to this.
   */
  checkEncryption?: (warning: string) => void;
  /** The background streams backfill policy (`--streams-*` flags; ADR 0032). */
  streams?: StreamsPolicy;
}

/** How a command names its process in the leases it holds: `trainlytics sync (pid 1234 on host)`. */
export function leaseHolderName(command: string): string {
  return `trainlytics ${command} (pid ${process.pid} on ${hostname()})`;
}

export interface OpenedTrainlytics {
  trainlytics: Trainlytics;
  database: OpenedDatabase;
  rateLimitTracker: RateLimitTracker;
  close(): Promise<void>;
}

/**
 * Opens the database, checks the schema is migrated and builds the `Trainlytics` instance the commands and
 * the host app use: the store over that database, the providers from the environment, and
 * `TRAINLYTICS_ENCRYPTION_KEY`.
 */
export async function openTrainlytics(options: OpenTrainlyticsOptions): Promise<OpenedTrainlytics> {
  const providers =
    options.providers ?? providersFromEnv(options.env, { only: options.only, fetch: options.fetch });
  const ownsDatabase = !options.database;
  const database = options.database ?? (await openDatabase(options));
  try {
    await assertMigrated(database);
    const rateLimitTracker = options.rateLimitTracker?.(database) ?? createMemoryRateLimitTracker();
    const trainlytics = createTrainlytics({
      store: storeFromDatabase(database),
      providers,
      encryptionKey: options.env.TRAINLYTICS_ENCRYPTION_KEY || undefined,
      logger: options.logger ?? silentLogger,
      rateLimitTracker,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.webhookProcessing ? { webhookProcessing: options.webhookProcessing } : {}),
      ...(options.enqueueSync ? { enqueueSync: options.enqueueSync } : {}),
      ...(options.streams ? { streams: options.streams } : {}),
      ...(options.command ? { lease: { holderName: leaseHolderName(options.command) } } : {}),
    });
    if (options.checkEncryption) await checkTokenEncryption(trainlytics, options.checkEncryption);
    return {
      trainlytics,
      database,
      rateLimitTracker,
      async close() {
        await trainlytics.close();
        if (ownsDatabase) await database.close();
      },
    };
  } catch (error) {
    if (ownsDatabase) await database.close().catch(() => {});
    throw error;
  }
}
