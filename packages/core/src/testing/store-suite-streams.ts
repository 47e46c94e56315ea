import { NotFoundError } from '../errors/errors';
import { createActivity, type NormalizedActivity } from '../model/activity';
import { type ActivityStreams, createLap } from '../model/activity-streams';
import type { ConnectionRecord, Store } from '../store/store';
import { expect, it } from './vitest-api';

/** What the streams tests need from the conformance suite. */
export interface StreamsSuiteContext {
  store(): Store;
  connect(): Promise<ConnectionRecord>;
  commit(
    connection: ConnectionRecord,
    activities: NormalizedActivity[],
    deletedIds?: string[],
  ): Promise<unknown>;
}

const START = new Date('2026-03-01T07:00:00.000Z');

function activity(id: number, sportType: NormalizedActivity['sportType'] = 'run'): NormalizedActivity {
  return createActivity({
    providerActivityId: String(id),
    sportType,
    startDate: new Date(START.getTime() + id * 3_600_000),
    raw: { id },
  });
}

/** Awkward but legal streams: gaps, a pause (time jumps), a channel missing, float precision. */
function streams(n = 500): ActivityStreams {
  const time = Array.from({ length: n }, (_, i) => (i < n / 2 ? i : i + 120));
  return {
    time,
    channels: {
      // as providers send them: degrees to 6 decimals, speed to 3, altitude to 1
      latlng: time.map((_, i) =>
        i % 97 === 5 ? null : ([(52_520_008 + i * 10) / 1e6, (13_404_954 - i * 2) / 1e6] as const),
      ),
      distance: time.map((_, i) => Math.round(i * 3.3 * 10) / 10),
      altitude: time.map((_, i) => (i % 50 === 0 ? null : 34.2 + (i % 7) / 10)),
      heartrate: time.map((_, i) => 120 + (i % 30)),
      moving: time.map((_, i) => i !== 3),
      speed: time.map((_, i) => Math.round((3 + Math.sin(i) / 7) * 1000) / 1000),
      // one column at full double precision: stored as float64, still exact
      temperature: time.map((_, i) => 20 + Math.sin(i) / 3),
    },
    laps: [
      createLap({ startOffsetS: 0, elapsedTimeS: 250, distanceM: 825, averageHeartrate: 131.5 }),
      createLap({ startOffsetS: 250, elapsedTimeS: 370, distanceM: 825.4, averagePower: null }),
    ],
    route: { polyline: '_p~iF~ps|U_ulLnnqC_mqNvxq`@', resolution: 'full' },
    raw: { resolution: 'high', series_type: 'time', id: '18446744073709551615' },
  };
}

/**
 * Activity streams (migration 016): stored and read back exactly, replaced, "none" remembered, the
 * backlog newest first with its filters, refused for an unknown activity, deleted with the activity.
 */
export function runActivityStreamsTests(ctx: StreamsSuiteContext): void {
  async function stored(connection: ConnectionRecord) {
    const rows = await ctx.store().listActivities({ connectionId: connection.id, limit: 100 });
    return new Map(rows.map((r) => [r.providerActivityId, r.id]));
  }

  it('stores streams and reads them back exactly (gaps, pauses, floats, laps, route, raw)', async () => {
    const store = ctx.store();
    const connection = await ctx.connect();
    await ctx.commit(connection, [activity(1)]);
    const id = (await stored(connection)).get('1') as number;
    const original = streams();
    await store.saveActivityStreams!(id, original, START);
    const back = await store.getActivityStreams!(id);
    expect(back).toMatchObject({ activityId: id, userId: connection.userId, sampleCount: 500 });
    expect(back?.streams).toEqual(original);
    expect(back?.fetchedAt.toISOString()).toBe(START.toISOString());
    expect(await store.getActivity!(id)).toMatchObject({
      id,
      providerActivityId: '1',
      connectionId: connection.id,
    });
    expect(await store.getActivity!(id + 1000)).toBeNull();
    // compact: well below the JSON of the same samples, even with one full-precision column
    expect(back!.encodedBytes).toBeGreaterThan(0);
    expect(back!.encodedBytes).toBeLessThan(JSON.stringify(original.channels).length / 3);
  });

  it('replaces what was stored, and remembers "the provider has none" without samples', async () => {
    const store = ctx.store();
    const connection = await ctx.connect();
    await ctx.commit(connection, [activity(1), activity(2)]);
    const ids = await stored(connection);
    await store.saveActivityStreams!(ids.get('1') as number, streams(10), START);
    const shorter = streams(4);
    await store.saveActivityStreams!(ids.get('1') as number, shorter, START);
    expect((await store.getActivityStreams!(ids.get('1') as number))?.streams).toEqual(shorter);
    await store.saveActivityStreams!(ids.get('2') as number, null, START);
    expect(await store.getActivityStreams!(ids.get('2') as number)).toMatchObject({
      streams: null,
      sampleCount: 0,
    });
    expect(await store.countStreamsBacklog!({ connectionId: connection.id })).toBe(0);
  });

  it("lists the connection's backlog newest first, by age and sport, in pages, and counts it", async () => {
    const store = ctx.store();
    const connection = await ctx.connect();
    const other = await ctx.connect();
    await ctx.commit(
      connection,
      [1, 2, 3, 4, 5].map((i) => activity(i, i % 2 ? 'run' : 'ride')),
    );
    await ctx.commit(other, [activity(9)]);
    const ids = await stored(connection);
    await store.saveActivityStreams!(ids.get('3') as number, streams(3), START);

    const all = await store.listStreamsBacklog!({ connectionId: connection.id });
    expect(all.map((a) => a.providerActivityId)).toEqual(['5', '4', '2', '1']);
    expect(all[0]).toMatchObject({ sportType: 'run', raw: { id: 5 } });
    expect(all[0]?.startDate.toISOString()).toBe(activity(5).startDate.toISOString());

    const page1 = await store.listStreamsBacklog!({ connectionId: connection.id, limit: 2 });
    const page2 = await store.listStreamsBacklog!({
      connectionId: connection.id,
      limit: 2,
      beforeId: page1.at(-1)?.id,
    });
    expect([...page1, ...page2].map((a) => a.providerActivityId)).toEqual(['5', '4', '2', '1']);

    const since = activity(2).startDate;
    expect(
      (await store.listStreamsBacklog!({ connectionId: connection.id, since, sportTypes: ['ride'] })).map(
        (a) => a.providerActivityId,
      ),
    ).toEqual(['4', '2']);
    expect(await store.countStreamsBacklog!({ connectionId: connection.id })).toBe(4);
    expect(await store.countStreamsBacklog!({ connectionId: connection.id, sportTypes: ['run'] })).toBe(2);
    expect(await store.countStreamsBacklog!({ connectionId: other.id })).toBe(1);
  });

  it('refuses streams for an activity that does not exist, and drops them with their activity', async () => {
    const store = ctx.store();
    await expect(store.saveActivityStreams!(987_654, streams(2), START)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const connection = await ctx.connect();
    await ctx.commit(connection, [activity(1)]);
    const id = (await stored(connection)).get('1') as number;
    await store.saveActivityStreams!(id, streams(2), START);
    await ctx.commit(connection, [], ['1']);
    expect(await store.getActivityStreams!(id)).toBeNull();
  });
}
