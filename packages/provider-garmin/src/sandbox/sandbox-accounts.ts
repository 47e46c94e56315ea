import { createHash } from 'node:crypto';
import type { SandboxRecordedActivity, SandboxRecording } from '@trainlytics/core/testing';
import { generateActivityDetails, recordedActivityDetail } from './generate-activity-details';
import { GARMIN_PERMISSIONS } from './sandbox-consent-page';
import { type GarminSummaryPayload, GeneratedHistory } from './sandbox-history';
import { findSummary, type SandboxUser } from './sandbox-user';

/** An activity added with `addActivity`: chosen upload and start times (a late upload, a tie), any fields. */
export interface AddedGarminActivity {
  /** Upload time (epoch seconds); default now. */
  uploadTimeInSeconds?: number;
  /** Start time (epoch seconds); default: it ends a minute before its upload. */
  startTimeInSeconds?: number;
  /** Any other summary fields (`activityType`, `activityName`, …). */
  fields?: Partial<GarminSummaryPayload>;
  /** An `activityId` beyond 2^53, kept exact as a decimal string and written as a JSON number. */
  largeActivityId?: bigint;
}

/** What `seedAccount` takes (see `HistoryOptions` for `tieSize`). */
export interface SeedOptions {
  activityCount: number;
  seed?: number;
  days?: number;
  tieSize?: number;
}

/**
 * The sandbox's Garmin Connect users and their activities: creating users with generated histories, and
 * what a user does in Garmin Connect afterwards (records, edits, deletes). Nothing here notifies the app.
 */
export class SandboxAccounts {
  private readonly users = new Map<string, SandboxUser>();
  private counter = 0;

  constructor(
    private readonly seed: number,
    private readonly nowS: () => number,
  ) {}

  /** Creates a user with a generated history (see `GarminSandbox.seedAccount`); returns the user id. */
  create(options: SeedOptions): string {
    const number = ++this.counter;
    const seed = options.seed ?? this.seed * 1000 + number;
    const userId = createHash('sha256')
      .update(`garmin-sandbox-user:${this.seed}:${number}:${seed}`)
      .digest('hex')
      .slice(0, 32);
    const days = options.days ?? Math.min(365, Math.max(1, Math.ceil(options.activityCount / 4)));
    const history = new GeneratedHistory({
      userId,
      idBase: (1000 + number) * 10_000_000,
      seed,
      count: options.activityCount,
      endS: this.nowS() - 60,
      days,
      ...(options.tieSize === undefined ? {} : { tieSize: options.tieSize }),
    });
    this.users.set(userId, {
      userId,
      history,
      extras: [],
      hidden: new Set(),
      permissions: [...GARMIN_PERMISSIONS],
      registered: true,
      backfills: new Set(),
    });
    return userId;
  }

  has(userId: string): boolean {
    return this.users.has(userId);
  }

  /** Every user id, oldest first. */
  ids(): string[] {
    return [...this.users.keys()];
  }

  /** The user; throws for an unknown id (a test's mistake, not an API answer). */
  get(userId: string): SandboxUser {
    const user = this.users.get(userId);
    if (!user) throw new Error(`Garmin sandbox has no user ${userId}`);
    return user;
  }

  /** A current summary of the user, or an error naming it. */
  summary(user: SandboxUser, summaryId: string) {
    const found = findSummary(user, summaryId);
    if (!found) throw new Error(`Garmin sandbox user ${user.userId} has no summary ${summaryId}`);
    return found;
  }

  addActivities(userId: string, count: number): string[] {
    const user = this.get(userId);
    const now = this.nowS();
    const ids: string[] = [];
    for (let k = 0; k < count; k++) {
      const index = user.history.count + user.extras.length;
      const summary = user.history.activityEndingAt(index, now - 60 * (count - k));
      user.extras.push({ summary, uploadTimeInSeconds: now });
      ids.push(summary.summaryId);
    }
    return ids;
  }

  addActivity(userId: string, activity: AddedGarminActivity): string {
    const user = this.get(userId);
    const upload = activity.uploadTimeInSeconds ?? this.nowS();
    const index = user.history.count + user.extras.length;
    const generated = user.history.activityEndingAt(index, upload - 60);
    const start = activity.startTimeInSeconds ?? generated.startTimeInSeconds;
    const summary: GarminSummaryPayload = { ...generated, startTimeInSeconds: start, ...activity.fields };
    if (activity.largeActivityId !== undefined) {
      // kept exact in memory, written as a JSON number (see `garminJson`)
      (summary as { activityId: unknown }).activityId = activity.largeActivityId.toString();
    }
    user.extras.push({ summary, uploadTimeInSeconds: upload });
    return summary.summaryId;
  }

  /** An edit in Garmin Connect: the changed summary is uploaded again at `uploadTimeInSeconds`. */
  updateActivity(
    userId: string,
    summaryId: string,
    patch: Partial<GarminSummaryPayload>,
    uploadTimeInSeconds: number,
  ): void {
    const user = this.get(userId);
    const found = this.summary(user, summaryId);
    user.extras = user.extras.filter((s) => s.summary.summaryId !== summaryId);
    user.hidden.add(summaryId);
    user.extras.push({ summary: { ...found.summary, ...patch, summaryId }, uploadTimeInSeconds });
  }

  deleteActivity(userId: string, summaryId: string): void {
    const user = this.get(userId);
    user.extras = user.extras.filter((s) => s.summary.summaryId !== summaryId);
    user.hidden.add(summaryId);
  }

  /** See `GarminSandbox.addRecordedActivity`. */
  addRecordedActivity(userId: string, recording: SandboxRecording): SandboxRecordedActivity {
    const user = this.get(userId);
    const now = this.nowS();
    const index = user.history.count + user.extras.length;
    const own = user.history.activityEndingAt(index, now - 60);
    for (let k = index; k < index + 1000; k++) {
      const candidate = user.history.activityEndingAt(k, now - 60);
      const kind: SandboxRecording = candidate.manual
        ? 'manual'
        : candidate.startingLatitudeInDegree !== undefined && candidate.activityType !== 'LAP_SWIMMING'
          ? 'outdoor'
          : 'indoor';
      if (kind !== recording || candidate.durationInSeconds > 4 * 3600) continue;
      // a start no other added activity has (within the plugin's backfill window), so the backfill
      // requested for this activity's details delivers this activity's only
      const start = candidate.startTimeInSeconds;
      if (user.extras.some((s) => Math.abs(s.summary.startTimeInSeconds - start) <= 2)) continue;
      const summary = { ...candidate, summaryId: own.summaryId, activityId: own.activityId };
      user.extras.push({ summary, uploadTimeInSeconds: now });
      const detail = generateActivityDetails(summary);
      return {
        providerActivityId: summary.summaryId,
        recorded: detail ? recordedActivityDetail(detail) : null,
      };
    }
    throw new Error(`Garmin sandbox: no ${recording} activity among the next generated ones`);
  }
}
