import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createSportTypeMapper, SPORT_TYPE_DEFINITIONS, type SportType } from '@trainlytics/core';
// The plugins are the one source of truth for their sports; they are imported through the workspace and not
// declared as devDependencies (each plugin already depends on this package for its tests: a cycle).
import {
  GARMIN_DOCUMENTED_ACTIVITY_TYPES,
  GARMIN_SPORT_TYPES,
  mapGarminSportType,
} from '@trainlytics/provider-garmin';
import {
  mapPolarSportType,
  POLAR_DETAILED_SPORT_TYPES,
  POLAR_DOCUMENTED_SPORTS,
} from '@trainlytics/provider-polar';
import {
  mapStravaActivity,
  STRAVA_DOCUMENTED_SPORT_TYPES,
  STRAVA_SPORT_TYPES,
} from '@trainlytics/provider-strava';
import { describe, expect, it } from 'vitest';
import { MigrationDownRefusedError, migrate, migrationsDir, planDown } from '../src/index.js';
import { kinds, snapshot, useTestDatabase } from './helpers.js';
import { GARMIN_V1, POLAR_DETAILED_V1, POLAR_SPORT_V1, STRAVA_V1 } from './sport-mapping-v1.js';

const FILE = '012_sport_vocabulary_v2';
const v1 = (table: Readonly<Record<string, string>>) =>
  createSportTypeMapper(table as Readonly<Record<string, SportType>>);
const stravaV1 = v1(STRAVA_V1);
const garminV1 = v1(GARMIN_V1);
const polarDetailedV1 = v1(POLAR_DETAILED_V1);
const polarSportV1 = v1(POLAR_SPORT_V1);
const indoorV1: Record<string, string> = {
  ride: 'indoor_ride',
  run: 'treadmill_run',
  rowing: 'indoor_rowing',
};

interface Row {
  provider: 'strava' | 'garmin' | 'polar';
  id: string;
  providerSportType: string | null;
  raw: Record<string, unknown> | null;
  /** What an SDK of version 1 stored (or what the app set, for an edited row). */
  stored: string;
  /** What the row holds after 012: the plugin's current mapping, or the app's value. */
  expected: string;
  edited: boolean;
}

/** Every name documented or known to either version, in its own case and in lower case, and one unknown. */
function names(...lists: (readonly string[])[]): string[] {
  const all = [...new Set(lists.flat()), 'Underwater hockey'];
  return [...all, ...all.map((n) => n.toLowerCase()).filter((n) => !all.includes(n))];
}

/**
 * Activities as an SDK of version 1 stored them, for every provider name: Strava on a trainer or not, with
 * `sport_type` or only the deprecated `type` or no raw payload; Polar with each coarse `sport` and either
 * casing of `detailed_sport_info`. Every seventh row was edited by the app: it holds a value version 1 would
 * not have given, which 012 must keep.
 */
function storedActivities(): Row[] {
  const rows: Row[] = [];
  const push = (row: Omit<Row, 'id' | 'edited' | 'stored'> & { v1: string }) => {
    const edited = rows.length % 7 === 3;
    const { v1: value, ...rest } = row;
    const stored = edited ? (value === 'other' ? 'walk' : 'other') : value;
    rows.push({
      ...rest,
      id: String(rows.length + 1),
      stored,
      edited,
      expected: edited ? stored : row.expected,
    });
  };
  for (const [i, name] of names(
    STRAVA_DOCUMENTED_SPORT_TYPES,
    Object.keys(STRAVA_SPORT_TYPES),
    Object.keys(STRAVA_V1),
  ).entries()) {
    for (const trainer of [false, true]) {
      const shape = i % 3;
      const raw: Record<string, unknown> = {
        id: 8_000_000_000 + rows.length,
        ...(shape === 1 ? {} : { sport_type: name }),
        type: name,
        trainer,
        start_date: '2024-01-01T10:00:00Z',
        start_date_local: '2024-01-01T11:00:00Z',
        utc_offset: 3600,
      };
      const before = stravaV1(name);
      push({
        provider: 'strava',
        providerSportType: name,
        raw: shape === 2 && !trainer ? null : raw,
        v1: trainer ? (indoorV1[before] ?? before) : before,
        expected: mapStravaActivity(raw as never, raw).sportType,
      });
    }
  }
  for (const name of names(
    GARMIN_DOCUMENTED_ACTIVITY_TYPES,
    Object.keys(GARMIN_SPORT_TYPES),
    Object.keys(GARMIN_V1),
  )) {
    push({
      provider: 'garmin',
      providerSportType: name,
      raw: { summaryId: `s-${rows.length}`, activityType: name },
      v1: garminV1(name),
      expected: mapGarminSportType(name),
    });
  }
  const detailedNames = names(
    POLAR_DOCUMENTED_SPORTS,
    Object.keys(POLAR_DETAILED_SPORT_TYPES),
    Object.keys(POLAR_DETAILED_V1),
  );
  for (const [i, detailed] of [...detailedNames, null].entries()) {
    for (const sport of [null, 'OTHER', 'RUNNING', 'cycling']) {
      const key = i % 2 === 0 ? 'detailed_sport_info' : 'detailed-sport-info';
      const before = polarDetailedV1(detailed);
      push({
        provider: 'polar',
        providerSportType: detailed ?? sport,
        raw: { id: `p-${rows.length}`, sport, ...(detailed === null ? {} : { [key]: detailed }) },
        v1: before !== 'other' ? before : polarSportV1(sport),
        expected: mapPolarSportType(detailed, sport),
      });
    }
  }
  return rows;
}

