import type { Connection, SyncRecord, Trainlytics } from '@trainlytics/core';
import { providerName } from './providers-from-env';

/** A condition of a whole provider (not of one connection), shown once above the connections. */
export interface ProviderNotice {
  provider: string;
  /**
   * `app-suspended`: the provider refuses every call of the app (Strava: the app is Inactive); syncs are
   * paused and resume by themselves. `connection-limit`: the app's cap of connected accounts is (nearly)
   * reached.
   */
  kind: 'app-suspended' | 'connection-limit';
  message: string;
}

/** How many recent `sync_history` rows are read to find each provider's latest run (two queries in all). */
const RECENT_SYNCS = 200;

/**
 * Provider-wide notices from what is stored: a provider whose latest sync (over every connection) was
 * deferred by `AppSuspendedError` is paused, with the fix in the message; a provider whose
 * `maxConnections` is reached, or one away, says so (when `limits` knows it). Reads the database only:
 * usable by `connections list` (no provider credentials) and the dashboard alike.
 */
export async function providerNotices(
  trainlytics: Pick<Trainlytics, 'connections' | 'history'>,
  limits: Record<string, { name: string; maxConnections?: number | undefined }> = {},
): Promise<ProviderNotice[]> {
  const [connections, recent] = await Promise.all([
    trainlytics.connections.list({}),
    trainlytics.history.list({ limit: RECENT_SYNCS }),
  ]);
  return noticesFrom(connections, recent, limits);
}

/** The rule of `providerNotices`, over rows already read (newest sync first, as `history.list` returns). */
export function noticesFrom(
  connections: Connection[],
  recent: SyncRecord[],
  limits: Record<string, { name: string; maxConnections?: number | undefined }> = {},
): ProviderNotice[] {
  const providerOf = new Map(connections.map((c) => [c.id, c.provider]));
  const latest = new Map<string, SyncRecord>();
  for (const sync of recent) {
    const provider = providerOf.get(sync.connectionId);
    if (!provider) continue;
    const seen = latest.get(provider);
    if (!seen || sync.startedAt > seen.startedAt) latest.set(provider, sync);
  }
  const notices: ProviderNotice[] = [];
  for (const [provider, sync] of [...latest].sort(([a], [b]) => a.localeCompare(b))) {
    if (sync.status === 'deferred' && sync.errorName === 'AppSuspendedError') {
      notices.push({
        provider,
        kind: 'app-suspended',
        message: `${limits[provider]?.name ?? providerName(provider)} syncs are paused: ${(sync.errorMessage ?? 'the provider refuses every call of this app').replace(/^deferred: /, '')}`,
      });
    }
  }
  for (const [provider, { name, maxConnections }] of Object.entries(limits)) {
    if (maxConnections === undefined) continue;
    const active = connections.filter((c) => c.provider === provider && c.status !== 'inactive').length;
    if (active >= maxConnections) {
      notices.push({
        provider,
        kind: 'connection-limit',
        message: `${name}: ${active} of ${maxConnections} accounts connected, the app's limit: nobody else can connect until one disconnects or ${name} raises the limit`,
      });
    } else if (active === maxConnections - 1) {
      notices.push({
        provider,
        kind: 'connection-limit',
        message: `${name}: ${active} of ${maxConnections} accounts connected: one more reaches the app's limit`,
      });
    }
  }
  return notices;
}
