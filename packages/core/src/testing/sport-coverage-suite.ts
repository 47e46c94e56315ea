import { isSportType, type SportType, sportTypeCoverage } from '../model/sport-type';
import { describe, expect, it } from './vitest-api';

export interface SportTypeCoverageOptions {
  /** Shown in the test names (`strava`). */
  provider: string;
  /** The provider's documented sport names, as the plugin declares them (with their source). */
  documented: readonly string[];
  /** Documented names that map to `other` on purpose, each with its reason. */
  otherAllowed: Readonly<Record<string, string>>;
  /** The plugin's mapping of one provider name. */
  map: (name: string) => SportType;
  /** The share of documented names allowed in `other` (a regression guard for the reported figure). */
  maxOtherShare: number;
}

/**
 * The contract of a plugin's sport mapping over its provider's documented list: every documented name maps
 * into the vocabulary; exactly the allow-listed names (each with a reason) land in `other`, so a name that
 * falls into `other` by omission fails, and so does an allow-list entry that no longer does; the share stays
 * under the reported figure; and the mapping ignores case (providers are not consistent about it).
 */
export function describeSportTypeCoverage(options: SportTypeCoverageOptions): void {
  const { provider, documented, otherAllowed, map, maxOtherShare } = options;

  describe(`${provider} documented sport types`, () => {
    it('lists each documented name once', () => {
      const lower = documented.map((n) => n.toLowerCase());
      expect(lower.filter((n, i) => lower.indexOf(n) !== i)).toEqual([]);
      expect(documented.length).toBeGreaterThan(0);
    });

    it('maps every documented name into the vocabulary', () => {
      expect(documented.filter((n) => !isSportType(map(n)))).toEqual([]);
    });

    it('sends to other exactly the allow-listed names, each with a reason', () => {
      const coverage = sportTypeCoverage(documented, map);
      expect([...coverage.other].sort()).toEqual(Object.keys(otherAllowed).sort());
      for (const [name, reason] of Object.entries(otherAllowed)) {
        expect(documented, `${name} is allow-listed but not documented`).toContain(name);
        expect(reason.trim().length, `${name} needs a reason`).toBeGreaterThan(0);
      }
      expect(coverage.otherShare).toBeLessThanOrEqual(maxOtherShare);
    });

    it('maps a documented name in any case like the name itself', () => {
      const variants = (name: string) => [
        name.toLowerCase(),
        name.toUpperCase(),
        [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c.toLowerCase())).join(''),
        [...name].map((c, i) => (i % 2 === 1 ? c.toUpperCase() : c.toLowerCase())).join(''),
      ];
      const mismatches = documented.flatMap((name) =>
        variants(name)
          .filter((v) => map(v) !== map(name))
          .map((v) => `${v}: ${map(v)}, ${name}: ${map(name)}`),
      );
      expect(mismatches).toEqual([]);
    });
  });
}
