import type { SampleChannelName } from '../model/activity-streams';
import type { Provider } from '../provider/v1/provider-v1';
import { createTrainlytics } from '../registry/create-trainlytics';
import type { Trainlytics } from '../registry/types';
import type { ActivityRow } from '../store/store';
import type { ActivityDetail } from '../streams/activity-detail';
import { decodeSamples, encodeSamples } from '../streams/sample-codec';
import { activityStreamsViolations } from './activity-streams-checks';
import type {
  ConformanceSandbox,
  SandboxRecordedActivity,
  SandboxRecording,
  SandboxStreamsControl,
} from './conformance-sandbox';
import { FakeClock } from './fake-clock';
import { type ConformanceDatabase, defaultConformanceDatabase } from './provider-suite';
import { afterAll, beforeAll, describe, expect, it } from './vitest-api';

const ENCRYPTION_KEY = 'b'.repeat(64);

/** The channels a recording holds. */
function channelsOf(activity: SandboxRecordedActivity): SampleChannelName[] {
  const channels = activity.recorded?.channels ?? {};
  return (Object.keys(channels) as SampleChannelName[]).filter((c) => channels[c] !== undefined);
}

export interface ProviderDetailSuiteOptions {
  /** Names the `describe` block: `strava`. */
  name: string;
  /** The plugin's sandbox; it must implement `streams` (`SandboxStreamsControl`). */
  startSandbox: () => Promise<ConformanceSandbox>;
  /** A migrated database; default: an in-memory PGlite with every migration applied. */
  createDatabase?: () => Promise<ConformanceDatabase>;
  /** Outdoor recordings checked (default 4): devices vary between them, every one must hold. */
  outdoorRecordings?: number;
  /**
   * The requests one activity costs with this sandbox's configuration, when that is more than the plugin's
   * `streams.requestsPerActivity` (the fewest, ADR 0030): Garmin by ping costs 2, the backfill request and
   * the callback pull, where a push costs the 1 it declares. Default: `requestsPerActivity`; never fewer.
   */
  requestsPerActivity?: number;
}

/** One recorded activity, stored, and what asking for its detail did. */
interface Outcome {
  recorded: SandboxRecordedActivity;
  row: ActivityRow;
  /** `activities.detail` the first time: the fetch (pull) or the request (push). */
  first: ActivityDetail;
  /** Whether `activity_streams` had a row right after the first call. */
  rowAfterFirst: boolean;
  /** `activities.detail` once delivered (push) — the first answer again for pull. */
  final: ActivityDetail;
  /** Requests the sandbox received from the first call to the end of the delivery. */
  sandboxRequests: number;
  /** The app's answers to the delivered webhooks (push). */
  webhookStatuses: number[];
}

/**
 * The activity detail suite every plugin with `streams` (ADR 0030) runs against its sandbox, through a real
 * Trainlytics instance and a migrated database, like `runProviderConformanceSuite`:
 *
 * ```ts
 * runProviderDetailSuite({ name: 'strava', startSandbox: () => startStravaSandbox() });
 * ```
 *
 * The sandbox implements `ConformanceSandbox.streams` (`SandboxStreamsControl`): `addRecordedActivity` adds
 * an `outdoor`, `indoor` or `manual` activity and returns the samples its device recorded, in core's names and
 * units (null for `manual`). The suite brings each activity's summary into the store (an incremental sync when the
 * plugin backfills by pull, else the `activity.created` webhook), then asks `trainlytics.activities.detail(id)`
 * and checks:
 *
 * - **pull** (`delivery: 'pull'`): the call returns `stored`. **push** (`delivery: 'push'`): the call returns
 *   `requested` and stores nothing; the suite then calls `sandbox.streams.deliverRequestedStreams(account,
 *   activityId)`, hands each returned `Request` to `trainlytics.webhooks.handle(providerId, request)` (each
 *   answered 2xx), awaits `trainlytics.webhooks.idle()`, and expects `activities.detail(id)` to return
 *   `stored` without a further request.
 * - the streams are time-aligned, `time` non-decreasing, exactly the recorded channels and values (none
 *   dropped, misaligned, converted wrongly, invented or zero-filled), values in core's units within physical ranges, distance consistent with speed
 *   and the summary, laps inside the activity, `raw` without the sample arrays (`activityStreamsViolations`);
 * - the sample codec and the store give them back exactly: `decodeSamples(encodeSamples(s))`, the store's
 *   read, and the `activity_streams.samples` bytes as stored all equal what the plugin returned;
 * - the sandbox received exactly `requestsPerActivity` requests per recorded activity (for push: the request
 *   plus whatever the plugin pulls while handling the delivery; `options.requestsPerActivity` when the
 *   sandbox's configuration costs more than the plugin's declared fewest, e.g. Garmin by ping),
 *   `detail.requests` agrees (pull), and a second call makes none;
 * - a `manual` activity ends `none` (remembered: asking again costs nothing); an `indoor` one has no
 *   `latlng` and no route.
 */
