import { activityStreamsViolations, runProviderDetailSuite } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildActivity,
  DOCUMENTED_SPORT_TYPES,
  generateStreams,
  recordedSamples,
  startStravaSandbox,
  toStravaJson,
} from '../src/sandbox-entry';
import { mapStravaStreams, stravaLapsSchema, stravaStreamSetSchema } from '../src/strava-streams';

// Core's provider detail suite (issue 14): streams fetched for outdoor, indoor and manual recordings through
// the sandbox over real HTTP into a migrated PGlite — aligned, in core's units, exactly the recorded
// channels and values, lossless through the codec and the store, in exactly two requests per activity.
// Planting a bug in mapStravaStreams (dropping the heartrate channel; shifting velocity_smooth by one sample)
// fails it: "recorded channels missing: heartrate", "speed[0] = … misaligned or converted wrongly".
runProviderDetailSuite({ name: 'strava', startSandbox: () => startStravaSandbox() });

describe('the detail suite’s checks on the Strava mapping, any generated activity', () => {
  const activityArb = fc
    .record({
      index: fc.integer({ min: 0, max: 10_000 }),
      seed: fc.integer({ min: 1, max: 1_000 }),
      sport: fc.constantFrom(...DOCUMENTED_SPORT_TYPES),
    })
    .map(({ index, seed, sport }) =>
      buildActivity({
        id: String(9_000_000_000n + BigInt(index)),
        athleteId: '42',
        seed,
        index,
        startMs: Date.UTC(2026, 5, 1, 7),
        sportTypes: [sport],
      }),
    );

  it('maps what the sandbox recorded, as recorded', () => {
    fc.assert(
      fc.property(activityArb, (activity) => {
        const generated = generateStreams(activity);
        const recorded = recordedSamples(generated);
        fc.pre(recorded !== null);
        const wire = JSON.parse(toStravaJson(generated));
        const streams = mapStravaStreams(
          {
            providerActivityId: activity.id,
            startDate: new Date(activity.start_date),
            raw: activity as never,
          },
          stravaStreamSetSchema.parse(wire.streams),
          stravaLapsSchema.parse(wire.laps),
        );
        const summary = { distanceM: Number(activity.distance), elapsedTimeS: Number(activity.elapsed_time) };
        expect(activityStreamsViolations(streams, { recorded: recorded!, summary })).toEqual([]);
        // the same mapping with one channel dropped is reported
        const [dropped] = Object.keys(streams.channels) as Array<keyof typeof streams.channels>;
        const { [dropped!]: _, ...rest } = streams.channels;
        const broken = activityStreamsViolations(
          { ...streams, channels: rest },
          { recorded: recorded!, summary },
        );
        expect(broken).toContain(`recorded channels missing: ${dropped}`);
      }),
      { numRuns: 25 },
    );
  });
});
