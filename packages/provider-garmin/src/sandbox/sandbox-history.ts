import { SANDBOX_SPORTS, type SportSpec } from './sandbox-sports';
import { unitRandom } from './unit-random';

/**
 * Deterministic, streaming activity histories for the Garmin sandbox. An activity is computed from
 * (seed, index) on demand: a 100,000-activity history costs a few numbers of memory, and a window query
 * only computes the indexes that can fall in it.
 */

export interface GarminSummaryPayload {
  userId: string;
  summaryId: string;
  activityId: number;
  activityName?: string;
  activityType: string;
  startTimeInSeconds: number;
  startTimeOffsetInSeconds: number;
  durationInSeconds: number;
  distanceInMeters?: number;
  averageSpeedInMetersPerSecond?: number;
  maxSpeedInMetersPerSecond?: number;
  averagePaceInMinutesPerKilometer?: number;
  averageHeartRateInBeatsPerMinute?: number;
  maxHeartRateInBeatsPerMinute?: number;
  activeKilocalories?: number;
  totalElevationGainInMeters?: number;
  totalElevationLossInMeters?: number;
  startingLatitudeInDegree?: number;
  startingLongitudeInDegree?: number;
  steps?: number;
  deviceName?: string;
  manual?: boolean;
  isParent?: boolean;
  parentSummaryId?: string;
  isWebUpload?: boolean;
}

/** A summary and when it was uploaded (the pull endpoint's time axis). */
export interface StoredSummary {
  summary: GarminSummaryPayload;
  uploadTimeInSeconds: number;
}

const TRIATHLON: readonly SportSpec[] = [
  { type: 'OPEN_WATER_SWIMMING', label: 'Swim', speed: [0.8, 1.2], duration: [900, 1800] },
  { type: 'CYCLING', label: 'Bike', speed: [8, 11], duration: [3600, 7200] },
  { type: 'RUNNING', label: 'Run', speed: [3, 4], duration: [2400, 4200] },
];
const TRANSITION_S = 120;
/** Every `MULTISPORT_EVERY` indexes, three consecutive ones are the legs of a triathlon. */
const MULTISPORT_EVERY = 40;
const MULTISPORT_FIRST_LEG = 20;

const DEVICES = ['Forerunner 965', 'fenix 7', 'Edge 840', 'Venu 3', 'Forerunner 265', 'Instinct 2'];
const OFFSETS = [-25_200, -18_000, 0, 3_600, 7_200, 19_800, 36_000];

/** The longest time between an activity's nominal slot and its upload: start jitter, legs, duration, delay. */
const MAX_UPLOAD_LAG_S = 8 * 3600 + 36_000 + 3600;

const between = (r: number, [lo, hi]: readonly [number, number]) => lo + r * (hi - lo);
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface HistoryOptions {
  userId: string;
  /** Unique per user: activity ids are `idBase + 2 × index` (parents `+ 1`). */
  idBase: number;
  seed: number;
  count: number;
  /** Every activity is uploaded before this instant (epoch seconds). */
  endS: number;
  /** How many days the history spans. */
  days: number;
  /**
   * Runs of this many consecutive single activities share one start second, and are uploaded in the same
   * second (default 1: all distinct). Multisport legs keep their own times.
   */
  tieSize?: number;
}

/**
 * A generated history of `count` activities (multisport legs count as activities; their parent
 * summaries come in addition, uploaded with the first leg).
 */
export class GeneratedHistory {
  readonly count: number;
  private readonly spacing: number;
  private readonly beginS: number;
  private readonly offset: number;

  constructor(private readonly options: HistoryOptions) {
    this.count = options.count;
    const span = options.days * 86_400;
    this.spacing = options.count > 0 ? span / options.count : span;
    this.beginS = options.endS - span - MAX_UPLOAD_LAG_S;
    this.offset = OFFSETS[Math.floor(unitRandom(options.seed, 7) * OFFSETS.length)] ?? 0;
  }

  private nominal(index: number): number {
    return this.beginS + index * this.spacing;
  }

