import { createConnectFlow } from '../connect/connect-flow';
import { checkEncryption } from '../crypto/plaintext-guard';
import { createTokenCipher } from '../crypto/token-cipher';
import { ConfigurationError } from '../errors/errors';
import { randomToken } from '../provider-utils/oauth';
import { createMemoryRateLimitTracker } from '../provider-utils/rate-limit-tracker';
import { systemClock } from '../runtime/clock';
import { silentLogger } from '../runtime/logger';
import { runSync } from '../sync/sync-engine';
import { reencryptAllTokens } from '../tokens/reencrypt-all';
import { createWebhookHandler } from '../webhooks/webhook-handler';
import { createProviderRegistry, lookupProvider } from './provider-registry';
import { toPublicConnection } from './public-connection';
import type { Runtime } from './runtime';
import type { Trainlytics, TrainlyticsOptions } from './types';

/**
 * Builds a Trainlytics instance from a store and a list of provider plugins. Checks the configuration at
 * once (plugins, encryption key), so mistakes surface at startup rather than in the middle of a sync.
 */
export function createTrainlytics(options: TrainlyticsOptions): Trainlytics {
  const rt = createRuntime(options);
  const connect = createConnectFlow(rt);
  const webhooks = createWebhookHandler(rt, options.webhookProcessing ?? 'background', options.enqueueSync);

  return {
    store: rt.store,
    providerIds: [...rt.providers.keys()],
    getProvider: rt.getProvider,
    connect: { start: connect.start, finish: connect.finish },
    disconnect: connect.disconnect,
    sync: (connectionId, syncOptions) => runSync(rt, connectionId, syncOptions),
    connections: {
      async get(id) {
        const record = await rt.store.getConnection(id);
        return record ? toPublicConnection(record) : null;
      },
      async list(filter) {
        return (await rt.store.listConnections(filter)).map(toPublicConnection);
      },
    },
    history: { list: (filter) => rt.store.listSyncHistory(filter) },
    activities: { list: (query) => rt.store.listActivities(query) },
    webhooks: { handle: webhooks.handle, idle: webhooks.idle },
    tokens: { reencryptAll: () => reencryptAllTokens(rt) },
    checkEncryption: () => checkEncryption(rt),
    async close() {
      await webhooks.idle();
      await rt.store.close();
    },
  };
}

/** Checks the options and builds the state every part shares. Internal (tests build two "processes" with it). */
export function createRuntime(options: TrainlyticsOptions): Runtime {
  if (!options || typeof options !== 'object' || !options.store) {
    throw new ConfigurationError('createTrainlytics needs a `store`', {
      hint: "e.g. store: postgresStore({ connectionString: process.env.DATABASE_URL }) from '@trainlytics/core/postgres'",
    });
  }
  const providers = createProviderRegistry(options.providers);
  const stateTtlMs = options.stateTtlMs ?? 10 * 60_000;
  if (!(stateTtlMs > 0)) throw new ConfigurationError('stateTtlMs must be a positive number of milliseconds');

  const rt: Runtime = {
    store: options.store,
    providers,
    getProvider: (id) => lookupProvider(providers, id),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    fetch: options.fetch,
    cipher: createTokenCipher(options.encryptionKey),
    rateLimitTracker: options.rateLimitTracker ?? createMemoryRateLimitTracker(),
    http: options.http ?? {},
    stateTtlMs,
    leaseTtlMs: 5 * 60_000,
    leasePollMs: 250,
    instanceId: randomToken(6),
    locks: new Map(),
  };
  return rt;
}
