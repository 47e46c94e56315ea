import type { SyncRecord } from '@trainlytics/core';

/** A `sync_history` row for pure tests: a successful run unless `partial` says otherwise. */
export function record(
  partial: Partial<SyncRecord> & Pick<SyncRecord, 'syncType' | 'startedAt'>,
): SyncRecord {
  return {
    id: 1,
    connectionId: 1,
    status: 'success',
    completedAt: partial.startedAt,
    activitiesCreated: 0,
    activitiesUpdated: 0,
    activitiesDeleted: 0,
    activitiesRejected: 0,
    requestsMade: 0,
    errorName: null,
    errorMessage: null,
    errors: [],
    cursorBefore: null,
    cursorAfter: null,
    ...partial,
  };
}