describe.each(kinds)('012: sport vocabulary version 2, on %s', (kind) => {
  const t = useTestDatabase(kind);

  async function seed(rows: Row[]) {
    await migrate(t.input, { to: '010' });
    await t.db.exec(`insert into users (id, email) values (1, 'sports@example.com')`);
    await t.db.exec(
      `insert into provider_connections (user_id, provider, provider_user_id, access_token)
       values (1, 'strava', 's', 'a'), (1, 'garmin', 'g', 'a'), (1, 'polar', 'p', 'a')`,
    );
    await t.db.query(
      `insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type,
                               provider_sport_type, raw)
       select 1, c.id, c.provider, r ->> 'id', 'activity ' || (r ->> 'id'), r ->> 'stored',
              r ->> 'providerSportType', r -> 'raw'
       from jsonb_array_elements($1::jsonb) r join provider_connections c on c.provider::text = r ->> 'provider'`,
      [JSON.stringify(rows)],
    );
  }

  const sports = async () =>
    new Map(
      (
        await t.rows<{ key: string; sport_type: string }>(
          `select provider::text || ':' || provider_activity_id as key, sport_type from activities`,
        )
      ).map((r) => [r.key, r.sport_type]),
    );

  it('moves every row version 1 stored onto the plugins’ mapping, keeps what the app set, re-runs as a no-op', async () => {
    const rows = storedActivities();
    await seed(rows);
    await migrate(t.input);
    const after = await sports();
    expect(after.size).toBe(rows.length);
    const disagreements = rows
      .filter((r) => after.get(`${r.provider}:${r.id}`) !== r.expected)
      .map(
        (r) =>
          `${r.provider} ${r.providerSportType} ${JSON.stringify(r.raw)}: got ${after.get(`${r.provider}:${r.id}`)}, expected ${r.expected}`,
      );
    expect(disagreements).toEqual([]);
    // The rows that were `other` and are no longer: the migration did change something.
    expect(rows.filter((r) => r.stored === 'other' && r.expected !== 'other').length).toBeGreaterThan(250);

    const once = await snapshot(t.db);
    await t.db.exec(await readFile(path.join(migrationsDir, `${FILE}.sql`), 'utf8'));
    expect(await snapshot(t.db)).toEqual(once);
  });

  it('reverts losslessly to what version 1 stored, and up again gives the same sports', async () => {
    const rows = storedActivities();
    await seed(rows);
    await migrate(t.input);
    const up = await sports();
    expect(await planDown(t.input, { to: '010' })).toMatchObject({ losses: [] });
    await migrate(t.input, { direction: 'down', to: '010' });
    const down = await sports();
    const wrong = rows
      .filter((r) => down.get(`${r.provider}:${r.id}`) !== r.stored)
      .map(
        (r) =>
          `${r.provider} ${r.providerSportType}: got ${down.get(`${r.provider}:${r.id}`)}, stored ${r.stored}`,
      );
    expect(wrong).toEqual([]);
    // the down file pasted twice changes nothing more
    const once = await snapshot(t.db);
    await t.db.exec(await readFile(path.join(migrationsDir, `${FILE}.down.sql`), 'utf8'));
    expect(await snapshot(t.db)).toEqual(once);
    await migrate(t.input);
    expect(await sports()).toEqual(up);
  });

  it('refuses to revert a version 2 sport it could not derive again, unless forced', async () => {
    await seed([]);
    await migrate(t.input);
    await t.db.exec(`
      insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type, provider_sport_type, raw)
      select 1, id, provider, 'set-by-app', 'Club night', 'tennis', 'RUNNING', '{"activityType": "RUNNING"}'
      from provider_connections where provider = 'garmin';
      insert into activities (user_id, connection_id, provider, provider_activity_id, name, sport_type, provider_sport_type, raw)
      select 1, id, provider, 'synced', 'Club night', 'tennis', 'TENNIS_V2', '{"activityType": "TENNIS_V2"}'
      from provider_connections where provider = 'garmin';
    `);
    const plan = await planDown(t.input, { to: '010' });
    expect(plan.losses).toEqual([
      {
        file: `${FILE}.down.sql`,
        lost: [
          'activities: 1 garmin activit(ies) carry a sport type of vocabulary version 2 that 012 would not derive again (they would become other)',
        ],
      },
    ]);
    const before = await snapshot(t.db);
    await expect(migrate(t.input, { direction: 'down', to: '010' })).rejects.toBeInstanceOf(
      MigrationDownRefusedError,
    );
    expect(await snapshot(t.db)).toEqual(before);
    await migrate(t.input, { direction: 'down', to: '010', force: true });
    expect(await sports()).toEqual(
      new Map([
        ['garmin:set-by-app', 'other'],
        ['garmin:synced', 'other'],
      ]),
    );
  });

  it('lists in its down file exactly the ids version 2 added', async () => {
    const down = await readFile(path.join(migrationsDir, `${FILE}.down.sql`), 'utf8');
    const added = SPORT_TYPE_DEFINITIONS.filter((d) => d.since === 2).map((d) => `'${d.id}'`);
    const arrays = [...down.matchAll(/any \(array\[([^\]]*)\]\)/g)].map((m) => m[1]!.split(', '));
    expect(arrays).toHaveLength(2);
    for (const list of arrays) expect([...list].sort()).toEqual([...added].sort());
  });
});
