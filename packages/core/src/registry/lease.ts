import { hostname } from 'node:os';
import { randomToken } from '../provider-utils/oauth';
import type { LeaseRecord } from '../store/store';
import type { Runtime } from './runtime';

export interface HeldLease {
  readonly key: string;
  readonly owner: string;
  /**
   * Extends the lease; false when it was lost (it expired and someone else took it, or the heartbeat
   * already found it taken). A holder calls it right before each write and stops writing on false.
   */
  renew(): Promise<boolean>;
}

/** Who holds a lease another caller is waiting for (what a waiting command prints). */
export interface LeaseHolder {
  key: string;
  /** The holder's name from its owner string, e.g. `trainlytics sync (pid 1234 on host)`. */
  holder: string;
  expiresAt: Date;
  /** Until the lease expires unless its holder renews it (0 when already expired). */
  expiresInMs: number;
}

export interface LeaseOptions {
  /** `wait` (default) polls until the holder releases it or it expires; `skip` fails at once. */
  ifLocked?: 'wait' | 'skip';
  signal?: AbortSignal | undefined;
  /** Longest wait before giving up (default: the runtime's `leaseMaxWaitMs`, 10 minutes). */
  maxWaitMs?: number;
  /** Called when the lease is held by someone else and `ifLocked` is `skip` or the wait ran out. */
  onBusy: (waitedMs: number) => Error;
  /**
   * Called when this caller starts waiting for a lease held by someone else, and again whenever the
   * holder changes while it waits (only when the store can describe a lease).
   */
  onWait?: ((holder: LeaseHolder) => void) | undefined;
}

/** The default name of this process in lease owners: `pid 1234 on host`. */
export function defaultHolderName(): string {
  return `pid ${process.pid} on ${hostname()}`;
}

/**
 * A lease owner: the holder's name (one line, at most 120 characters) then ` #` and a token unique to this
 * holding, so that a waiting caller can say who holds the lease and two holdings never share an owner.
 */
export function leaseOwner(holderName: string, instanceId: string): string {
  const name = holderName.replace(/\s+/g, ' ').trim().slice(0, 120) || 'trainlytics';
  return `${name} #${instanceId}.${randomToken(6)}`;
}

/** The holder's name in an owner string written by {@link leaseOwner} (the whole owner otherwise). */
export function holderOf(owner: string): string {
  return owner.replace(/ #[\w-]+\.[\w-]+$/, '');
}

/**
 * Runs `fn` while holding the store lease `key`: mutual exclusion across processes (sync of a connection,
 * token refresh). Callers within one instance first queue on an in-process lock, so they never poll.
 *
 * The lease lives `leaseTtlMs` (15 s by default) and a heartbeat renews it every third of that,
 * independently of the work, so a holder that dies (kill -9, lost machine) gives the lease up within
 * seconds. A heartbeat that finds the lease taken marks it lost: `renew()` then answers false and the
 * holder must stop writing.
 */
export async function withLease<T>(
  rt: Runtime,
  key: string,
  options: LeaseOptions,
  fn: (lease: HeldLease) => Promise<T>,
): Promise<T> {
  if (options.ifLocked === 'skip' && rt.locks.has(key)) throw options.onBusy(0);
  return withLocalLock(rt.locks, key, async () => {
    const owner = leaseOwner(rt.holderName, rt.instanceId);
    const ttl = rt.leaseTtlMs;
    const maxWaitMs = options.maxWaitMs ?? rt.leaseMaxWaitMs;
    let waited = 0;
    let describedAt = Number.NEGATIVE_INFINITY;
    let lastSeen: string | null = null;
    for (;;) {
      const now = rt.clock.now();
      if (await rt.store.acquireLease(key, owner, new Date(now.getTime() + ttl), now)) break;
      if (options.ifLocked === 'skip' || waited >= maxWaitMs) throw options.onBusy(waited);
      if (options.onWait && waited - describedAt >= ttl / 3) {
        describedAt = waited;
        const held = await describe(rt, key);
        if (held && held.owner !== lastSeen) {
          lastSeen = held.owner;
          options.onWait(toHolder(held, rt.clock.now()));
        }
      }
      await rt.clock.sleep(rt.leasePollMs, options.signal);
      waited += rt.leasePollMs;
    }
    let lost = false;
    const renew = async () => {
      if (lost) return false;
      const now = rt.clock.now();
      const held = await rt.store.acquireLease(key, owner, new Date(now.getTime() + ttl), now);
      if (!held && !lost) {
        lost = true;
        rt.logger.warn('lost a lease: another process took it after it expired; stopping', { key });
      }
      return held;
    };
    const lease: HeldLease = { key, owner, renew };
    // the heartbeat keeps the lease while the work runs, whatever one step lasts (a rate-limit wait)
    const heartbeat = setInterval(
      () => {
        renew().catch((error: unknown) => {
          rt.logger.warn('could not renew a lease', {
            key,
            error: error instanceof Error ? error.message : String(error),
          });
        });
      },
      Math.max(250, Math.floor(ttl / 3)),
    );
    heartbeat.unref?.();
    try {
      return await fn(lease);
    } finally {
      clearInterval(heartbeat);
      if (!lost) {
        await rt.store.releaseLease(key, owner).catch((error: unknown) => {
          rt.logger.warn('could not release a lease (it expires by itself)', {
            key,
            error: error instanceof Error ? error.message : String(error),
          });
        });
      }
    }
  });
}

/** The lease's current record, or null (nobody holds it, the store cannot say, or asking failed). */
async function describe(rt: Runtime, key: string): Promise<LeaseRecord | null> {
  if (!rt.store.describeLease) return null;
  try {
    return await rt.store.describeLease(key);
  } catch (error) {
    rt.logger.debug('could not read who holds a lease', {
      key,
      error: error instanceof Error ? error.message : String(error),
    });
    return null;
  }
}

function toHolder(record: LeaseRecord, now: Date): LeaseHolder {
  return {
    key: record.key,
    holder: holderOf(record.owner),
    expiresAt: record.expiresAt,
    expiresInMs: Math.max(0, record.expiresAt.getTime() - now.getTime()),
  };
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
