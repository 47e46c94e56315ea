import {
  finiteOrNull,
  fromEpochSeconds,
  localDateTimeToUtc,
  parseIsoDuration,
  parseLocalDateTime,
  toEpochSeconds,
  toLocalDateTimeString,
} from '@trainlytics/core';
import { AWKWARD_TIME_ZONES, withTimeZone } from '@trainlytics/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('model time helpers', () => {
  it("reads Strava's start_date_local, whose trailing Z is not UTC", () => {
    expect(parseLocalDateTime('2018-02-16T06:52:54Z')).toBe('2018-02-16T06:52:54');
    expect(parseLocalDateTime('2024-05-01 07:30')).toBe('2024-05-01T07:30:00');
    expect(parseLocalDateTime('2024-05-01T07:30:15.250+02:00')).toBe('2024-05-01T07:30:15');
    expect(parseLocalDateTime('yesterday')).toBeNull();
    expect(parseLocalDateTime(null)).toBeNull();
  });

  it('wall-clock string and offset round-trip to the same instant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }),
        fc.integer({ min: -12 * 3600, max: 14 * 3600 }),
        (seconds, offset) => {
          const instant = fromEpochSeconds(seconds);
          const local = toLocalDateTimeString(instant, offset);
          expect(local).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
          expect(localDateTimeToUtc(local, offset).getTime()).toBe(instant.getTime());
          expect(toEpochSeconds(instant)).toBe(seconds);
        },
      ),
    );
    expect(toLocalDateTimeString(new Date('2024-12-31T23:30:00Z'), 3600)).toBe('2025-01-01T00:30:00');
    expect(() => localDateTimeToUtc('nope', 0)).toThrow(RangeError);
  });

  it('gives the same result in any process time zone (non-whole-hour offsets, DST gaps and overlaps)', () => {
    const pad = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }),
        fc.integer({ min: -12 * 4, max: 14 * 4 }).map((quarters) => quarters * 900),
        fc.constantFrom(...AWKWARD_TIME_ZONES),
        (seconds, offset, zone) => {
          // the expected values by integer arithmetic on the epoch, read with UTC getters only
          const shifted = new Date((seconds + offset) * 1000);
          const expectedLocal =
            `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
            `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`;
          withTimeZone(zone, () => {
            const local = toLocalDateTimeString(fromEpochSeconds(seconds), offset);
            expect(local).toBe(expectedLocal);
            expect(parseLocalDateTime(`${local}Z`)).toBe(expectedLocal);
            expect(parseLocalDateTime(`${local}.000+05:45`)).toBe(expectedLocal);
            expect(localDateTimeToUtc(local, offset).getTime()).toBe(seconds * 1000);
            expect(toEpochSeconds(fromEpochSeconds(seconds))).toBe(seconds);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('parses ISO-8601 durations to seconds and refuses ambiguous or malformed ones', () => {
    expect(parseIsoDuration('PT2H44M')).toBe(9840);
    expect(parseIsoDuration('PT1H2M3.5S')).toBe(3723.5);
    expect(parseIsoDuration('P1DT2H')).toBe(93600);
    expect(parseIsoDuration('PT0,5S')).toBe(0.5);
    expect(parseIsoDuration('-PT30S')).toBe(-30);
    for (const bad of ['P', 'PT', 'P1Y', 'P2M', '1H', '', null, 'PT1H2'])
      expect(parseIsoDuration(bad)).toBeNull();
  });

  it('finiteOrNull keeps only finite numbers', () => {
    expect([0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, null, undefined].map(finiteOrNull)).toEqual([
      0,
      1.5,
      null,
      null,
      null,
      null,
    ]);
  });
});
