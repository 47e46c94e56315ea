import type { SportType } from '@trainlytics/core';
import { mulberry32 } from '../../src/testing/seeded-random';

/**
 * A labelled corpus for cross-provider matching (migration 014, ADR 0024), generated from a seed: the same
 * athletes on Garmin, Strava and Polar, with every case the issue names. Each activity carries the key of the
 * real workout it records (`workout`): two activities are the same workout exactly when their keys are equal.
 */
export type CorpusProvider = 'garmin' | 'strava' | 'polar';

export interface CorpusActivity {
  user: number;
  provider: CorpusProvider;
  providerActivityId: string;
  workout: string;
  scenario: string;
  sportType: SportType;
  startDate: Date;
  elapsedTimeS: number;
  distanceM: number | null;
  raw: Record<string, unknown>;
}

/** mulberry32: a small deterministic PRNG. */
export const random = mulberry32;

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 5, 6, 0, 0);

export function generateCorpus(seed: number, users = 12, days = 28): CorpusActivity[] {
  const rnd = random(seed);
  const between = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const int = (lo: number, hi: number) => Math.floor(between(lo, hi + 1));
  const out: CorpusActivity[] = [];
  let serial = 0;
  const garminId = () => 20_000_000_000 + ++serial * 7;
  const id = (p: string) => `${p}-${++serial}`;

  function add(
    user: number,
    provider: CorpusProvider,
    workout: string,
    scenario: string,
    sportType: SportType,
    start: number,
    seconds: number,
    metres: number | null,
    raw: Record<string, unknown> = {},
    providerActivityId = id(provider[0]!),
  ) {
    out.push({
      user,
      provider,
      providerActivityId,
      workout,
      scenario,
      sportType,
      startDate: new Date(Math.round(start / 1000) * 1000),
      elapsedTimeS: Math.round(seconds),
      distanceM: metres === null ? null : Math.round(metres * 10) / 10,
      raw,
    });
  }

  /** A Garmin recording and its Strava copy (Garmin Connect's auto-upload), with or without `external_id`. */
  function garminToStrava(
    user: number,
    w: string,
    scenario: string,
    sport: SportType,
    start: number,
    s: number,
    m: number | null,
    withExternalId: boolean,
  ) {
    const activityId = garminId();
    add(user, 'garmin', w, scenario, sport, start, s, m, { activityId }, `${activityId}`);
    add(
      user,
      'strava',
      w,
      scenario,
      sport,
      start + int(0, 2) * 1000,
      s - int(0, 5),
      m === null ? null : m * between(0.995, 1.005),
      withExternalId ? { external_id: `garmin_push_${activityId}` } : {},
    );
  }

  for (let user = 1; user <= users; user++) {
    for (let day = 0; day < days; day++) {
      const morning = BASE + day * DAY + int(0, 90) * 60_000;
      const w = (n: number) => `u${user}-d${day}-w${n}`;
      const kind = (user * 31 + day * 7 + int(0, 3)) % 10;
      switch (kind) {
        case 0:
          garminToStrava(
            user,
            w(0),
            'garmin→strava with external_id',
            'run',
            morning,
            between(1800, 5400),
            between(5000, 16000),
            true,
          );
          break;
        case 1:
          garminToStrava(
            user,
            w(0),
            'garmin→strava without external_id',
            'ride',
            morning,
            between(3600, 10800),
            between(25000, 90000),
            false,
          );
          break;
        case 2: {
          // Polar Flow → Strava: no id in common
          const s = between(1800, 4800);
          const m = between(5000, 14000);
          add(user, 'polar', w(0), 'polar→strava', 'run', morning, s, m, { id: `pX${serial}` });
          add(
            user,
            'strava',
            w(0),
            'polar→strava',
            'run',
            morning + int(0, 3) * 1000,
            s - int(0, 3),
            m * between(0.99, 1.01),
          );
          break;
        }
        case 3: {
          // two devices on one athlete, clock skew up to 90 s, each stops its own recording
          const s = between(2400, 6000);
          const m = between(8000, 20000);
          add(user, 'garmin', w(0), 'two devices, clock skew', 'trail_run', morning, s, m, {
            activityId: garminId(),
          });
          add(
            user,
            'polar',
            w(0),
            'two devices, clock skew',
            'run',
            morning + int(-90, 90) * 1000,
            s + int(-60, 60),
            m * between(0.97, 1.03),
          );
          break;
        }
        case 4: {
          // back-to-back intervals recorded as separate activities, each uploaded to Strava
          let t = morning;
          for (let n = 0; n < 3; n++) {
            const s = between(420, 600);
            garminToStrava(user, w(n), 'back-to-back intervals', 'run', t, s, s * between(3.5, 4.5), false);
            t += (s + between(60, 120)) * 1000;
          }
          break;
        }
        case 5: {
          // a run on the watch and a ride on Strava in the same hour: two workouts
          const run = between(1200, 2400);
          add(user, 'garmin', w(0), 'run and ride in the same hour', 'run', morning, run, run * 3.2, {
            activityId: garminId(),
          });
          add(
            user,
            'strava',
            w(1),
            'run and ride in the same hour',
            'ride',
            morning + int(0, 240) * 1000,
            between(1800, 3600),
            between(15000, 30000),
          );
          break;
        }
        case 6: {
          // indoor: a trainer app's virtual ride (virtual distance) and the watch's indoor ride (no distance)
          const s = between(2700, 5400);
          add(
            user,
            'strava',
            w(0),
            'indoor trainer app + watch',
            'virtual_ride',
            morning,
            s,
            between(20000, 45000),
            { external_id: `zwift-${serial}.fit` },
          );
          add(
            user,
            'garmin',
            w(0),
            'indoor trainer app + watch',
            'indoor_ride',
            morning + int(-60, 60) * 1000,
            s + int(-90, 30),
            null,
            { activityId: garminId() },
          );
          break;
        }
        case 7: {
          // multisport: Garmin records legs; each leg goes to Strava on its own
          let t = morning;
          const legs: [SportType, number, number][] = [
            ['open_water_swim', between(1200, 2000), 1500],
            ['ride', between(3600, 5000), 40000],
            ['run', between(2400, 3200), 10000],
          ];
          legs.forEach(([sport, s, m], n) => {
            garminToStrava(user, w(n), 'multisport legs', sport, t, s, m * between(0.95, 1.05), true);
            t += (s + between(90, 240)) * 1000;
          });
          break;
        }
        case 8:
          // one provider only
          add(user, 'strava', w(0), 'single', 'walk', morning, between(1200, 3600), between(1500, 5000));
          add(
            user,
            'garmin',
            w(1),
            'single',
            'strength_training',
            morning + 6 * 3_600_000,
            between(1800, 3600),
            null,
            { activityId: garminId() },
          );
          break;
        default: {
          // a group ride: another athlete records the same ride at the same time (never merged across users)
          const other = (user % users) + 1;
          const s = between(3600, 7200);
          const m = between(30000, 70000);
          garminToStrava(user, w(0), 'group ride (other athlete same time)', 'ride', morning, s, m, false);
          add(
            other,
            'strava',
            `u${other}-grp-${user}-${day}`,
            'group ride (other athlete same time)',
            'ride',
            morning + 3000,
            s,
            m,
          );
        }
      }
    }
  }
  return out;
}
