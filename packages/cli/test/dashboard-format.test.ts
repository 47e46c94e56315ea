import { SPORT_TYPE_DEFINITIONS, type SyncRecord } from '@trainlytics/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSportFamily, SPORT_FAMILIES, sportFamily, sportHtml } from '../src/app/sport-families';
import { progressText, SyncProgressBoard } from '../src/app/sync-progress';
import { parseUnits, resolveUnits, unitsFromAcceptLanguage } from '../src/app/units-preference';
import { exactDuration, formatDistance, formatDuration, formatElevation } from '../src/format';
import { record } from './helpers/sync-record';

/** Values a row may hold where a measure is absent or broken. */
const absent = fc.constantFrom(
  null,
  undefined,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
);
const units = fc.constantFrom('km' as const, 'mi' as const);
const sport = fc.constantFrom(...SPORT_TYPE_DEFINITIONS.map((d) => d.id as string), 'not_a_sport', '');

/** Parses `formatDuration`'s output back to seconds (minutes precision past an hour). */
function parseDuration(text: string): number {
  const s = /^(\d+) s$/.exec(text);
  if (s) return Number(s[1]);
  const ms = /^(\d+) min (\d{2}) s$/.exec(text);
  if (ms) return Number(ms[1]) * 60 + Number(ms[2]);
  const hm = /^(\d+) h (\d{2}) min$/.exec(text);
  if (hm) return Number(hm[1]) * 3600 + Number(hm[2]) * 60;
  throw new Error(`not a duration: ${text}`);
}

describe('the one duration format', () => {
  it('never throws, says — for an absent or negative value, and reads back within its precision', () => {
    fc.assert(
      fc.property(fc.oneof(absent, fc.double({ min: -1e9, max: -1e-9 })), (value) => {
        expect(formatDuration(value)).toBe('—');
        expect(exactDuration(value)).toBe('—');
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: 0.5, max: 1e7, noNaN: true }), (seconds) => {
        const text = formatDuration(seconds);
        const back = parseDuration(text);
        // whole seconds first (±0.5), then whole minutes past an hour (±30 more)
        const precision = seconds >= 3599.5 ? 30.5 : 0.5;
        expect(Math.abs(back - seconds)).toBeLessThanOrEqual(precision + 1e-9);
        // minutes and seconds within a unit stay below 60
        expect(text).not.toMatch(/\b[6-9]\d (min|s)$/);
      }),
    );
  });
  it('prints the three shapes, and under a second as such', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(0.3)).toBe('<1 s');
    expect(formatDuration(12.3)).toBe('12 s');
    expect(formatDuration(245)).toBe('4 min 05 s');
    expect(formatDuration(3723)).toBe('1 h 02 min');
    expect(formatDuration(7170)).toBe('2 h 00 min');
    expect(exactDuration(3723.45)).toBe('1:02:03.5');
    expect(exactDuration(12.3)).toBe('0:00:12.3');
  });
  it('is the same in any time zone (a duration is no instant)', () => {
    const zoned = (tz: string, seconds: number) => {
      const saved = process.env.TZ;
      process.env.TZ = tz;
      try {
        return [formatDuration(seconds), exactDuration(seconds)];
      } finally {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      }
    };
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.constantFrom('UTC', 'Pacific/Kiritimati', 'America/St_Johns', 'Asia/Kathmandu'),
        (seconds, tz) => {
          expect(zoned(tz, seconds)).toEqual(zoned('UTC', seconds));
        },
      ),
    );
  });
});

describe('distances and elevations by the viewer units', () => {
  it('never throw and say — for an absent or negative value, whatever the sport and units', () => {
    fc.assert(
      fc.property(fc.oneof(absent, fc.double({ min: -1e9, max: -1e-6 })), sport, units, (value, s, u) => {
        expect(formatDistance(value, s, u)).toBe('—');
        expect(formatElevation(value, u)).toBe('—');
      }),
    );
  });
  it('print a swim in metres in either units, anything else in the chosen unit, giving the value back', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), sport, units, (metres, s, u) => {
        const text = formatDistance(metres, s, u);
        if (s.includes('swim')) {
          expect(text).toMatch(/^[\d,]+ m$/);
          expect(Math.abs(Number(text.slice(0, -2).replaceAll(',', '')) - metres)).toBeLessThanOrEqual(0.5);
          return;
        }
        const m = /^(\d+\.\d{2}) (km|mi)$/.exec(text);
        expect(m?.[2]).toBe(u);
        const back = Number(m![1]) * (u === 'mi' ? 1609.344 : 1000);
        expect(Math.abs(back - metres)).toBeLessThanOrEqual((u === 'mi' ? 1609.344 : 1000) * 0.005 + 1e-6);
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e5, noNaN: true }), units, (metres, u) => {
        const m = /^([\d,]+) (m|ft)$/.exec(formatElevation(metres, u));
        expect(m?.[2]).toBe(u === 'mi' ? 'ft' : 'm');
        const back = Number(m![1]!.replaceAll(',', '')) * (u === 'mi' ? 0.3048 : 1);
        expect(Math.abs(back - metres)).toBeLessThanOrEqual(0.5 * (u === 'mi' ? 0.3048 : 1) + 1e-6);
      }),
    );
    expect(formatDistance(10_000, 'run', 'mi')).toBe('6.21 mi');
    expect(formatDistance(1500, 'open_water_swim', 'mi')).toBe('1,500 m');
    expect(formatElevation(1000, 'mi')).toBe('3,281 ft');
    expect(formatElevation(312.4, 'km')).toBe('312 m');
  });
});

