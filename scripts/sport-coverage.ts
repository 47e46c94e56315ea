// The share of each provider's documented sport types that land in `other`, with the vocabulary-version-1
// mappings (as released before migration 012) and with the plugins' current ones. Prints a Markdown table
// (README "Sport types" and BENCHMARKS.md quote it):
//
//   npx tsx --conditions=@trainlytics/source scripts/sport-coverage.ts
import { createSportTypeMapper, type SportType, sportTypeCoverage } from '@trainlytics/core';
import {
  GARMIN_V1,
  POLAR_DETAILED_V1,
  POLAR_SPORT_V1,
  STRAVA_V1,
} from '../packages/migrations/test/sport-mapping-v1.ts';
import {
  GARMIN_DOCUMENTED_ACTIVITY_TYPES,
  mapGarminSportType,
} from '../packages/provider-garmin/src/index.ts';
import { mapPolarSportType, POLAR_DOCUMENTED_SPORTS } from '../packages/provider-polar/src/index.ts';
import { mapStravaSportType, STRAVA_DOCUMENTED_SPORT_TYPES } from '../packages/provider-strava/src/index.ts';

const v1 = (table: Readonly<Record<string, string>>) =>
  createSportTypeMapper(table as Readonly<Record<string, SportType>>);
const polarV1Detailed = v1(POLAR_DETAILED_V1);
const polarV1Sport = v1(POLAR_SPORT_V1);

const providers = [
  {
    name: 'Strava `SportType`',
    documented: STRAVA_DOCUMENTED_SPORT_TYPES,
    before: v1(STRAVA_V1),
    after: mapStravaSportType,
  },
  {
    name: 'Garmin `activityType`',
    documented: GARMIN_DOCUMENTED_ACTIVITY_TYPES,
    before: v1(GARMIN_V1),
    after: mapGarminSportType,
  },
  {
    name: 'Polar `detailed_sport_info`',
    documented: POLAR_DOCUMENTED_SPORTS,
    // a Polar exercise with only its detailed sport (version 1 fell back to the coarse `sport`, none here)
    before: (n: string) => (polarV1Detailed(n) !== 'other' ? polarV1Detailed(n) : polarV1Sport(null)),
    after: (n: string) => mapPolarSportType(n, null),
  },
];

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
console.log('| documented list | types | `other` before (v1) | `other` after (v2) | still `other` |');
console.log('| --- | ---: | ---: | ---: | --- |');
for (const p of providers) {
  const before = sportTypeCoverage(p.documented, p.before);
  const after = sportTypeCoverage(p.documented, p.after);
  console.log(
    `| ${p.name} | ${p.documented.length} | ${before.other.length} (${pct(before.otherShare)}) | ` +
      `${after.other.length} (${pct(after.otherShare)}) | ${after.other.join(', ') || '—'} |`,
  );
}
