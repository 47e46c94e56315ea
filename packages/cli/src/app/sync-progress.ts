import type { SyncProgress, SyncRecord } from '@trainlytics/core';

/**
 * The progress of the syncs this process runs (the first sync after a connect, "Sync now"), as the sync
 * engine reports it after each committed page (`onProgress`). The engine also adds each page's counts to
 * the running `sync_history` row, which every process can read but which has no page number: a sync run
 * elsewhere (a queue worker) is described from the row alone ("412 activities so far").
 */
export class SyncProgressBoard {
  readonly #latest = new Map<number, SyncProgress>();

  /**
   * Follows one sync of `connectionId`: pass `onProgress` to `trainlytics.sync`, call `done` when it
   * returns (it forgets only this sync's progress, not another's that started since).
   */
  track(connectionId: number): { onProgress: (progress: SyncProgress) => void; done: () => void } {
    let mine: SyncProgress | undefined;
    return {
      onProgress: (progress) => {
        mine = progress;
        this.#latest.set(connectionId, progress);
      },
      done: () => {
        if (mine !== undefined && this.#latest.get(connectionId) === mine) this.#latest.delete(connectionId);
      },
    };
  }

  /** The latest progress of the sync `syncId`, when it runs in this process. */
  get(connectionId: number, syncId: number): SyncProgress | undefined {
    const latest = this.#latest.get(connectionId);
    return latest?.syncId === syncId ? latest : undefined;
  }
}

/**
 * A running sync's progress in words: `page 3 · 412 activities so far` (pages from this process's
 * `SyncProgress`, activities from the running row, which the engine updates with each page), `412
 * activities so far` when the page number is unknown, `reading the first page` before any page.
 */
export function progressText(running: SyncRecord, live: SyncProgress | undefined): string {
  const fromRow = running.activitiesCreated + running.activitiesUpdated;
  const fromLive = live ? live.activitiesCreated + live.activitiesUpdated : 0;
  const activities = Math.max(fromRow, fromLive);
  const pages = live?.pages ?? 0;
  if (pages === 0 && activities === 0) return 'reading the first page';
  const count = `${activities.toLocaleString('en-US')} ${activities === 1 ? 'activity' : 'activities'} so far`;
  return pages > 0 ? `page ${pages} · ${count}` : count;
}
