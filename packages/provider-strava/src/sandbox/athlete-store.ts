import type { Clock } from '@trainlytics/core';
import { buildActivity } from './generate-activity';
import { athleteName } from './generate-athlete';
import {
  createHistory,
  generatedIndex,
  generatedStartMs,
  type HistoryShape,
  idBase,
  type SandboxActivity,
} from './generate-history';
import { activitiesInListOrder, type ListWindow } from './list-order';
import { findActivity, type SandboxAccount } from './sandbox-account';
import { isoSeconds } from './strava-json';

const DAY_MS = 86_400_000;

/**
 * A generated athlete. The history's awkward shapes (`HistoryShape`): `tieSize` (runs sharing one start
 * second), `startSeconds` (explicit starts, duplicates allowed), `unsafeIds` (every id beyond 2^53),
 * `sportTypes` (default every documented SportType, cycled).
 */
export interface SeedAthleteOptions extends HistoryShape {
  activityCount: number;
  seed?: number;
  /** Choose the athlete id (default: generated). */
  athleteId?: string | number;
  firstname?: string;
  lastname?: string;
  /** Where the generated history ends (default: the sandbox clock's now). */
  historyEnd?: Date;
  /** Give the newest generated activity an id beyond 2^53 (default true). */
  unsafeNewestId?: boolean;
}

/** An edit through `updateActivity`: any SummaryActivity fields (a new `start_date` moves the activity). */
export type ActivityPatch = Partial<Omit<SandboxActivity, 'id'>>;

/**
 * The sandbox's athletes and their activities: seeding, uploads now or at a chosen start, edits that
 * move an activity, deletions, and reading in list order. Every method throws for an unknown athlete.
 */
export class AthleteStore {
  private readonly accounts = new Map<string, SandboxAccount>();
  private nextAccountNumber = 1;

  constructor(private readonly clock: Clock) {}

  /** Creates an athlete with a generated history; returns its id. */
  seed(options: SeedAthleteOptions): string {
    const number = this.nextAccountNumber++;
    const athleteId = String(options.athleteId ?? 20_000_000 + number * 7919);
    if (this.accounts.has(athleteId)) throw new Error(`Athlete ${athleteId} already exists in the sandbox`);
    const seed = options.seed ?? number;
    const now = this.clock.now().getTime();
    const history = createHistory({
      accountNumber: number,
      athleteId,
      seed,
      count: options.activityCount,
      endMs: options.historyEnd?.getTime() ?? Math.floor(now / 1000) * 1000,
      ...(options.unsafeNewestId === undefined ? {} : { unsafeNewestId: options.unsafeNewestId }),
      ...(options.tieSize === undefined ? {} : { tieSize: options.tieSize }),
      ...(options.startSeconds === undefined ? {} : { startSeconds: options.startSeconds }),
      ...(options.unsafeIds === undefined ? {} : { unsafeIds: options.unsafeIds }),
      ...(options.sportTypes === undefined ? {} : { sportTypes: options.sportTypes }),
    });
    const name = athleteName(seed);
    this.accounts.set(athleteId, {
      number,
      athleteId,
      seed,
      firstname: options.firstname ?? name.firstname,
      lastname: options.lastname ?? name.lastname,
      history,
      extras: [],
      moved: new Set(),
      deleted: new Set(),
      nextIndex: history.count,
      createdAt: isoSeconds(now - 5 * 365 * DAY_MS),
    });
    return athleteId;
  }

  has(athleteId: string): boolean {
    return this.accounts.has(athleteId);
  }

  /** Every athlete, in seeding order. */
  all(): SandboxAccount[] {
    return [...this.accounts.values()];
  }

  get(athleteId: string): SandboxAccount {
    const account = this.accounts.get(athleteId);
    if (!account) throw new Error(`No athlete ${athleteId} in the Strava sandbox`);
    return account;
  }

