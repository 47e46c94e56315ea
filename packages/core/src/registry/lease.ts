import { randomToken } from '../provider-utils/oauth';
import type { Runtime } from './runtime';

export interface HeldLease {
  readonly key: string;
  readonly owner: string;
  /** Extends the lease; false when it was lost (expired and taken by someone else). */
  renew(): Promise<boolean>;
}

export interface LeaseOptions {
  /** `wait` (default) polls until the holder releases it or it expires; `skip` fails at once. */
  ifLocked?: 'wait' | 'skip';
  signal?: AbortSignal | undefined;
  /** Longest wait before giving up (default: twice the lease time to live). */
  maxWaitMs?: number;
  /** Called when the lease is held by someone else and `ifLocked` is `skip` or the wait ran out. */
  onBusy: (waitedMs: number) => Error;
}

/**
 * Runs `fn` while holding the store lease `key`: mutual exclusion across processes (sync of a connection,
 * token refresh). Callers within one instance first queue on an in-process lock, so they never poll.
 */
export async function withLease<T>(
  rt: Runtime,
  key: string,
  options: LeaseOptions,
  fn: (lease: HeldLease) => Promise<T>,
): Promise<T> {
  if (options.ifLocked === 'skip' && rt.locks.has(key)) throw options.onBusy(0);
  return withLocalLock(rt.locks, key, async () => {
    const owner = `${rt.instanceId}:${randomToken(6)}`;
    const ttl = rt.leaseTtlMs;
    const maxWaitMs = options.maxWaitMs ?? ttl * 2;
    let waited = 0;
    for (;;) {
      const now = rt.clock.now();
      if (await rt.store.acquireLease(key, owner, new Date(now.getTime() + ttl), now)) break;
      if (options.ifLocked === 'skip' || waited >= maxWaitMs) throw options.onBusy(waited);
      await rt.clock.sleep(rt.leasePollMs, options.signal);
      waited += rt.leasePollMs;
    }
    let lost = false;
    const renew = async () => {
      if (lost) return false;
      const now = rt.clock.now();
      const held = await rt.store.acquireLease(key, owner, new Date(now.getTime() + ttl), now);
      if (!held) lost = true;
      return held;
    };
    const lease: HeldLease = { key, owner, renew };
    // a heartbeat keeps the lease while one step lasts long (a rate-limit wait of many minutes)
    const heartbeat = setInterval(
      () => {
        renew().catch((error: unknown) => {
          rt.logger.warn('could not renew a lease', {
            key,
            error: error instanceof Error ? error.message : String(error),
          });
        });
      },
      Math.max(1000, Math.floor(ttl / 3)),
    );
    heartbeat.unref?.();
    try {
      return await fn(lease);
    } finally {
      clearInterval(heartbeat);
      await rt.store.releaseLease(key, owner).catch((error: unknown) => {
        rt.logger.warn('could not release a lease (it expires by itself)', {
          key,
          error: error instanceof Error ? error.message : String(error),
        });
      });
    }
  });
}

async function withLocalLock<T>(
  locks: Map<string, Promise<void>>,
  key: string,
  fn: () => Promise<T>,
): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  locks.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(key) === tail) locks.delete(key);
  }
}
