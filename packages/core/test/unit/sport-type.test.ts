import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSportTypeMapper,
  isSportType,
  SPORT_TYPE_DEFINITIONS,
  SPORT_TYPES,
  SPORT_VOCABULARY_VERSION,
  sportTypeCoverage,
  sportTypeDisplayName,
} from '../../src/model/sport-type';

/** Version 1 of the vocabulary, as design.md lists it: a version may add ids, never drop or rename one. */
const VERSION_1 = [
  'run',
  'trail_run',
  'treadmill_run',
  'virtual_run',
  'ride',
  'mountain_bike_ride',
  'gravel_ride',
  'indoor_ride',
  'virtual_ride',
  'e_bike_ride',
  'swim',
  'open_water_swim',
  'walk',
  'hike',
  'rowing',
  'indoor_rowing',
  'strength_training',
  'yoga',
  'cross_country_ski',
  'alpine_ski',
  'elliptical',
  'hiit',
  'other',
];

describe('the sport vocabulary', () => {
  it('keeps every version 1 id, marked since 1, and marks every later id with a later version', () => {
    for (const id of VERSION_1) expect(SPORT_TYPES).toContain(id);
    for (const d of SPORT_TYPE_DEFINITIONS) {
      expect(d.since, d.id).toBe(VERSION_1.includes(d.id) ? 1 : d.since);
      if (!VERSION_1.includes(d.id)) expect(d.since, d.id).toBeGreaterThan(1);
      expect(d.since).toBeLessThanOrEqual(SPORT_VOCABULARY_VERSION);
    }
    expect(Math.max(...SPORT_TYPE_DEFINITIONS.map((d) => d.since))).toBe(SPORT_VOCABULARY_VERSION);
  });

  it('has unique snake_case ids and unique, non-empty display names', () => {
    const ids = SPORT_TYPE_DEFINITIONS.map((d) => d.id);
    const names = SPORT_TYPE_DEFINITIONS.map((d) => d.displayName);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(_[a-z]+)*$/);
    for (const name of names) expect(name.trim()).toBe(name);
    expect(SPORT_TYPES).toEqual(ids);
  });

  it('names every id for display and shows any other value as it is', () => {
    expect(sportTypeDisplayName('table_tennis')).toBe('Table tennis');
    expect(sportTypeDisplayName('other')).toBe('Other');
    fc.assert(
      fc.property(fc.string(), (value) => {
        const shown = sportTypeDisplayName(value);
        if (isSportType(value)) {
          expect(shown).toBe(SPORT_TYPE_DEFINITIONS.find((d) => d.id === value)!.displayName);
        } else {
          expect(shown).toBe(value);
        }
      }),
    );
  });
});

describe('sportTypeCoverage', () => {
  it('reports exactly the names that map to other, and their share', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1 }), fc.constantFrom(...SPORT_TYPES)),
        fc.array(fc.string({ minLength: 1 })),
        (table, extra) => {
          const map = createSportTypeMapper(table);
          const documented = [...Object.keys(table), ...extra];
          const coverage = sportTypeCoverage(documented, map);
          expect(coverage.documented).toBe(documented.length);
          expect(coverage.other).toEqual(documented.filter((n) => map(n) === 'other'));
          expect(coverage.otherShare).toBe(
            documented.length === 0 ? 0 : coverage.other.length / documented.length,
          );
        },
      ),
    );
  });
});
