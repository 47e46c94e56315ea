import type { Clock } from '@trainlytics/core';
import type { PolarSandboxSeedOptions } from '../sandbox-options';

/** A Polar user of the sandbox: their generated history, what was added or deleted since, their consents. */
export interface Account {
  polarUserId: number;
  seed: number;
  /** Exercises generated at seeding, uploaded over the 29 days before `seededAt`. */
  generated: number;
  seededAt: number;
  /** Upload times of exercises added after seeding (indexes `generated…`). */
  addedUploads: number[];
  /** Chosen start times (UTC ms) by index (`addActivity`): ties, late uploads of old exercises. */
  startOverrides: Map<number, number>;
  /**
   * Exercises added with a chosen recording (`streams.addRecordedActivity`): index → the generated index
   * whose sport, duration and kind they take (under their own id, so their samples are their own).
   */
  recordingSources: Map<number, number>;
  /** Deleted exercises (by index): gone from the listing and `GET /v3/exercises/{id}`. */
  deleted: Set<number>;
  tieSize: number;
  firstName: string;
  lastName: string;
  consentsAccepted: boolean;
  registration: { memberId: string; date: string } | null;
  /** Transactional flow: how many exercises (in upload order) have been committed. */
  committed: number;
  openTransaction: { id: number; from: number; to: number } | null;
}

const FIRST_NAMES = ['Aino', 'Mikko', 'Sanna', 'Jari', 'Laura', 'Eero', 'Noora', 'Ville'];
const LAST_NAMES = ['Virtanen', 'Korhonen', 'Mäkinen', 'Nieminen', 'Lehtonen', 'Heikkinen'];

/** The sandbox's Polar users by Polar user id, numbered from 47500001 in creation order. */
export class SandboxAccounts {
  private readonly byId = new Map<number, Account>();
  private nextUserId = 47_500_001;

  constructor(
    /** Base seed of generated histories: an account's seed is `baseSeed * 1000 + id % 1000` unless given. */
    private readonly baseSeed: number,
    private readonly clock: Clock,
  ) {}

  create(options: PolarSandboxSeedOptions): Account {
    const polarUserId = this.nextUserId++;
    const seed = options.seed ?? this.baseSeed * 1000 + (polarUserId % 1000);
    const account: Account = {
      polarUserId,
      seed,
      generated: Math.max(0, Math.floor(options.activityCount)),
      seededAt: this.clock.now().getTime(),
      addedUploads: [],
      startOverrides: new Map(),
      recordingSources: new Map(),
      deleted: new Set(),
      tieSize: Math.max(1, Math.floor(options.tieSize ?? 1)),
      firstName: options.firstName ?? FIRST_NAMES[seed % FIRST_NAMES.length]!,
      lastName: options.lastName ?? LAST_NAMES[seed % LAST_NAMES.length]!,
      consentsAccepted: options.consentsAccepted ?? true,
      registration: null,
      committed: 0,
      openTransaction: null,
    };
    this.byId.set(polarUserId, account);
    return account;
  }

  /** The account, or an Error naming the id (a test asked for an account it never created). */
  get(providerUserId: string | number): Account {
    const account = this.byId.get(Number(providerUserId));
    if (!account) throw new Error(`The Polar sandbox has no account ${providerUserId}`);
    return account;
  }

  has(polarUserId: number): boolean {
    return this.byId.has(polarUserId);
  }

  /** Every account, in creation order. */
  all(): Account[] {
    return [...this.byId.values()];
  }

  /** Users registered with the client (`POST /v3/users`): what Polar's rate limits scale with. */
  registeredCount(): number {
    return this.all().filter((a) => a.registration).length;
  }
}
