import { activityStreamsViolations, runProviderDetailSuite } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapGarminActivityDetails } from '../src/map-garmin-activity-details';
import { GeneratedHistory, startGarminSandbox } from '../src/sandbox';
import { generateActivityDetails, recordedActivityDetail } from '../src/sandbox/generate-activity-details';

// Core's provider detail suite (issue 14): Activity Details for outdoor, indoor and manual recordings through
// the sandbox over real HTTP into a migrated PGlite. Garmin delivers by push (ADR 0033): `activities.detail`
// requests a backfill of `activityDetails` (one request) and answers `requested`; the sandbox then pushes the
// Activity Details the plugin asked for, which the webhook stores — aligned, in core's units, exactly the
// recorded channels and values (timer pauses, recording gaps, GPS dropouts included), lossless through the
// codec and the store. The activity summaries arrive by the `activity.created` push (summaries only).
runProviderDetailSuite({ name: 'garmin', startSandbox: () => startGarminSandbox() });
// The same by ping: the notification carries a callbackURL the plugin pulls (`streams.fetchDelivered`), so an
// activity costs 2 requests, the backfill request and the callback pull (the plugin declares the fewest, 1).
runProviderDetailSuite({
  name: 'garmin (ping)',
  startSandbox: () => startGarminSandbox({ notificationMode: 'ping' }),
  requestsPerActivity: 2,
});

describe('the detail suite’s checks on the Garmin mapping, any generated activity', () => {
  const history = new GeneratedHistory({
    userId: 'u1',
    idBase: 10_000_000,
    seed: 7,
    count: 0,
    endS: Date.UTC(2026, 5, 1) / 1000,
    days: 1,
  });

  it('maps what the sandbox recorded, as recorded; a dropped channel is reported', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5_000 }), async (index) => {
        const summary = history.activityEndingAt(index, Date.UTC(2026, 5, 1, 12) / 1000);
        const served = generateActivityDetails(summary);
        fc.pre(served !== null && summary.durationInSeconds <= 4 * 3600);
        const item = JSON.parse(JSON.stringify({ userId: summary.userId, ...served }));
        const batch = await mapGarminActivityDetails([item]);
        expect(batch.rejected).toEqual([]);
        const streams = batch.items[0]!.streams;
        const recorded = recordedActivityDetail(served!);
        const expectation = {
          recorded,
          summary: { distanceM: summary.distanceInMeters ?? null, elapsedTimeS: summary.durationInSeconds },
        };
        // the sandbox's recordings hold the suite's contract (summary distance, pauses, gaps) …
        expect(
          activityStreamsViolations({ ...recorded, laps: [], route: null, raw: null }, expectation),
        ).toEqual(expect.not.arrayContaining([expect.stringMatching(/distance ends|time ends|lap/)]));
        // … and the plugin's mapping gives them back exactly
        expect(activityStreamsViolations(streams, expectation)).toEqual([]);
        const [dropped] = Object.keys(streams.channels) as Array<keyof typeof streams.channels>;
        fc.pre(dropped !== undefined);
        const { [dropped!]: _, ...rest } = streams.channels;
        expect(activityStreamsViolations({ ...streams, channels: rest }, expectation)).toContain(
          `recorded channels missing: ${dropped}`,
        );
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