  /** Adds `count` activities uploaded now, each starting after every earlier one. Returns their ids. */
  addUploadedNow(athleteId: string, count: number): string[] {
    const account = this.get(athleteId);
    const now = Math.floor(this.clock.now().getTime() / 1000) * 1000;
    const lastStart = Math.max(
      account.history.count > 0 ? generatedStartMs(account.history, account.history.count - 1) : 0,
      ...account.extras.map((a) => Date.parse(a.start_date)),
    );
    const ids: string[] = [];
    for (let k = 0; k < count; k++) {
      // Uploaded now: starts just before now, strictly after every earlier activity.
      const startMs = Math.max(lastStart + (k + 1) * 1000, now - (count - k) * 60_000);
      ids.push(this.insert(account, startMs, {}));
    }
    return ids;
  }

  /** Adds one activity starting at `startMs` (rounded down to the second), `fields` overriding. */
  addStartingAt(athleteId: string, startMs: number, fields: ActivityPatch): string {
    return this.insert(this.get(athleteId), Math.floor(startMs / 1000) * 1000, fields);
  }

  /** Edits an activity (a new `start_date` moves it in the list). Throws when it does not exist. */
  update(athleteId: string, activityId: string, patch: ActivityPatch): void {
    const account = this.get(athleteId);
    const current = this.activity(athleteId, activityId);
    if (!current) throw new Error(`No activity ${activityId} of athlete ${athleteId} in the sandbox`);
    const next: SandboxActivity = { ...current, ...patch, id: current.id };
    if (typeof patch.start_date === 'string') {
      next.start_date = isoSeconds(Math.floor(Date.parse(patch.start_date) / 1000) * 1000);
    }
    account.extras = account.extras.filter((a) => a.id !== activityId);
    if (generatedIndex(account.history, activityId) !== null) account.moved.add(activityId);
    insertSorted(account, next);
  }

  delete(athleteId: string, activityId: string): void {
    this.get(athleteId).deleted.add(activityId);
  }

  /** How many activities the athlete has now (deleted ones excluded). */
  count(athleteId: string): number {
    const account = this.get(athleteId);
    let deleted = 0;
    for (const id of account.deleted) if (findActivity(account, id)) deleted++;
    return account.history.count - account.moved.size + account.extras.length - deleted;
  }

  /** An activity's current SummaryActivity, or null (unknown or deleted). */
  activity(athleteId: string, activityId: string): SandboxActivity | null {
    const account = this.get(athleteId);
    return account.deleted.has(activityId) ? null : findActivity(account, activityId);
  }

  /** The athlete's current activities in a window, in list order (see `activitiesInListOrder`). */
  inListOrder(athleteId: string, window: ListWindow): Generator<SandboxActivity> {
    return activitiesInListOrder(this.get(athleteId), window);
  }

  /** Ids of the athlete's current activities, newest first: those `where` keeps, at most `limit`. */
  ids(
    athleteId: string,
    options: { limit?: number; where?: (activity: SandboxActivity) => boolean } = {},
  ): string[] {
    const out: string[] = [];
    const window = { afterMs: null, beforeMs: null, ascending: false };
    for (const a of this.inListOrder(athleteId, window)) {
      if (out.length >= (options.limit ?? Number.POSITIVE_INFINITY)) break;
      if (!options.where || options.where(a)) out.push(a.id);
    }
    return out;
  }

  private insert(account: SandboxAccount, startMs: number, fields: ActivityPatch): string {
    const index = account.nextIndex++;
    const id = String(idBase(account.number, account.history.unsafeIds) + BigInt(index));
    const built = buildActivity({
      id,
      athleteId: account.athleteId,
      seed: account.seed,
      index,
      startMs,
      sportTypes: account.history.sportTypes,
    });
    insertSorted(account, { ...built, ...fields, id });
    return id;
  }
}

function insertSorted(account: SandboxAccount, activity: SandboxActivity): void {
  account.extras.push(activity);
  account.extras.sort((a, b) => Date.parse(a.start_date) - Date.parse(b.start_date));
}
