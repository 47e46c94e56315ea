import type { Account } from './accounts';
import { exerciseCount } from './exercises';

/** A transaction holds at most 50 exercises. */
const TRANSACTION_SIZE = 50;
/** The first transactional id with `largeTransactionalIds`: 2^53 + 1, which a double cannot hold. */
const LARGE_ID_BASE = 2n ** 53n + 1n;

/**
 * The deprecated transactional flow's state: transaction ids (from 120, shared by every user, as Polar's
 * grow) and the integer exercise ids it uses, which are not the hashed ids of `/v3/exercises`.
 */
export class SandboxTransactions {
  private nextTransactionId = 120;

  constructor(private readonly largeIds: boolean) {}

  /**
   * The user's open transaction, opening one over the next uncommitted exercises if none is open; null when
   * there is nothing new. Uploads Polar does not hand out (`served` false: before registration) are skipped.
   */
  open(
    account: Account,
    served: (index: number) => boolean,
  ): { id: number; from: number; to: number } | null {
    if (!account.openTransaction) {
      while (account.committed < exerciseCount(account) && !served(account.committed)) {
        account.committed++;
      }
      const from = account.committed;
      const to = Math.min(exerciseCount(account), from + TRANSACTION_SIZE);
      if (from >= to) return null;
      account.openTransaction = { id: this.nextTransactionId++, from, to };
    }
    return account.openTransaction;
  }

  /** The transactional id of exercise `index`: a bigint beyond 2^53 with `largeTransactionalIds`. */
  exerciseId(index: number): number | bigint {
    return this.largeIds ? LARGE_ID_BASE + BigInt(index) : 1_000_000 + index;
  }

  /** The index of a transactional id from a URL (NaN when it is not one). */
  exerciseIndex(id: string): number {
    if (!/^\d+$/.test(id)) return Number.NaN;
    return this.largeIds ? Number(BigInt(id) - LARGE_ID_BASE) : Number(id) - 1_000_000;
  }
}
