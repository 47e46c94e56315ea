import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPORT_TYPE_FAMILIES, sportTypeFamily, sportTypesCompatible } from '../../src/model/sport-family';
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

describe('sportTypeFamily', () => {
  // the families declared by the table, read as its own entries (not through the lookup under test)
  const declared = new Map<string, string>(Object.entries(SPORT_TYPE_FAMILIES));
  const families = new Set(declared.values());
  // every name an object literal inherits: `valueOf`, `constructor`, `__proto__`, `toString`, `hasOwnProperty`, …
  const inherited = Object.getOwnPropertyNames(Object.prototype);
  const unknownName = fc
    .oneof(fc.constantFrom(...inherited), fc.string(), fc.string({ unit: 'grapheme' }))
    .filter((name) => !isSportType(name));

  it('gives every sport of the vocabulary, and only those, a declared family', () => {
    expect([...declared.keys()].sort()).toEqual([...SPORT_TYPES].sort());
    for (const family of families) expect(typeof family).toBe('string');
    for (const sport of SPORT_TYPES) {
      const family = sportTypeFamily(sport);
      expect(typeof family, sport).toBe('string');
      expect(families.has(family), `${sport}: ${String(family)}`).toBe(true);
      expect(family, sport).toBe(declared.get(sport));
    }
  });

  it('groups the sports the way cross-provider matching needs', () => {
    // the pairs the table's comment names: one workout told by two providers, or two workouts
    expect(sportTypeFamily('trail_run')).toBe(sportTypeFamily('run'));
    expect(sportTypeFamily('treadmill_run')).toBe(sportTypeFamily('run'));
    expect(sportTypeFamily('virtual_ride')).toBe(sportTypeFamily('indoor_ride'));
    expect(sportTypeFamily('gravel_ride')).toBe(sportTypeFamily('ride'));
    expect(sportTypeFamily('run')).not.toBe(sportTypeFamily('ride'));
    expect(sportTypeFamily('swim')).not.toBe(sportTypeFamily('rowing'));
    expect(sportTypeFamily('other')).toBe('other');
  });

  it('is other for every name Object.prototype carries, and for no name at all', () => {
    expect(inherited).toEqual(expect.arrayContaining(['valueOf', 'constructor', '__proto__', 'toString']));
    for (const name of inherited) {
      expect(isSportType(name), name).toBe(false);
      expect(sportTypeFamily(name), name).toBe('other');
    }
    for (const nothing of [null, undefined, '']) expect(sportTypeFamily(nothing)).toBe('other');
  });

  it('is other for any string outside the vocabulary, which then pairs with every sport', () => {
    fc.assert(
      fc.property(unknownName, fc.constantFrom(...SPORT_TYPES), (name, sport) => {
        expect(sportTypeFamily(name)).toBe('other');
        expect(sportTypesCompatible(name, sport)).toBe(true);
        expect(sportTypesCompatible(sport, name)).toBe(true);
      }),
    );
  });
});
