import { ConfigurationError, NotFoundError, ReauthorizationRequiredError } from '../errors/errors';
import type { ActivityStreams } from '../model/activity-streams';
import type { RequestCounter } from '../registry/provider-http';
import type { Runtime } from '../registry/runtime';
import type { ActivityRow, Store } from '../store/store';
import { createConnectionSession } from '../tokens/connection-session';

/**
 * What `trainlytics.activities.detail(id)` answers (ADR 0030):
 * - `stored`: the streams are stored (fetched now or before);
 * - `none`: the provider has no samples for this activity (a manual entry): remembered, not asked again;
 * - `requested`: the provider delivers them later by webhook (Garmin);
 * - `unsupported`: the activity's provider plugin has no streams capability.
 */
export interface ActivityDetail {
  activity: ActivityRow;
  status: 'stored' | 'none' | 'requested' | 'unsupported';
  streams: ActivityStreams | null;
  fetchedAt: Date | null;
  /** Requests this call made to the provider (0 when the streams were already stored). */
  requests: number;
}

export interface ActivityDetailOptions {
  /** Fetch again even when streams are stored (default false: stored streams are returned as they are). */
  refresh?: boolean;
}

type StreamsStore = Required<Pick<Store, 'getActivity' | 'getActivityStreams' | 'saveActivityStreams'>>;

/** The store's streams methods; a `ConfigurationError` for a store written before migration 016. */
function streamsStore(store: Store): StreamsStore {
  if (!store.getActivity || !store.getActivityStreams || !store.saveActivityStreams) {
    throw new ConfigurationError(`The ${store.kind} store cannot keep activity streams`, {
      hint: 'run the Trainlytics migrations up to 016_activity_streams and use a store from @trainlytics/core 0.2 or later',
    });
  }
  return store as Store & StreamsStore;
}

/**
 * An activity's streams: the stored ones, or fetched from its provider when missing (or `refresh`) and
 * stored. Throws `NotFoundError` for an unknown activity and `ReauthorizationRequiredError` when its
 * connection is disconnected or needs the user; provider failures throw their typed errors.
 */
export async function activityDetail(
  rt: Runtime,
  activityId: number,
  options: ActivityDetailOptions = {},
): Promise<ActivityDetail> {
  const store = streamsStore(rt.store);
  const activity = await store.getActivity(activityId);
  if (!activity) {
    throw new NotFoundError(`Activity ${activityId} does not exist`, {
      hint: 'use an id from trainlytics.activities.list()',
    });
  }
  const stored = await store.getActivityStreams(activityId);
  if (stored && !options.refresh) {
    return {
      activity,
      status: stored.streams ? 'stored' : 'none',
      streams: stored.streams,
      fetchedAt: stored.fetchedAt,
      requests: 0,
    };
  }
  const provider = activity.provider ? rt.providers.get(activity.provider) : undefined;
  if (!provider?.streams || activity.connectionId === null) {
    return { activity, status: 'unsupported', streams: null, fetchedAt: null, requests: 0 };
  }
  const connection = await rt.store.getConnection(activity.connectionId);
  if (!connection?.isActive || connection.reauthRequired) {
    throw new ReauthorizationRequiredError(
      `The ${provider.name} connection of activity ${activityId} is ${connection?.isActive ? 'waiting for the user to reconnect' : 'disconnected'}: its streams cannot be fetched`,
      { provider: provider.id, ...(connection ? { connectionId: connection.id } : {}) },
    );
  }
  const counter: RequestCounter = { count: 0 };
  const session = createConnectionSession(rt, provider, connection, { counter });
  const result = await provider.streams.fetch(session.context(), {
    providerActivityId: activity.providerActivityId,
    startDate: activity.startDate,
    raw: activity.raw,
  });
  const now = rt.clock.now();
  if (result.status === 'requested') {
    return { activity, status: 'requested', streams: null, fetchedAt: null, requests: counter.count };
  }
  const streams = result.status === 'stored' ? result.streams : null;
  await store.saveActivityStreams(activityId, streams, now);
  return { activity, status: result.status, streams, fetchedAt: now, requests: counter.count };
}
