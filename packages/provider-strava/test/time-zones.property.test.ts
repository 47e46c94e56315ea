import { AWKWARD_TIME_ZONES, withTimeZone } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapStravaActivity } from '../src/map-strava-activity';
import { stravaActivitySchema } from '../src/strava-api';

// `toISOString()` always reads UTC: the expected values below never depend on the process time zone.
const utcWallClock = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 19);

describe('mapStravaActivity in any process time zone', () => {
  it("reads start_date as UTC and start_date_local's fake Z as wall-clock time, whatever TZ says", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }),
        fc.integer({ min: -12 * 4, max: 14 * 4 }).map((quarters) => quarters * 900),
        fc.constantFrom(...AWKWARD_TIME_ZONES),
        fc.boolean(),
        (seconds, utcOffset, zone, withLocal) => {
          const local = utcWallClock((seconds + utcOffset) * 1000);
          const raw = {
            id: 1,
            name: 'Morning Run',
            sport_type: 'Run',
            start_date: `${utcWallClock(seconds * 1000)}Z`,
            // without start_date_local the mapper derives it from utc_offset
            ...(withLocal ? { start_date_local: `${local}Z` } : {}),
            utc_offset: utcOffset,
          };
          const activity = withTimeZone(zone, () => mapStravaActivity(stravaActivitySchema.parse(raw), raw));
          expect(activity.startDate.getTime()).toBe(seconds * 1000);
          expect(activity.startDateLocal).toBe(local);
          expect(activity.utcOffsetS).toBe(utcOffset);
        },
      ),
      { numRuns: 300 },
    );
  });
});
