import type { Logger, Store } from '@trainlytics/core';
import type { Pool, PoolClient } from 'pg';

export interface LeaseRecovery {
  /** The store to give `createTrainlytics`: leases it takes are tied to this process's session. */
  store: Store;
  /** Leases taken over from dead workers so far (for logs and tests). */
  readonly takenOver: number;
  close(): Promise<void>;
}

const LOCK_KEY = 'hashtextextended($1, 0)';

/**
 * Ties the leases this worker process holds (003's `trainlytics_leases`: a connection's sync, a token
 * refresh) to a PostgreSQL session: while it holds a lease the process keeps a session advisory lock on
 * the lease's owner and records it in `trainlytics_worker_leases` (004). When a worker dies mid-sync,
 * PostgreSQL releases its lock at once, and the worker that picks the job up again takes the lease over
 * instead of waiting for it to expire (5 minutes); the sync engine then marks the dead worker's
 * `running` sync_history row as interrupted. Leases held by anything else (the embedded scheduler,
 * `trainlytics sync`) are never taken over.
 */
export async function withLeaseRecovery(
  store: Store,
  pool: Pool,
  options: { logger: Logger },
): Promise<LeaseRecovery> {
  const session: PoolClient = await pool.connect();
  await session.query(`set application_name = 'trainlytics-worker'`);
  const held = new Set<string>();
  let takenOver = 0;
  let queue: Promise<unknown> = Promise.resolve();
  /** One statement at a time on the session (a pg client queues too, but errors stay per call). */
  const onSession = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => {});
    return run;
  };

  async function tryTakeOver(key: string): Promise<boolean> {
    const { rows } = await pool.query<{ owner: string; dead: boolean }>(
      `select l.owner,
              case when pg_try_advisory_lock(hashtextextended(l.owner, 0))
                   then pg_advisory_unlock(hashtextextended(l.owner, 0)) else false end as dead
         from trainlytics_leases l
         join trainlytics_worker_leases w on w.owner = l.owner
        where l.key = $1`,
      [key],
    );
    const row = rows[0];
    if (!row?.dead) return false;
    const { rowCount } = await pool.query('delete from trainlytics_leases where key = $1 and owner = $2', [
      key,
      row.owner,
    ]);
    await pool.query('delete from trainlytics_worker_leases where owner = $1', [row.owner]);
    if (!rowCount) return false;
    takenOver++;
    options.logger.warn('took over the lease of a worker that stopped', { key });
    return true;
  }

  const wrapped: Store = Object.create(store) as Store;
  wrapped.acquireLease = async (key, owner, expiresAt, now) => {
    let ok = await store.acquireLease(key, owner, expiresAt, now);
    if (!ok && (await tryTakeOver(key))) ok = await store.acquireLease(key, owner, expiresAt, now);
    if (ok && !held.has(owner)) {
      held.add(owner);
      await onSession(async () => {
        await session.query(`select pg_advisory_lock(${LOCK_KEY})`, [owner]);
        await session.query(
          'insert into trainlytics_worker_leases (owner, key) values ($1, $2) on conflict (owner) do nothing',
          [owner, key],
        );
      });
    }
    return ok;
  };
  wrapped.releaseLease = async (key, owner) => {
    try {
      await store.releaseLease(key, owner);
    } finally {
      if (held.delete(owner)) {
        await onSession(async () => {
          await session.query('delete from trainlytics_worker_leases where owner = $1', [owner]);
          await session.query(`select pg_advisory_unlock(${LOCK_KEY})`, [owner]);
        });
      }
    }
  };

  return {
    store: wrapped,
    get takenOver() {
      return takenOver;
    },
    async close() {
      await queue;
      session.release();
    },
  };
}