export function runProviderDetailSuite(options: ProviderDetailSuiteOptions): void {
  const outdoorCount = options.outdoorRecordings ?? 4;

  describe(`provider detail: ${options.name}`, () => {
    let sandbox: ConformanceSandbox;
    let control: SandboxStreamsControl;
    let database: ConformanceDatabase;
    let provider: Provider;
    let trainlytics: Trainlytics;
    let providerUserId: string;
    const recorded = new Map<SandboxRecording, SandboxRecordedActivity[]>();
    const outcomes = new Map<string, Promise<Outcome>>();

    beforeAll(async () => {
      sandbox = await options.startSandbox();
      database = await (options.createDatabase ?? defaultConformanceDatabase)();
      provider = sandbox.createProvider();
      if (!provider.streams || !sandbox.streams) return; // the first test says so
      control = sandbox.streams;
      await database.query(
        `alter type provider_type add value if not exists '${provider.id.replace(/'/g, '')}'`,
      );
      const user = await database.query(
        `insert into users (email, first_name) values ('detail-${Date.now()}@example.com', 'Detail') returning id`,
      );
      trainlytics = createTrainlytics({
        store: database.store,
        providers: [sandbox.createProvider()],
        clock: new FakeClock(Date.now()),
        encryptionKey: ENCRYPTION_KEY,
      });
      ({ providerUserId } = await sandbox.seedAccount({ activityCount: 1 }));
      const { url } = await trainlytics.connect.start(provider.id, {
        userId: Number(user.rows[0]?.id),
        redirectUri: 'https://app.example.com/oauth/callback',
      });
      const callback = await sandbox.approve(url, { providerUserId });
      const connection = await trainlytics.connect.finish(provider.id, {
        callbackParams: callback.searchParams,
      });
      if (provider.capabilities.backfill === 'pull') await trainlytics.sync(connection.id, { full: true });
      const kinds: SandboxRecording[] = [
        ...Array.from({ length: outdoorCount }, () => 'outdoor' as const),
        'indoor',
        'manual',
      ];
      for (const recording of kinds) {
        const activity = await control.addRecordedActivity(providerUserId, { recording });
        recorded.set(recording, [...(recorded.get(recording) ?? []), activity]);
        const request = await sandbox.webhookRequest({
          type: 'activity.created',
          providerUserId,
          providerActivityId: activity.providerActivityId,
        });
        if (request && provider.capabilities.backfill !== 'pull') {
          expect((await trainlytics.webhooks.handle(provider.id, request)).status).toBeLessThan(300);
          await trainlytics.webhooks.idle();
        }
      }
      if (provider.capabilities.backfill === 'pull') await trainlytics.sync(connection.id);
    }, 120_000);

    afterAll(async () => {
      await trainlytics?.close();
      await sandbox?.close();
      await database?.close();
    });

    const of = (kind: SandboxRecording) => recorded.get(kind) ?? [];

    async function streamsRow(activityId: number) {
      const rows = await database.query(
        'select status, sample_count, channels, samples from activity_streams where activity_id = $1',
        [activityId],
      );
      return rows.rows[0] ?? null;
    }

    async function storedRow(recordedActivity: SandboxRecordedActivity): Promise<ActivityRow> {
      const rows = await trainlytics.activities.list({ limit: 100 });
      const row = rows.find((r) => r.providerActivityId === recordedActivity.providerActivityId);
      if (!row) {
        throw new Error(
          `Activity ${recordedActivity.providerActivityId} was added at the sandbox but never stored (sync or activity.created webhook)`,
        );
      }
      return row;
    }

    /** Asks for an activity's detail once (memoized: tests share what it did). */
    function outcome(recordedActivity: SandboxRecordedActivity): Promise<Outcome> {
      const key = recordedActivity.providerActivityId;
      const known = outcomes.get(key);
      if (known) return known;
      const run = (async (): Promise<Outcome> => {
        const row = await storedRow(recordedActivity);
        sandbox.resetCounters();
        const first = await trainlytics.activities.detail(row.id);
        const rowAfterFirst = (await streamsRow(row.id)) !== null;
        let final = first;
        const webhookStatuses: number[] = [];
        if (first.status === 'requested') {
          const deliveries =
            (await control.deliverRequestedStreams?.(providerUserId, recordedActivity.providerActivityId)) ??
            [];
          for (const request of deliveries) {
            webhookStatuses.push((await trainlytics.webhooks.handle(provider.id, request)).status);
          }
          await trainlytics.webhooks.idle();
          final = await trainlytics.activities.detail(row.id);
        }
        const sandboxRequests = sandbox.requestCount();
        return {
          recorded: recordedActivity,
          row,
          first,
          rowAfterFirst,
          final,
          sandboxRequests,
          webhookStatuses,
        };
      })();
      outcomes.set(key, run);
      return run;
    }

    const withSamples = () => [...of('outdoor'), ...of('indoor')];

    it('declares the streams capability, and the sandbox records activities', () => {
      expect(provider.streams, `${provider.id} has no streams capability`).toBeDefined();
      expect(sandbox.streams, 'the sandbox does not implement ConformanceSandbox.streams').toBeDefined();
      expect(['pull', 'push']).toContain(provider.streams?.delivery);
      expect(Number.isInteger(provider.streams?.requestsPerActivity)).toBe(true);
      expect(provider.streams?.requestsPerActivity).toBeGreaterThanOrEqual(1);
      if (provider.streams?.delivery === 'push') {
        expect(
          sandbox.streams?.deliverRequestedStreams,
          'push delivery needs deliverRequestedStreams',
        ).toBeTypeOf('function');
      }
      expect(of('outdoor')).toHaveLength(outdoorCount);
      for (const activity of withSamples()) expect(activity.recorded?.time.length).toBeGreaterThan(0);
      expect(of('manual')[0]?.recorded).toBeNull();
    });

    it('pull: fetching stores the streams; push: fetching asks for them and the delivery stores them', async () => {
      for (const activity of withSamples()) {
        const o = await outcome(activity);
        if (provider.streams?.delivery === 'push') {
          expect(o.first.status, activity.providerActivityId).toBe('requested');
          expect(o.first.streams).toBeNull();
          expect(o.rowAfterFirst, 'a requested detail stores no row').toBe(false);
          expect(o.webhookStatuses.length, 'the sandbox delivered nothing').toBeGreaterThan(0);
          for (const status of o.webhookStatuses) expect(status).toBeLessThan(300);
        } else {
          expect(o.first.status, activity.providerActivityId).toBe('stored');
          expect(o.rowAfterFirst).toBe(true);
        }
        expect(o.final.status, activity.providerActivityId).toBe('stored');
        expect(o.final.streams).not.toBeNull();
      }
    });

    it('gives time-aligned streams in core units with exactly the channels the device recorded', async () => {
      for (const activity of withSamples()) {
        const o = await outcome(activity);
        const violations = activityStreamsViolations(o.final.streams!, {
          recorded: activity.recorded!,
          summary: { distanceM: o.row.distanceM, elapsedTimeS: o.row.elapsedTimeS },
        });
        expect(violations, `${activity.providerActivityId} (${channelsOf(activity).join(', ')})`).toEqual([]);
      }
    });

    it('costs exactly requestsPerActivity requests per activity, and nothing once stored', async () => {
      const declared = provider.streams!.requestsPerActivity;
      const perActivity = options.requestsPerActivity ?? declared;
      expect(
        perActivity,
        'the suite’s requestsPerActivity is below the plugin’s fewest',
      ).toBeGreaterThanOrEqual(declared);
      for (const activity of withSamples()) {
        const o = await outcome(activity);
        expect(o.sandboxRequests, `requests at the sandbox for ${activity.providerActivityId}`).toBe(
          perActivity,
        );
        if (provider.streams?.delivery === 'pull') expect(o.first.requests).toBe(perActivity);
        sandbox.resetCounters();
        const again = await trainlytics.activities.detail(o.row.id);
        expect(again).toMatchObject({ status: 'stored', requests: 0 });
        expect(sandbox.requestCount()).toBe(0);
      }
    });

    it('round-trips through the sample codec and the store losslessly', async () => {
      for (const activity of withSamples()) {
        const o = await outcome(activity);
        const streams = o.final.streams!;
        const samples = { time: streams.time, channels: streams.channels };
        expect(decodeSamples(encodeSamples(samples))).toEqual(samples);
        const stored = await database.store.getActivityStreams!(o.row.id);
        expect(stored?.streams).toEqual(streams);
        expect(stored?.sampleCount).toBe(streams.time.length);
        // what really landed in activity_streams
        const row = await streamsRow(o.row.id);
        expect(row?.status).toBe('stored');
        expect(Number(row?.sample_count)).toBe(streams.time.length);
        expect([...((row?.channels as string[] | undefined) ?? [])].sort()).toEqual(
          channelsOf(activity).sort(),
        );
        expect(decodeSamples(new Uint8Array(row?.samples as Uint8Array))).toEqual(samples);
      }
    });

    it('answers none for a manual activity, and remembers it', async () => {
      const [manual] = of('manual');
      const o = await outcome(manual!);
      expect(o.final).toMatchObject({ status: 'none', streams: null });
      expect((await streamsRow(o.row.id))?.status).toBe('none');
      sandbox.resetCounters();
      expect(await trainlytics.activities.detail(o.row.id)).toMatchObject({ status: 'none', requests: 0 });
      expect(sandbox.requestCount()).toBe(0);
    });

    it('gives an indoor activity no position and no route', async () => {
      const [indoor] = of('indoor');
      expect(channelsOf(indoor!)).not.toContain('latlng');
      const o = await outcome(indoor!);
      expect(o.final.streams?.channels.latlng).toBeUndefined();
      expect(o.final.streams?.route).toBeNull();
    });
  });
}
