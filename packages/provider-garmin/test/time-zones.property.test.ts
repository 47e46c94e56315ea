import { AWKWARD_TIME_ZONES, withTimeZone } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { garminActivitySummarySchema } from '../src/garmin-api';
import { mapGarminActivity } from '../src/map-garmin-activity';

// `toISOString()` always reads UTC: the expected values below never depend on the process time zone.
const utcWallClock = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 19);

describe('mapGarminActivity in any process time zone', () => {
  it('local start = startTimeInSeconds + startTimeOffsetInSeconds, whatever TZ says', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }),
        fc.integer({ min: -12 * 4, max: 14 * 4 }).map((quarters) => quarters * 900),
        fc.constantFrom(...AWKWARD_TIME_ZONES),
        (seconds, offset, zone) => {
          const raw = {
            summaryId: '5001968355',
            activityType: 'RUNNING',
            startTimeInSeconds: seconds,
            startTimeOffsetInSeconds: offset,
            durationInSeconds: 3600,
          };
          const activity = withTimeZone(zone, () =>
            mapGarminActivity(garminActivitySummarySchema.parse(raw), raw),
          );
          expect(activity.startDate.getTime()).toBe(seconds * 1000);
          expect(activity.startDateLocal).toBe(utcWallClock((seconds + offset) * 1000));
          expect(activity.utcOffsetS).toBe(offset);
        },
      ),
      { numRuns: 300 },
    );
  });
});
