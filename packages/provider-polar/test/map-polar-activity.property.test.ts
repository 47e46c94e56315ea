import { parseIsoDuration, toLocalDateTimeString } from '@trainlytics/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapPolarActivity } from '../src/map-polar-activity';
import { polarAnyExerciseSchema } from '../src/polar-api';
import { isoDuration } from '../src/sandbox';

const pad = (n: number) => String(n).padStart(2, '0');

const localDateTime = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map(
    (d) =>
      `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  );

describe('mapPolarActivity properties', () => {
  it('local start = UTC start + offset, for any offset in minutes; duration rounds to whole seconds', () => {
    fc.assert(
      fc.property(
        localDateTime,
        fc.integer({ min: -720, max: 840 }),
        fc.integer({ min: 0, max: 30 * 3600 * 10 }).map((tenths) => tenths / 10),
        fc.boolean(),
        (start, offsetMinutes, seconds, kebab) => {
          const snake = {
            id: 'p1',
            start_time: start,
            start_time_utc_offset: offsetMinutes,
            duration: isoDuration(seconds),
            sport: 'RUNNING',
          };
          const raw = kebab
            ? { id: 7, 'start-time': start, 'start-time-utc-offset': offsetMinutes, duration: snake.duration }
            : snake;
          const activity = mapPolarActivity(polarAnyExerciseSchema.parse(raw), raw);
          expect(activity.startDateLocal).toBe(start);
          expect(activity.utcOffsetS).toBe(offsetMinutes * 60);
          expect(toLocalDateTimeString(activity.startDate, activity.utcOffsetS!)).toBe(start);
          expect(activity.elapsedTimeS).toBe(Math.round(parseIsoDuration(snake.duration)!));
          expect(Math.abs(activity.elapsedTimeS! - seconds)).toBeLessThanOrEqual(0.5);
          expect(activity.raw).toBe(raw);
        },
      ),
      { numRuns: 300 },
    );
  });
});
