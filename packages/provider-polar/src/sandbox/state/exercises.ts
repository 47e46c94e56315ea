import type { SandboxRecordedActivity, SandboxRecording } from '@trainlytics/core/testing';
import { generateExerciseDetail, isManualEntry, recordedExerciseSamples } from '../generate-samples';
import {
  decodeExerciseId,
  type ExerciseFacts,
  encodeExerciseId,
  generateExercise,
  localString,
} from '../polar-history';
import type { Account } from './accounts';

export const DAY_MS = 86_400_000;
/** `/v3/exercises` answers with exercises uploaded in the last 30 days. */
const EXERCISE_WINDOW_MS = 30 * DAY_MS;

/**
 * What an account's history serves: exercise `index` (0…`exerciseCount`) is generated from the account's
 * seed when asked for, uploaded at `uploadTime`, and served while `isServed`.
 */
export function exerciseCount(account: Account): number {
  return account.generated + account.addedUploads.length;
}

export function uploadTime(account: Account, index: number): number {
  if (index >= account.generated) return account.addedUploads[index - account.generated]!;
  // spread over the 29 days before seeding, so the whole history is in `/v3/exercises`' 30-day window
  const spacing = Math.floor((29 * DAY_MS) / Math.max(1, account.generated));
  return account.seededAt - (account.generated - index) * spacing;
}

export interface ServedOptions {
  /** Only uploads of the last 30 days (the non-transactional endpoints). */
  window: boolean;
  /** The sandbox option: only uploads after the user's registration. */
  hideUploadsBeforeRegistration: boolean;
}

/** Whether exercise `index` is served at `now`: uploaded, not deleted, in the window, after registration. */
export function isServed(account: Account, index: number, now: number, options: ServedOptions): boolean {
  const uploaded = uploadTime(account, index);
  if (account.deleted.has(index)) return false;
  if (uploaded > now || (options.window && uploaded < now - EXERCISE_WINDOW_MS)) return false;
  if (options.hideUploadsBeforeRegistration && account.registration) {
    return uploaded >= Date.parse(account.registration.date);
  }
  return true;
}

/** The exercise at `index`, with its chosen start, recording source or tie run applied. */
export function exerciseFacts(account: Account, index: number): ExerciseFacts {
  const source = account.recordingSources.get(index);
  const generated = generateExercise(
    account.polarUserId,
    account.seed,
    source ?? index,
    new Date(uploadTime(account, index)),
  );
  const facts =
    source === undefined
      ? generated
      : {
          ...generated,
          hashedId: encodeExerciseId(account.polarUserId, index),
          transactionalId: 1_000_000 + index,
        };
  const start = account.startOverrides.get(index);
  if (start !== undefined) return { ...facts, startLocal: localString(start, facts.offsetMinutes) };
  const lead = index - (index % account.tieSize);
  if (lead === index || index >= account.generated) return facts;
  // a tie run: the start (local time and offset) of its first exercise
  const first = generateExercise(
    account.polarUserId,
    account.seed,
    lead,
    new Date(uploadTime(account, lead)),
  );
  return { ...facts, startLocal: first.startLocal, offsetMinutes: first.offsetMinutes };
}

/** The index of a hashed exercise id of this account's history, or null. */
export function exerciseIndex(account: Account, exerciseId: string): number | null {
  const decoded = decodeExerciseId(exerciseId);
  if (!decoded || decoded.polarUserId !== account.polarUserId || decoded.index >= exerciseCount(account)) {
    return null;
  }
  return decoded.index;
}

/**
 * Uploads at `now` one exercise recorded `recording`: its sport, duration and device come from the next
 * generated exercise of that kind (its samples from its own id; an `indoor` one recorded something).
 */
export function addRecordedExercise(
  account: Account,
  recording: SandboxRecording,
  now: number,
): SandboxRecordedActivity {
  const index = exerciseCount(account);
  const used = Math.max(index - 1, ...account.recordingSources.values());
  for (let source = used + 1; source < used + 1000; source++) {
    const facts = generateExercise(account.polarUserId, account.seed, source, new Date(now));
    const kind: SandboxRecording = isManualEntry(facts) ? 'manual' : facts.hasRoute ? 'outdoor' : 'indoor';
    if (kind !== recording) continue;
    account.addedUploads.push(now);
    account.recordingSources.set(index, source);
    const recorded = recordedExerciseSamples(generateExerciseDetail(exerciseFacts(account, index)));
    if (kind !== 'manual' && recorded === null) {
      // a device without any sensor for this sport (no strap, no GPS): nothing recorded, not indoor
      account.addedUploads.pop();
      account.recordingSources.delete(index);
      continue;
    }
    return { providerActivityId: encodeExerciseId(account.polarUserId, index), recorded };
  }
  throw new Error(`Polar sandbox: no ${recording} exercise among the next generated ones`);
}
