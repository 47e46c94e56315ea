import { createConnectFlow } from '../connect/connect-flow';
import { checkEncryption } from '../crypto/plaintext-guard';
import { createTokenCipher } from '../crypto/token-cipher';
import { ConfigurationError } from '../errors/errors';
import { randomToken } from '../provider-utils/oauth';
import { createMemoryRateLimitTracker } from '../provider-utils/rate-limit-tracker';
import { systemClock } from '../runtime/clock';
import { silentLogger } from '../runtime/logger';
import { activityDetail } from '../streams/activity-detail';
import { planStreamsBacklog, runStreamsBacklog } from '../streams/streams-backlog';
import { createStreamsRunner, DEFAULT_STREAMS_RESERVE, streamsFilter } from '../streams/streams-tick';
import { runSync } from '../sync/sync-engine';
import { reencryptAllTokens } from '../tokens/reencrypt-all';
import {
  createBodyBudget,
  DEFAULT_WEBHOOK_BODY_BUDGET_BYTES,
  DEFAULT_WEBHOOK_MAX_BODY_BYTES,
} from '../webhooks/body-budget';
import { createWebhookHandler } from '../webhooks/webhook-handler';
import { defaultHolderName } from './lease';
import { createProviderContext } from './provider-http';
import { createProviderRegistry, lookupProvider } from './provider-registry';
import { toPublicConnection } from './public-connection';
import type { Runtime } from './runtime';
import type { Trainlytics, TrainlyticsOptions } from './types';

/** How long a lease lives without its heartbeat (renewed every third of it). */
export const DEFAULT_LEASE_TTL_MS = 15_000;

/**
 * Builds a Trainlytics instance from a store and a list of provider plugins. Checks the configuration at
 * once (plugins, encryption key), so mistakes surface at startup rather than in the middle of a sync.
 */
export function createTrainlytics(options: TrainlyticsOptions): Trainlytics {
  const rt = createRuntime(options);
  const connect = createConnectFlow(rt);
  const streamsPolicy = options.streams ?? {};
  const streamsRunner = createStreamsRunner(rt, streamsPolicy);
  const webhooks = createWebhookHandler(
    rt,
    options.webhookProcessing ?? 'background',
    options.enqueueSync,
    createBodyBudget(webhookBodyBudget(options, rt)),
  );

  return {
    store: rt.store,
    providerIds: [...rt.providers.keys()],
    getProvider: rt.getProvider,
    providerContext: (id) => createProviderContext(rt, rt.getProvider(id)),
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
    activities: {
      list: (query) => rt.store.listActivities(query),
      detail: (activityId, detailOptions) => activityDetail(rt, activityId, detailOptions),
    },
    streams: {
      backlog: (connectionId, backlogOptions) => runStreamsBacklog(rt, connectionId, backlogOptions),
      plan: (connectionId, planOptions) =>
        planStreamsBacklog(
          rt,
          connectionId,
          planOptions ?? {
            ...streamsFilter(streamsPolicy, rt.clock.now()),
            reserve: streamsPolicy.reserve ?? DEFAULT_STREAMS_RESERVE,
          },
        ),
      tick: (tickOptions) => streamsRunner.tick(tickOptions),
    },
    webhooks: { handle: webhooks.handle, idle: webhooks.idle, bodyBytes: webhooks.bodyBytes },
    tokens: { reencryptAll: () => reencryptAllTokens(rt) },
    checkEncryption: () => checkEncryption(rt),
    async close() {
      await webhooks.idle();
      await rt.store.close();
    },
  };
}

/** `webhookBodyBudgetBytes`, checked: a budget smaller than a plugin's largest body could never accept it. */
function webhookBodyBudget(options: TrainlyticsOptions, rt: Runtime): number {
  const budget = options.webhookBodyBudgetBytes ?? DEFAULT_WEBHOOK_BODY_BUDGET_BYTES;
  if (!Number.isSafeInteger(budget) || budget <= 0) {
    throw new ConfigurationError('webhookBodyBudgetBytes must be a positive whole number of bytes', {
      hint: `the default is ${DEFAULT_WEBHOOK_BODY_BUDGET_BYTES} (128 MiB)`,
    });
  }
  for (const provider of rt.providers.values()) {
    const max = provider.webhooks?.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
    if (provider.webhooks && max > budget) {
      throw new ConfigurationError(
        `webhookBodyBudgetBytes (${budget}) is smaller than the ${provider.name} plugin's webhooks.maxBodyBytes (${max}): its largest deliveries could never be accepted`,
        {
          provider: provider.id,
          hint: `raise webhookBodyBudgetBytes to at least ${max}, or lower the plugin's maxBodyBytes`,
        },
      );
    }
  }
  return budget;
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
  const leaseTtlMs = options.lease?.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  if (!Number.isFinite(leaseTtlMs) || leaseTtlMs < 1_000) {
    throw new ConfigurationError('lease.ttlMs must be at least 1000 milliseconds');
  }

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
    leaseTtlMs,
    leasePollMs: 250,
    leaseMaxWaitMs: 10 * 60_000,
    holderName: options.lease?.holderName || defaultHolderName(),
    instanceId: randomToken(6),
    locks: new Map(),
    appConditions: new Map(),
  };
  return rt;
}