describe('units preference', () => {
  it('takes the region of the most preferred tag that names one', () => {
    expect(unitsFromAcceptLanguage('en-US,en;q=0.9')).toBe('mi');
    expect(unitsFromAcceptLanguage('en-GB')).toBe('mi');
    expect(unitsFromAcceptLanguage('fr-FR,fr;q=0.9,en-US;q=0.8')).toBe('km');
    expect(unitsFromAcceptLanguage('en;q=0.9, de-DE;q=0.8, en-US;q=0.5')).toBe('km');
    expect(unitsFromAcceptLanguage('de-DE;q=0.1, en-US;q=0.9')).toBe('mi');
    expect(unitsFromAcceptLanguage('en')).toBe('km');
    expect(unitsFromAcceptLanguage('*')).toBe('km');
    expect(unitsFromAcceptLanguage(null)).toBe('km');
    expect(unitsFromAcceptLanguage('es-419')).toBe('km');
  });
  it('never throws on any header', () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        expect(['km', 'mi']).toContain(unitsFromAcceptLanguage(header));
      }),
    );
  });
  it('prefers the query (a choice, to keep), then the cookie, then the language', () => {
    expect(resolveUnits({ query: 'mi', cookie: 'km', acceptLanguage: 'fr-FR' })).toEqual({
      units: 'mi',
      chosen: true,
    });
    expect(resolveUnits({ query: 'miles', cookie: 'km', acceptLanguage: 'en-US' })).toEqual({
      units: 'km',
      chosen: false,
    });
    expect(resolveUnits({ query: undefined, cookie: undefined, acceptLanguage: 'en-US' })).toEqual({
      units: 'mi',
      chosen: false,
    });
    expect(parseUnits('KM')).toBeNull();
  });
});

describe('sport families', () => {
  it('puts every id of the vocabulary in a family, with a drawing and an accessible name', () => {
    const families = new Set(SPORT_FAMILIES.map((f) => f.id));
    for (const { id } of SPORT_TYPE_DEFINITIONS) {
      expect(families.has(sportFamily(id))).toBe(true);
      const markup = String(sportHtml(id));
      expect(markup).toMatch(new RegExp(`role="img" aria-label="[^"]+" data-family="${sportFamily(id)}"`));
      expect(markup).toContain(`href="#sport-${sportFamily(id)}"`);
    }
    // the families that have their own drawing are each used
    for (const family of families) {
      expect(SPORT_TYPE_DEFINITIONS.some((d) => sportFamily(d.id) === family)).toBe(true);
    }
    expect(sportFamily('mountain_bike_ride')).toBe('ride');
    expect(sportFamily('open_water_swim')).toBe('swim');
    expect(sportFamily('hike')).toBe('walk');
    expect(sportFamily('strength_training')).toBe('gym');
  });
  it('puts an id outside the vocabulary in other, and parses only family ids', () => {
    fc.assert(
      fc.property(fc.string(), (id) => {
        const known = SPORT_TYPE_DEFINITIONS.some((d) => d.id === id);
        if (!known) expect(sportFamily(id)).toBe('other');
        expect(parseSportFamily(id) === null || SPORT_FAMILIES.some((f) => f.id === id)).toBe(true);
      }),
    );
    expect(sportFamily('constructor')).toBe('other');
    expect(sportFamily('__proto__')).toBe('other');
  });
});

function running(created: number, updated: number): SyncRecord {
  return record({
    id: 7,
    syncType: 'full',
    status: 'running',
    startedAt: new Date(0),
    completedAt: null,
    activitiesCreated: created,
    activitiesUpdated: updated,
  });
}

describe('a running sync in words', () => {
  it('pages from this process, activities from the row (the larger count wins)', () => {
    const live = {
      syncId: 7,
      pages: 3,
      activitiesCreated: 400,
      activitiesUpdated: 12,
      activitiesDeleted: 0,
      activitiesRejected: 0,
      requests: 3,
    };
    expect(progressText(running(400, 12), live)).toBe('page 3 · 412 activities so far');
    expect(progressText(running(1, 0), undefined)).toBe('1 activity so far');
    expect(progressText(running(0, 0), undefined)).toBe('reading the first page');
    expect(progressText(running(1200, 0), undefined)).toBe('1,200 activities so far');
  });
  it('the board gives a sync its own progress only, and a finished tracker forgets only its own', () => {
    const board = new SyncProgressBoard();
    const first = board.track(1);
    const p = (syncId: number, pages: number) => ({
      syncId,
      pages,
      activitiesCreated: pages,
      activitiesUpdated: 0,
      activitiesDeleted: 0,
      activitiesRejected: 0,
      requests: pages,
    });
    first.onProgress(p(7, 1));
    expect(board.get(1, 7)?.pages).toBe(1);
    expect(board.get(1, 8)).toBeUndefined();
    expect(board.get(2, 7)).toBeUndefined();
    const second = board.track(1);
    second.onProgress(p(8, 2));
    first.done();
    expect(board.get(1, 8)?.pages).toBe(2);
    second.done();
    expect(board.get(1, 8)).toBeUndefined();
  });
});
