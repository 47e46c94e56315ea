import { buildActivity } from './generate-activity';
import {
  type GeneratedHistory,
  generatedId,
  generatedIndex,
  generatedStartMs,
  type SandboxActivity,
} from './generate-history';

/**
 * One athlete at the sandbox: a generated history (computed on demand) plus what happened to it since
 * seeding: activities added or edited (`extras`, oldest first), generated ids whose current version is an
 * edit (`moved`), and deletions.
 */
export interface SandboxAccount {
  number: number;
  athleteId: string;
  seed: number;
  firstname: string;
  lastname: string;
  history: GeneratedHistory;
  /** Activities added (or edited) after seeding, oldest first. */
  extras: SandboxActivity[];
  /** Generated ids whose current version lives in `extras` (edited). */
  moved: Set<string>;
  deleted: Set<string>;
  /** The next index for an added activity's id. */
  nextIndex: number;
  createdAt: string;
}

/** The generated activity at `index` of the account's history (as generated, before any edit). */
export function generatedActivity(account: SandboxAccount, index: number): SandboxActivity {
  return buildActivity({
    id: generatedId(account.history, index),
    athleteId: account.athleteId,
    seed: account.seed,
    index,
    startMs: generatedStartMs(account.history, index),
    sportTypes: account.history.sportTypes,
  });
}

/** The current version of an activity (edited, added or generated), deleted or not; null when unknown. */
export function findActivity(account: SandboxAccount, id: string): SandboxActivity | null {
  const extra = account.extras.find((a) => a.id === id);
  if (extra) return extra;
  const index = generatedIndex(account.history, id);
  return index !== null && !account.moved.has(id) ? generatedActivity(account, index) : null;
}
