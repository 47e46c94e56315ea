import type { ActivityGroup, ActivityRow, CanonicalActivityRow, Store } from '@trainlytics/core';

/**
 * One row of the dashboard's activity list: one real workout (migration 014's `canonical_activities`,
 * docs/decisions/0024-cross-provider-dedupe.md), with the providers its copies came from, canonical first.
 */
export type Workout = CanonicalActivityRow;

export interface TimelineQuery {
  /** Absent: every user's (an admin's API call without `?user=`). */
  userId?: number;
  limit: number;
  before?: Date;
}

/**
 * The user's workouts, newest first: the store's canonical activities, or (a store written before migration
 * 014's methods) every activity as a workout of its own.
 */
export async function listWorkouts(store: Store, query: TimelineQuery): Promise<Workout[]> {
  if (store.listCanonicalActivities) return store.listCanonicalActivities(query);
  return (await store.listActivities(query)).map(workoutOf);
}

function workoutOf(a: ActivityRow): Workout {
  return {
    id: a.id,
    userId: a.userId,
    connectionId: a.connectionId,
    provider: a.provider,
    providerActivityId: a.providerActivityId,
    name: a.name,
    sportType: a.sportType,
    startDate: a.startDate,
    startDateLocal: a.startDateLocal,
    utcOffsetS: a.utcOffsetS,
    elapsedTimeS: a.elapsedTimeS,
    movingTimeS: a.movingTimeS,
    distanceM: a.distanceM,
    totalElevationGainM: a.totalElevationGainM,
    averageHeartrate: a.averageHeartrate,
    maxHeartrate: a.maxHeartrate,
    calories: a.calories,
    deviceName: a.deviceName,
    providers: a.provider ? [a.provider] : [],
    activityIds: [a.id],
  };
}

/**
 * At least `limit` workouts that `keep` accepts (or all that are left), newest first, starting before
 * `until`. The store filters by user only, so this reads the user's workouts in batches (keyset on the
 * start) and keeps the matching ones: a batch that ends inside a run of workouts sharing a start keeps that
 * run for the next batch, so none is skipped or read twice. It reads at most the user's whole history (a
 * rare sport or provider on a long history costs a scan of it).
 */
export async function listMatchingWorkouts(
  store: Store,
  userId: number | undefined,
  keep: (w: Workout) => boolean,
  until: Date | null,
  limit: number,
): Promise<Workout[]> {
  const out: Workout[] = [];
  let before = until;
  let batch = Math.max(200, limit);
  for (;;) {
    const rows = await listWorkouts(store, {
      ...(userId === undefined ? {} : { userId }),
      limit: batch,
      ...(before ? { before } : {}),
    });
    const exhausted = rows.length < batch;
    const lastStart = rows.at(-1)?.startDate.getTime();
    const complete = exhausted ? rows : rows.filter((r) => r.startDate.getTime() !== lastStart);
    if (complete.length === 0 && !exhausted) {
      batch *= 2; // one start instant fills the batch: read it whole
      continue;
    }
    out.push(...complete.filter(keep));
    if (exhausted || out.length >= limit) return out;
    before = complete.at(-1)!.startDate;
  }
}

/**
 * A person says `activityId` is not the same workout as `otherActivityId`: the pair is unlinked, and while
 * the two are still one workout through other copies (A–B unlinked, but A–C and C–B matched), `activityId`
 * is unlinked from those copies too, so the two end up apart. Every step is a stored decision the matcher
 * never undoes. Returns `activityId`'s group afterwards.
 */
export async function unlinkActivities(
  decideMatch: NonNullable<Store['decideMatch']>,
  activityId: number,
  otherActivityId: number,
): Promise<ActivityGroup> {
  let group = await decideMatch(activityId, otherActivityId, 'unlink');
  // each round unlinks every other member: the group containing both shrinks until they part
  const unlinked = new Set([otherActivityId]);
  while (group.activityIds.includes(otherActivityId)) {
    const next = group.activityIds.filter((id) => id !== activityId && !unlinked.has(id));
    if (next.length === 0) break;
    for (const id of next) {
      unlinked.add(id);
      group = await decideMatch(activityId, id, 'unlink');
    }
  }
  return group;
}
