import { AWKWARD_TIME_ZONES, withTimeZone } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapPolarActivity } from '../src/map-polar-activity';
import { polarAnyExerciseSchema } from '../src/polar-api';

// `toISOString()` and `Date.parse` of a string ending in Z always work in UTC: the expected values below
// never depend on the process time zone.
const utcWallClock = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 19);

/** Wall-clock times that do not exist, or exist twice, in some of the zones (DST gaps and overlaps). */
const DST_EDGES = [
  '2024-03-10T02:30:00', // America/St_Johns: 02:00 -> 03:00
  '2024-11-03T01:30:00', // America/St_Johns: 01:00 twice
  '2024-09-29T03:00:00', // Pacific/Chatham: 02:45 -> 03:45
  '2024-10-06T02:15:00', // Australia/Lord_Howe: 02:00 -> 02:30
];

describe('mapPolarActivity in any process time zone', () => {
  it('start_time is wall-clock time at start_time_utc_offset minutes, whatever TZ says', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 })
            .map((seconds) => utcWallClock(seconds * 1000)),
          fc.constantFrom(...DST_EDGES),
        ),
        fc.integer({ min: -720, max: 840 }),
        fc.constantFrom(...AWKWARD_TIME_ZONES),
        fc.boolean(),
        (start, offsetMinutes, zone, kebab) => {
          const raw = kebab
            ? { id: 7, 'start-time': start, 'start-time-utc-offset': offsetMinutes, duration: 'PT30M' }
            : {
                id: 'p1',
                start_time: start,
                start_time_utc_offset: offsetMinutes,
                duration: 'PT30M',
                sport: 'RUNNING',
              };
          const activity = withTimeZone(zone, () => mapPolarActivity(polarAnyExerciseSchema.parse(raw), raw));
          expect(activity.startDate.getTime()).toBe(Date.parse(`${start}Z`) - offsetMinutes * 60_000);
          expect(activity.startDateLocal).toBe(start);
          expect(activity.utcOffsetS).toBe(offsetMinutes * 60);
        },
      ),
      { numRuns: 300 },
    );
  });
});