  private isLeg(index: number): { leg: number; first: number } | null {
    const pos = index % MULTISPORT_EVERY;
    const first = index - pos + MULTISPORT_FIRST_LEG;
    if (pos < MULTISPORT_FIRST_LEG || pos >= MULTISPORT_FIRST_LEG + TRIATHLON.length) return null;
    if (first + TRIATHLON.length > this.count) return null;
    return { leg: pos - MULTISPORT_FIRST_LEG, first };
  }

  private baseStart(index: number): number {
    const tie = Math.max(1, Math.floor(this.options.tieSize ?? 1));
    if (tie > 1 && !this.isLeg(index)) index -= index % tie;
    const jitter = unitRandom(this.options.seed, index, 1) * Math.min(this.spacing * 0.5, 3600);
    return Math.floor(this.nominal(index) + jitter);
  }

  private durationOf(index: number, sport: SportSpec): number {
    return Math.round(between(unitRandom(this.options.seed, index, 2), sport.duration));
  }

  /** The summaries stored at `index`: one activity, plus the parent when it is a multisport's first leg. */
  at(index: number): StoredSummary[] {
    const { seed, userId, idBase } = this.options;
    const leg = this.isLeg(index);
    if (!leg) {
      const sport = SANDBOX_SPORTS[(index + seed) % SANDBOX_SPORTS.length]!;
      const start = this.baseStart(index);
      const duration = this.durationOf(index, sport);
      const tie = Math.max(1, Math.floor(this.options.tieSize ?? 1));
      const lead = index - (index % tie);
      // a tie run is uploaded together: the same second for all of it
      const upload =
        tie > 1
          ? start + 36_000 + Math.round(unitRandom(seed, lead, 3) * 3600)
          : start + duration + Math.round(unitRandom(seed, index, 3) * 7200);
      const summary = this.summary(index, sport, start, duration);
      return [{ summary, uploadTimeInSeconds: upload }];
    }
    // A triathlon: legs back to back from the first leg's slot, uploaded together after the last one.
    let start = this.baseStart(leg.first);
    const legs: GarminSummaryPayload[] = [];
    for (let k = 0; k < TRIATHLON.length; k++) {
      const sport = TRIATHLON[k]!;
      const duration = this.durationOf(leg.first + k, sport);
      legs.push(this.summary(leg.first + k, sport, start, duration));
      start += duration + TRANSITION_S;
    }
    const upload = start + Math.round(unitRandom(seed, leg.first, 3) * 3600);
    const parentId = idBase + 2 * leg.first + 1;
    const mine = legs[leg.leg]!;
    mine.parentSummaryId = String(parentId);
    mine.activityName = `Triathlon - ${TRIATHLON[leg.leg]!.label}`;
    const out: StoredSummary[] = [{ summary: mine, uploadTimeInSeconds: upload }];
    if (leg.leg === 0) {
      const first = legs[0]!;
      const last = legs[legs.length - 1]!;
      const sum = (key: 'distanceInMeters' | 'activeKilocalories') =>
        legs.reduce((acc, l) => acc + (l[key] ?? 0), 0);
      out.unshift({
        uploadTimeInSeconds: upload,
        summary: {
          userId,
          summaryId: String(parentId),
          activityId: parentId,
          activityName: 'Triathlon',
          activityType: 'MULTI_SPORT',
          isParent: true,
          startTimeInSeconds: first.startTimeInSeconds,
          startTimeOffsetInSeconds: first.startTimeOffsetInSeconds,
          durationInSeconds: last.startTimeInSeconds + last.durationInSeconds - first.startTimeInSeconds,
          distanceInMeters: round(sum('distanceInMeters'), 1),
          activeKilocalories: Math.round(sum('activeKilocalories')),
          ...(first.deviceName ? { deviceName: first.deviceName } : {}),
        },
      });
    }
    return out;
  }

  /** A single (non-multisport) activity for `index` that ends at `endS`: added activities. */
  activityEndingAt(index: number, endS: number): GarminSummaryPayload {
    const sport = SANDBOX_SPORTS[(index + this.options.seed) % SANDBOX_SPORTS.length]!;
    const duration = this.durationOf(index, sport);
    return this.summary(index, sport, endS - duration, duration);
  }

