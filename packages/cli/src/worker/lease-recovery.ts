import type { Logger, Store } from '@trainlytics/core';
import type { Pool, PoolClient } from 'pg';

export interface LeaseRecovery {
  /** The store to give `createTrainlytics`: leases it takes are tied to this process's session. */
  store: Store;
  /** Leases taken over from dead workers so far (for logs and tests). */
  readonly takenOver: number;
  close(): Promise<void>;
}

export interface LeaseRecoveryOptions {
  logger: Logger;
  /** Pause before opening the session again after it was lost (default 1 s). */
  reconnectDelayMs?: number;
}

const LOCK_KEY = 'hashtextextended($1, 0)';

/**
 * Ties the leases this worker process holds (003's `trainlytics_leases`: a connection's sync, a token
 * refresh) to a PostgreSQL session: while it holds a lease the process keeps a session advisory lock on
 * the lease's owner and records it in `trainlytics_worker_leases` (004). When a worker dies mid-sync,
 * PostgreSQL releases its lock at once, and the worker that picks the job up again takes the lease over
 * instead of waiting for it to expire; the sync engine then marks the dead worker's `running`
 * sync_history row as interrupted. Leases held by anything else (the embedded scheduler,
 * `trainlytics sync`) are never taken over.
 *
 * The session survives the database going away (a restart, a failover, an administrator terminating it):
 * its errors are caught, and it is opened again (after `reconnectDelayMs`, then again until it works),
 * taking the advisory locks of the leases still held back. Until then another worker may take one of
 * those leases over; the holder's next renewal then fails and it stops writing, so nothing is written
 * twice. Taking and releasing the locks never fails a lease: it is a best effort on top of the lease.
 */
export async function withLeaseRecovery(
  store: Store,
  pool: Pool,
  options: LeaseRecoveryOptions,
): Promise<LeaseRecovery> {
  const { logger } = options;
  const reconnectDelayMs = options.reconnectDelayMs ?? 1_000;
  /** Owners of the leases this process holds, and their keys. */
  const held = new Map<string, string>();
  /** Owners whose advisory lock the current session holds (advisory locks stack: never take one twice). */
  const locked = new Set<string>();
  let session: PoolClient | null = null;
  let opening: Promise<PoolClient> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;
  let takenOver = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

  /** Drops a broken session (its locks went with it) and schedules a new one. */
  const lose = (client: PoolClient, error: unknown) => {
    if (session !== client) return;
    session = null;
    locked.clear();
    client.release(error instanceof Error ? error : true);
    logger.warn('lost the worker session to PostgreSQL; opening it again', { error: errorText(error) });
    scheduleReopen();
  };

  const scheduleReopen = () => {
    if (closed || retry || held.size === 0) return;
    retry = setTimeout(() => {
      retry = null;
      void onSession(() => Promise.resolve()).catch(() => scheduleReopen());
    }, reconnectDelayMs);
    retry.unref?.();
  };

  const open = async (): Promise<PoolClient> => {
    const client = await pool.connect();
    // a session idle between two leases still gets the server's errors (57P01 on shutdown): never unhandled
    client.on('error', (error) => lose(client, error));
    try {
      await client.query(`set application_name = 'trainlytics-worker'`);
      for (const [owner, key] of held) {
        await client.query(`select pg_advisory_lock(${LOCK_KEY})`, [owner]);
        locked.add(owner);
        await client.query(
          'insert into trainlytics_worker_leases (owner, key) values ($1, $2) on conflict (owner) do nothing',
          [owner, key],
        );
      }
    } catch (error) {
      locked.clear();
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    session = client;
    if (held.size > 0)
      logger.info('worker session open again; its leases are locked again', { held: held.size });
    return client;
  };

  /** One statement group at a time on the session (opened on demand); a failure drops the session. */
  const onSession = <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => {
    const run = queue.then(async () => {
      if (closed) throw new Error('the worker session is closed');
      if (!session) {
        opening ??= open().finally(() => {
          opening = null;
        });
        await opening;
      }
      const client = session!;
      try {
        return await fn(client);
      } catch (error) {
        lose(client, error);
        throw error;
      }
    });
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
    if (!row?.dead || held.has(row.owner)) return false;
    const { rowCount } = await pool.query('delete from trainlytics_leases where key = $1 and owner = $2', [
      key,
      row.owner,
    ]);
    await pool.query('delete from trainlytics_worker_leases where owner = $1', [row.owner]);
    if (!rowCount) return false;
    takenOver++;
    logger.warn('took over the lease of a worker that stopped', { key });
    return true;
  }

  const wrapped: Store = Object.create(store) as Store;
  wrapped.acquireLease = async (key, owner, expiresAt, now) => {
    let ok = await store.acquireLease(key, owner, expiresAt, now);
    if (!ok && (await tryTakeOver(key))) ok = await store.acquireLease(key, owner, expiresAt, now);
    if (ok && !held.has(owner)) {
      held.set(owner, key);
      try {
        await onSession(async (client) => {
          if (locked.has(owner)) return;
          await client.query(`select pg_advisory_lock(${LOCK_KEY})`, [owner]);
          locked.add(owner);
        });
        // recorded once locked: another worker never sees it unlocked (it would take a live lease over)
        await pool.query(
          'insert into trainlytics_worker_leases (owner, key) values ($1, $2) on conflict (owner) do nothing',
          [owner, key],
        );
      } catch (error) {
        // the lease is held all the same: it just cannot be taken over early if this process dies now
        logger.warn('could not tie a lease to the worker session', { key, error: errorText(error) });
        scheduleReopen();
      }
    }
    return ok;
  };
  wrapped.releaseLease = async (key, owner) => {
    try {
      await store.releaseLease(key, owner);
    } finally {
      if (held.delete(owner)) {
        await pool
          .query('delete from trainlytics_worker_leases where owner = $1', [owner])
          .catch((error: unknown) =>
            logger.warn('could not forget a released lease', { key, error: errorText(error) }),
          );
        if (session && locked.has(owner)) {
          await onSession(async (client) => {
            if (!locked.delete(owner)) return;
            await client.query(`select pg_advisory_unlock(${LOCK_KEY})`, [owner]);
          }).catch(() => {});
        }
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
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      session?.release();
      session = null;
    },
  };
}
