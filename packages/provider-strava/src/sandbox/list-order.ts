import { firstIndexAfter, generatedId, generatedStartMs, type SandboxActivity } from './generate-history';
import { generatedActivity, type SandboxAccount } from './sandbox-account';

/** A time window of the list (exclusive bounds, ms) and its direction. */
export interface ListWindow {
  afterMs: number | null;
  beforeMs: number | null;
  ascending: boolean;
}

/**
 * Every current activity in the window (exclusive bounds), in list order: by start second, then by a
 * stable tie-break that is not the id (Strava does not document one), merged from the generated range
 * and the added/edited ones. Nothing is filtered for visibility here (the list filters after paging).
 */
export function* activitiesInListOrder(account: SandboxAccount, q: ListWindow): Generator<SandboxActivity> {
  const h = account.history;
  const lo = q.afterMs === null ? 0 : firstIndexAfter(h, q.afterMs);
  const hi = q.beforeMs === null ? h.count : firstIndexAfter(h, q.beforeMs - 1);
  const extras = account.extras.filter((a) => {
    const s = Date.parse(a.start_date);
    return (q.afterMs === null || s > q.afterMs) && (q.beforeMs === null || s < q.beforeMs);
  });
  const dir = q.ascending ? 1 : -1;
  let i = q.ascending ? lo : hi - 1;
  let j = q.ascending ? 0 : extras.length - 1;
  const genLeft = () => (q.ascending ? i < hi : i >= lo);
  const extraLeft = () => (q.ascending ? j < extras.length : j >= 0);
  while (genLeft() || extraLeft()) {
    const g = genLeft() ? generatedStartMs(h, i) : null;
    const e = extraLeft() ? Date.parse(extras[j]!.start_date) : null;
    const ms = g === null ? e! : e === null ? g : q.ascending ? Math.min(g, e) : Math.max(g, e);
    // One start second at a time: gather it from both sources, order by the tie-break.
    const second: SandboxActivity[] = [];
    while (genLeft() && generatedStartMs(h, i) === ms) {
      const id = generatedId(h, i);
      if (!account.moved.has(id)) second.push(generatedActivity(account, i));
      i += dir;
    }
    while (extraLeft() && Date.parse(extras[j]!.start_date) === ms) {
      second.push(extras[j]!);
      j += dir;
    }
    second.sort((a, b) => dir * (tieKey(a.id) - tieKey(b.id) || (a.id < b.id ? -1 : 1)));
    for (const a of second) if (!account.deleted.has(a.id)) yield a;
  }
}

/** A stable tie-break within one start second that is not the id order (FNV-1a of the id). */
function tieKey(id: string): number {
  let h = 0x811c9dc5;
  for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193) >>> 0;
  return h;
}