  private summary(index: number, sport: SportSpec, start: number, duration: number): GarminSummaryPayload {
    const { seed, userId, idBase } = this.options;
    const r = (k: number) => unitRandom(seed, index, 10 + k);
    const id = idBase + 2 * index;
    const manual = index % 29 === 5;
    const localHour = new Date((start + this.offset) * 1000).getUTCHours();
    const part = localHour < 12 ? 'Morning' : localHour < 18 ? 'Afternoon' : 'Evening';
    const s: GarminSummaryPayload = {
      userId,
      summaryId: String(id),
      activityId: id,
      activityName: `${part} ${sport.label}`,
      activityType: sport.type,
      startTimeInSeconds: start,
      startTimeOffsetInSeconds: this.offset,
      durationInSeconds: duration,
      activeKilocalories: Math.round(duration * between(r(0), [0.08, 0.2])),
    };
    if (!sport.indoor && sport.speed) {
      const speed = between(r(1), sport.speed);
      s.distanceInMeters = round(speed * duration, 2);
      s.averageSpeedInMetersPerSecond = round(speed, 3);
      s.maxSpeedInMetersPerSecond = round(speed * between(r(2), [1.2, 1.8]), 3);
      s.averagePaceInMinutesPerKilometer = round(1000 / speed / 60, 3);
      s.totalElevationGainInMeters = round(between(r(3), [0, 800]), 1);
      s.totalElevationLossInMeters = round(between(r(4), [0, 800]), 1);
      if (!manual) {
        s.startingLatitudeInDegree = round(between(r(5), [-60, 60]), 6);
        s.startingLongitudeInDegree = round(between(r(6), [-170, 170]), 6);
      }
    }
    if (!manual && r(7) > 0.1) {
      const avg = Math.round(between(r(8), [105, 165]));
      s.averageHeartRateInBeatsPerMinute = avg;
      s.maxHeartRateInBeatsPerMinute = avg + Math.round(between(r(9), [10, 30]));
    }
    if (manual) s.manual = true;
    else s.deviceName = DEVICES[Math.floor(r(11) * DEVICES.length)]!;
    return s;
  }

  private indexRange(fromS: number, toS: number, lag: number): [number, number] {
    if (this.count === 0) return [0, -1];
    const lo = Math.max(0, Math.floor((fromS - lag - this.beginS) / this.spacing) - 1);
    const hi = Math.min(this.count - 1, Math.ceil((toS - this.beginS) / this.spacing) + 1);
    return [lo, hi];
  }

  /** Summaries uploaded in `[fromS, toS)`. */
  *uploadedBetween(fromS: number, toS: number): Generator<StoredSummary> {
    const [lo, hi] = this.indexRange(fromS, toS, MAX_UPLOAD_LAG_S);
    for (let i = lo; i <= hi; i++) {
      for (const s of this.at(i)) {
        if (s.uploadTimeInSeconds >= fromS && s.uploadTimeInSeconds < toS) yield s;
      }
    }
  }

  /** Summaries that started in `[fromS, toS)` (the backfill endpoint's time axis). */
  *startedBetween(fromS: number, toS: number): Generator<StoredSummary> {
    const [lo, hi] = this.indexRange(fromS, toS, MAX_UPLOAD_LAG_S);
    for (let i = lo; i <= hi; i++) {
      for (const s of this.at(i)) {
        const start = s.summary.startTimeInSeconds;
        if (start >= fromS && start < toS) yield s;
      }
    }
  }

  /** Finds a summary by id (ids encode the index). */
  find(summaryId: string): StoredSummary | null {
    const id = Number(summaryId);
    if (!Number.isInteger(id)) return null;
    const rel = id - this.options.idBase;
    const index = Math.floor(rel / 2);
    if (index < 0 || index >= this.count) return null;
    return this.at(index).find((s) => s.summary.summaryId === summaryId) ?? null;
  }
}
