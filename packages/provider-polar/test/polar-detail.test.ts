import type { SampleChannels } from '@trainlytics/core';
import { activityStreamsViolations, runProviderDetailSuite } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapPolarStreams, polarExerciseDetailSchema } from '../src/polar-streams';
import { startPolarSandbox } from '../src/sandbox';
import { generateExerciseDetail, recordedExerciseSamples } from '../src/sandbox/generate-samples';
import { generateExercise } from '../src/sandbox/polar-history';

// Core's provider detail suite (issue 14): exercise samples and routes for outdoor, indoor and manual
// recordings through the sandbox over real HTTP into a migrated PGlite. Polar serves them by pull (ADR 0034),
// one `GET /v3/exercises/{id}?samples=true&zones=true&route=true` per exercise: aligned, in core's units,
// exactly the recorded channels and values (strap and power dropouts as gaps, GPS points at millisecond
// offsets placed as ADR 0034 documents), lossless through the codec and the store; a manual entry is `none`.
runProviderDetailSuite({ name: 'polar', startSandbox: () => startPolarSandbox() });

describe('the detail suite’s checks on the Polar mapping, any generated exercise', () => {
  it('maps what the sandbox recorded, as recorded; a dropped channel is reported', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 1_000 }), (index, seed) => {
        const facts = generateExercise(7, seed, index, new Date(Date.UTC(2026, 5, 1, 12)));
        const served = generateExerciseDetail(facts);
        const recorded = recordedExerciseSamples(served);
        const activity = {
          providerActivityId: facts.hashedId,
          startDate: new Date(Date.UTC(2026, 5, 1, 10)),
          raw: {},
        };
        const streams = mapPolarStreams(
          activity,
          polarExerciseDetailSchema.parse(JSON.parse(JSON.stringify(served))),
        );
        if (recorded === null) {
          expect(streams).toBeNull();
          return;
        }
        const expectation = {
          recorded,
          summary: { distanceM: facts.distance, elapsedTimeS: facts.durationSeconds },
        };
        // the sandbox's recordings hold the suite's contract (summary distance, speed against distance) …
        expect(
          activityStreamsViolations({ ...recorded, laps: [], route: null, raw: null }, expectation),
        ).toEqual([]);
        // … and the plugin's mapping gives them back exactly
        expect(streams).not.toBeNull();
        expect(activityStreamsViolations(streams!, expectation)).toEqual([]);
        const [dropped] = Object.keys(streams!.channels) as Array<keyof SampleChannels>;
        const { [dropped!]: _, ...rest } = streams!.channels;
        expect(activityStreamsViolations({ ...streams!, channels: rest }, expectation)).toContain(
          `recorded channels missing: ${dropped}`,
        );
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
