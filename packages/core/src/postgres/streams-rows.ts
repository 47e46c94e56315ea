import type { ActivityRoute, ActivityStreams, NormalizedLap } from '../model/activity-streams';
import type { JsonValue } from '../model/json';
import type { StoredActivityStreams, StreamsBacklogItem, StreamsBacklogQuery } from '../store/store';
import { decodeSamples, encodeSamples, SAMPLE_CODEC_VERSION } from '../streams/sample-codec';
import type { JsonRow } from './map-rows';
import type { SaveActivityStreamsArgs, StreamsBacklogArgs } from './store-function-args';

/**
 * The arguments of `trainlytics_save_activity_streams` (definitions/11_activity_streams.sql): the samples encoded by
 * `sample-codec.ts` and sent as base64 (PostgREST carries no bytea), everything else as JSON.
 */
export function saveStreamsArgs(
  activityId: number,
  streams: ActivityStreams | null,
  now: Date,
): SaveActivityStreamsArgs {
  if (!streams) return { activity_id: activityId, status: 'none', sample_count: 0, now: now.toISOString() };
  const samples = encodeSamples(streams);
  return {
    activity_id: activityId,
    status: 'stored',
    sample_count: streams.time.length,
    channels: Object.keys(streams.channels).filter(
      (k) => streams.channels[k as keyof typeof streams.channels],
    ),
    samples: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).toString('base64'),
    codec_version: SAMPLE_CODEC_VERSION,
    laps: streams.laps as unknown as JsonValue,
    route: (streams.route ?? null) as JsonValue,
    raw: streams.raw,
    now: now.toISOString(),
  };
}

/** The arguments of `trainlytics_list_streams_backlog` / `trainlytics_count_streams_backlog`. */
export function backlogArgs(query: StreamsBacklogQuery): StreamsBacklogArgs {
  return {
    connection_id: query.connectionId,
    since: query.since?.toISOString(),
    sport_types: query.sportTypes,
    limit: query.limit,
    before_id: query.beforeId,
  };
}

export function toStoredStreams(row: JsonRow): StoredActivityStreams {
  const base = {
    activityId: Number(row.activity_id),
    userId: Number(row.user_id),
    sampleCount: Number(row.sample_count ?? 0),
    fetchedAt: new Date(String(row.fetched_at)),
  };
  if (row.status !== 'stored' || typeof row.samples !== 'string') {
    return { ...base, streams: null, encodedBytes: 0 };
  }
  const bytes = Buffer.from(row.samples, 'base64');
  const { time, channels } = decodeSamples(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return {
    ...base,
    encodedBytes: bytes.byteLength,
    streams: {
      time,
      channels,
      laps: (Array.isArray(row.laps) ? row.laps : []) as unknown as NormalizedLap[],
      route: (row.route ?? null) as ActivityRoute | null,
      raw: (row.raw ?? null) as JsonValue,
    },
  };
}

export function toBacklogItem(row: JsonRow): StreamsBacklogItem {
  return {
    id: Number(row.id),
    providerActivityId: String(row.provider_activity_id),
    sportType: String(row.sport_type ?? 'other'),
    startDate: new Date(String(row.start_date)),
    raw: (row.raw ?? null) as JsonValue,
  };
}
