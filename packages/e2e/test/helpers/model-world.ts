import { createTrainlytics, type FetchFunction, type Provider, type Trainlytics } from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import {
  createTestDatabase,
  type FakeClock,
  type SandboxFaults,
  type TestDatabase,
} from '@trainlytics/core/testing';
import fc from 'fast-check';
import pg from 'pg';
import { expect } from 'vitest';

// The world of the model-based property tests (`model-*.property.test.ts`): a real PostgreSQL database
// with an audit of every write, the store's own pool (whose sessions a "database restart" terminates),
// and "processes": Trainlytics instances that can be killed at any request of the provider.

/** fast-check parameters: bounded in `npm test`, `FC_NUM_RUNS` / `FC_SEED` override (the soak sets the former). */
export function propertyParameters<T = unknown>(defaultRuns: number): fc.Parameters<T> {
  const runs = Number(process.env.FC_NUM_RUNS);
  const seed = Number(process.env.FC_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    ...(process.env.FC_SEED && Number.isInteger(seed) ? { seed } : {}),
    ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
    // a shrunk case is printed with its seed and path; each shrink step costs a real run
    endOnFailure: process.env.FC_SHRINK === '0',
  };
}

/** The test timeout of one property: runs × a generous per-run budget. */
export function propertyTimeout(defaultRuns: number, perRunMs: number): number {
  const runs = Number(process.env.FC_NUM_RUNS);
  const n = Number.isInteger(runs) && runs > 0 ? runs : defaultRuns;
  // shrinking replays runs: leave room for it
  return Math.max(120_000, n * perRunMs * 3);
}

const STORE_APP_NAME = 'tl-model-store';

/**
 * Audit of every write to `activities` and every change of a run's counters, with the transaction that
 * made it: "honest counts" are checked against it (see `assertHonestHistory`). Test-only: installed in
 * the property's own throw-away database.
 */
const AUDIT_SQL = `
create table tl_model_audit (
  id bigserial primary key,
  txid bigint not null default txid_current(),
  kind text not null,
  connection_id int,
  provider_activity_id text,
  sync_id int,
  d_created int,
  d_updated int,
  d_deleted int
);
create function tl_model_audit_activity() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    insert into tl_model_audit (kind, connection_id, provider_activity_id)
    values ('delete', old.connection_id, old.provider_activity_id);
    return old;
  end if;
  insert into tl_model_audit (kind, connection_id, provider_activity_id)
  values (lower(tg_op), new.connection_id, new.provider_activity_id);
  return new;
end $$;
create trigger tl_model_audit_activity after insert or update or delete on activities
  for each row execute function tl_model_audit_activity();
create function tl_model_audit_history() returns trigger language plpgsql as $$
begin
  if (new.activities_created, new.activities_updated, new.activities_deleted)
     is distinct from (old.activities_created, old.activities_updated, old.activities_deleted) then
    insert into tl_model_audit (kind, connection_id, sync_id, d_created, d_updated, d_deleted)
    values ('counts', new.connection_id, new.id,
      new.activities_created - old.activities_created,
      new.activities_updated - old.activities_updated,
      new.activities_deleted - old.activities_deleted);
  end if;
  return new;
end $$;
create trigger tl_model_audit_history after update on sync_history
  for each row execute function tl_model_audit_history();
create function tl_model_audit_history_insert() returns trigger language plpgsql as $$
begin
  if new.activities_created <> 0 or new.activities_updated <> 0 or new.activities_deleted <> 0 then
    insert into tl_model_audit (kind, connection_id, sync_id, d_created, d_updated, d_deleted)
    values ('counts', new.connection_id, new.id,
      new.activities_created, new.activities_updated, new.activities_deleted);
  end if;
  return new;
end $$;
create trigger tl_model_audit_history_insert after insert on sync_history
  for each row execute function tl_model_audit_history_insert();
`;

export interface ModelDatabase {
  database: TestDatabase;
  /** The pool the stores use (its sessions are the ones a restart terminates). */
  storePool: pg.Pool;
  /** Terminates every session of the store pool, as a database restart would (the server keeps running). */
  restart(): Promise<number>;
  /**
   * Waits until the pool has dropped the sessions a restart killed: a pool learns it only when it uses
   * one, so this uses each (`select 1`) until one answers. Without it, the next store call may be the
   * one that finds its session dead (a `57P01` error), which is what a real restart does too.
   */
  settle(): Promise<void>;
  drop(): Promise<void>;
}

export async function createModelDatabase(prefix: string): Promise<ModelDatabase> {
  const database = await createTestDatabase({ migrate: true, prefix });
  await database.pool.query(AUDIT_SQL);
  const storePool = new pg.Pool({
    connectionString: database.connectionString,
    application_name: STORE_APP_NAME,
    max: 4,
  });
  // a terminated idle session reports an error on the pool: the pool drops it and opens a new one
  storePool.on('error', () => {});
  return {
    database,
    storePool,
    async restart() {
      const { rows } = await database.pool.query(
        'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and application_name = $2',
        [database.name, STORE_APP_NAME],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async settle() {
      for (let attempt = 0; ; attempt++) {
        try {
          await storePool.query('select 1');
          return;
        } catch (error) {
          if (attempt > 8) throw error;
        }
      }
    },
    async drop() {
      await storePool.end().catch(() => {});
      await database.drop();
    },
  };
}

/** Where a process is killed: at its `atRequest`-th provider request, before sending it or after its answer. */
export interface KillPlan {
  atRequest: number;
  when: 'before' | 'after';
}

/**
 * A database restart at the `atRequest`-th provider request of a run (before it is sent): the store's
 * sessions are terminated, and while the server comes back the process's next `outage` store calls fail
 * with PostgreSQL's `57P01` (what a pool reports on a session the restart killed).
 */
export interface RestartPlan {
  atRequest: number;
  outage?: number;
}

/** The error a store call gets while the database restarts. */
export class DatabaseRestarting extends Error {
  readonly code = '57P01';
  constructor() {
    super('terminating connection due to administrator command (simulated restart in progress)');
    this.name = 'DatabaseRestarting';
  }
}

export class ProcessKilled extends Error {
  constructor() {
    super('process killed (simulated crash)');
    this.name = 'ProcessKilled';
  }
}

export interface ModelProcess {
  trainlytics: Trainlytics;
  /** Whether the planned kill happened. */
  killed(): boolean;
  /** The URLs of the provider requests this process made (the one at which it died included). */
  requests(): string[];
}

/**
 * A Trainlytics "process". With `kill`, at the planned request every later store call and provider
 * request throws: nothing more is written, exactly as if the process had died there (its lease stays
 * held and its `sync_history` row stays `running`, as a crashed process leaves them).
 */
export function createModelProcess(options: {
  db: ModelDatabase;
  clock: FakeClock;
  provider: (fetch: FetchFunction) => Provider;
  kill?: KillPlan;
  restart?: RestartPlan;
  /** Called before each provider request is sent, with its number (1, 2, …): the provider changes meanwhile. */
  beforeRequest?: (count: number) => Promise<void>;
}): ModelProcess {
  let dead = false;
  let count = 0;
  let outage = 0;
  const urls: string[] = [];
  const realStore = postgresStore({ pool: options.db.storePool });
  const store = new Proxy(realStore, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (dead) return Promise.reject(new ProcessKilled());
        if (outage > 0) {
          outage--;
          return Promise.reject(new DatabaseRestarting());
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const fetchFn: FetchFunction = async (input, init) => {
    if (dead) throw new ProcessKilled();
    count++;
    urls.push(String(input instanceof Request ? input.url : input));
    await options.beforeRequest?.(count);
    if (options.restart && count === options.restart.atRequest) {
      await options.db.restart();
      outage = options.restart.outage ?? 0;
    }
    if (options.kill && count === options.kill.atRequest && options.kill.when === 'before') {
      dead = true;
      throw new ProcessKilled();
    }
    const response = await fetch(input as string | URL | Request, init);
    if (options.kill && count === options.kill.atRequest) {
      // the provider answered (and changed its state: a rotated token, a committed transaction), but the
      // process died before it could read the answer
      await response.arrayBuffer().catch(() => {});
      dead = true;
      throw new ProcessKilled();
    }
    return response;
  };
  const trainlytics = createTrainlytics({
    store,
    providers: [options.provider(fetchFn)],
    clock: options.clock,
    webhookProcessing: 'inline',
    http: { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 1000, maxRetries: 2 },
  });
  return { trainlytics, killed: () => dead, requests: () => [...urls] };
}

type Queryable = { query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }> };

/**
 * "Honest counts", precisely: every insert, update and delete of the connection's activities happened in
 * a transaction that added exactly that many to `activities_created` / `_updated` / `_deleted` of one
 * `sync_history` row of the connection, and no counter moved without such writes. So each run's counts
 * are the writes it made (a crashed run's committed pages included), and over all runs
 * Σ activities_created = the number of rows ever inserted.
 */
export async function assertHonestHistory(db: Queryable, connectionId: number): Promise<void> {
  const { rows } = await db.query(
    `select txid,
        count(*) filter (where kind = 'insert')::int as inserts,
        count(*) filter (where kind = 'update')::int as updates,
        count(*) filter (where kind = 'delete')::int as deletes,
        count(*) filter (where kind = 'counts')::int as count_rows,
        coalesce(sum(d_created), 0)::int as d_created,
        coalesce(sum(d_updated), 0)::int as d_updated,
        coalesce(sum(d_deleted), 0)::int as d_deleted,
        array_agg(distinct sync_id) filter (where sync_id is not null) as syncs
     from tl_model_audit where connection_id = $1 group by txid order by txid`,
    [connectionId],
  );
  for (const row of rows) {
    const writes = Number(row.inserts) + Number(row.updates) + Number(row.deletes);
    const summary = JSON.stringify(row);
    if (writes > 0) expect(Number(row.count_rows), `writes counted by one run: ${summary}`).toBe(1);
    expect(Number(row.d_created), `created count of the run: ${summary}`).toBe(Number(row.inserts));
    expect(Number(row.d_updated), `updated count of the run: ${summary}`).toBe(Number(row.updates));
    expect(Number(row.d_deleted), `deleted count of the run: ${summary}`).toBe(Number(row.deletes));
  }
  const totals = await db.query(
    `select coalesce(sum(activities_created), 0)::int as created,
            coalesce(sum(activities_deleted), 0)::int as deleted,
            (select count(*)::int from tl_model_audit a where a.connection_id = $1 and kind = 'insert') as inserts,
            (select count(*)::int from tl_model_audit a where a.connection_id = $1 and kind = 'delete') as deletes
     from sync_history where connection_id = $1`,
    [connectionId],
  );
  const t = totals.rows[0]!;
  expect(Number(t.created), 'Σ activities_created = rows ever inserted').toBe(Number(t.inserts));
  expect(Number(t.deleted), 'Σ activities_deleted = rows ever deleted').toBe(Number(t.deletes));
}

/** Every run of the connection is closed: none left `running`, each closed run has a completion time. */
export async function assertHistoryClosed(db: Queryable, connectionId: number): Promise<void> {
  const { rows } = await db.query(
    'select id, sync_type, sync_status, sync_completed_at, error_message from sync_history where connection_id = $1 order by id',
    [connectionId],
  );
  for (const row of rows) {
    expect(row.sync_status, `sync_history ${JSON.stringify(row)}`).not.toBe('running');
    expect(row.sync_completed_at, `sync_history ${JSON.stringify(row)}`).not.toBeNull();
    if (row.sync_status === 'failed') expect(row.error_message).toBeTruthy();
  }
}

/** The fields compared between the provider and the store. */
export interface ComparedActivity {
  id: string;
  name: string | null;
  sport: string | null;
  start: string;
  distance: number | null;
}

/** The connection's stored activities, keyed by provider id; duplicates fail at once. */
export async function storedActivities(
  db: Queryable,
  connectionId: number,
): Promise<Map<string, ComparedActivity>> {
  const { rows } = await db.query(
    `select provider_activity_id, name, provider_sport_type, start_date, distance_m
     from activities where connection_id = $1 order by provider_activity_id`,
    [connectionId],
  );
  const out = new Map<string, ComparedActivity>();
  for (const row of rows) {
    const id = String(row.provider_activity_id);
    expect(out.has(id), `activity ${id} stored twice`).toBe(false);
    out.set(id, {
      id,
      name: (row.name as string | null) ?? null,
      sport: (row.provider_sport_type as string | null) ?? null,
      start: new Date(row.start_date as string | Date).toISOString(),
      distance: row.distance_m === null ? null : Number(row.distance_m),
    });
  }
  return out;
}

/** Stored == provider: none missing, none extra (stale or duplicated), key fields equal. */
export function expectSameActivities(
  stored: Map<string, ComparedActivity>,
  provider: Map<string, ComparedActivity>,
  options: { ignore?: Array<keyof ComparedActivity> } = {},
): void {
  const strip = (a: ComparedActivity) => {
    const out: Partial<ComparedActivity> = {
      ...a,
      distance: a.distance === null ? null : Math.round(a.distance * 10) / 10,
    };
    for (const key of options.ignore ?? []) delete out[key];
    return out;
  };
  const missing = [...provider.keys()].filter((id) => !stored.has(id));
  const extra = [...stored.keys()].filter((id) => !provider.has(id));
  expect({ missing, extra }, 'stored ids equal the provider ids').toEqual({ missing: [], extra: [] });
  for (const [id, expected] of provider) {
    expect(strip(stored.get(id)!), `activity ${id}`).toEqual(strip(expected));
  }
}

// ------------------------------------------------------------------ shared arbitraries and webhook outbox

/** Provider faults for the next requests: 5xx, 429 with Retry-After, resets, a timeout, a broken body. */
export const faultArb: fc.Arbitrary<SandboxFaults> = fc.oneof(
  fc.record({
    status: fc.record({ code: fc.constantFrom(500, 502, 503), times: fc.integer({ min: 1, max: 4 }) }),
  }),
  fc.record({
    rateLimited: fc.record({
      times: fc.integer({ min: 1, max: 3 }),
      retryAfterSeconds: fc.integer({ min: 1, max: 120 }),
    }),
  }),
  fc.record({ connectionResets: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ hangs: fc.constant(1) }),
  fc.record({ invalidJson: fc.integer({ min: 1, max: 3 }) }),
);

export const killArb: fc.Arbitrary<KillPlan> = fc.record({
  atRequest: fc.integer({ min: 1, max: 8 }),
  when: fc.constantFrom('before' as const, 'after' as const),
});

export const restartArb: fc.Arbitrary<RestartPlan> = fc.record(
  { atRequest: fc.integer({ min: 1, max: 8 }), outage: fc.integer({ min: 0, max: 2 }) },
  { requiredKeys: ['atRequest'] },
);

/** When the provider delivers an event: at once, later (an op or the final phase), or at once and again. */
export type Delivery = 'now' | 'later' | 'twice';
export const deliveryArb: fc.Arbitrary<Delivery> = fc.constantFrom<Delivery>('now', 'later', 'twice');

/** A sync run in its own process, maybe under a fault, maybe killed, maybe with the database restarted. */
export interface SyncOp {
  op: 'sync';
  full: boolean;
  fault?: SandboxFaults;
  kill?: KillPlan;
  restart?: RestartPlan;
}
export const syncOpArb: fc.Arbitrary<SyncOp> = fc.record(
  {
    op: fc.constant('sync' as const),
    full: fc.boolean(),
    fault: faultArb,
    kill: killArb,
    restart: restartArb,
  },
  { requiredKeys: ['op', 'full'] },
);

interface CapturedEvent {
  url: string;
  headers: Record<string, string>;
  body: string;
  acknowledged: boolean;
}

/**
 * The provider's side of webhook delivery: every event it sends is kept until the app acknowledged it
 * with a 2xx (the provider retries until then), and can be sent again after that (a redelivery).
 */
export class WebhookOutbox {
  private readonly events: CapturedEvent[] = [];

  constructor(private readonly handle: (request: Request) => Promise<Response>) {}

  async capture(request: Request): Promise<CapturedEvent> {
    const event = {
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
      acknowledged: false,
    };
    this.events.push(event);
    return event;
  }

  /** Captures and delivers per `delivery`. */
  async send(request: Request, delivery: Delivery): Promise<void> {
    const event = await this.capture(request);
    if (delivery !== 'later') await this.deliver(event);
    if (delivery === 'twice') await this.deliver(event);
  }

  async deliver(event: CapturedEvent): Promise<number> {
    const response = await this.handle(
      new Request(event.url, { method: 'POST', headers: event.headers, body: event.body }),
    );
    await response.arrayBuffer();
    if (response.status >= 200 && response.status < 300) event.acknowledged = true;
    return response.status;
  }

  waiting(): CapturedEvent[] {
    return this.events.filter((e) => !e.acknowledged);
  }

  acknowledged(): CapturedEvent[] {
    return this.events.filter((e) => e.acknowledged);
  }

  /** The final phase: every event not yet acknowledged is delivered, and must now be acknowledged. */
  async deliverAll(): Promise<void> {
    for (const event of this.waiting()) {
      expect(await this.deliver(event), `final delivery of ${event.body.slice(0, 300)}`).toBe(200);
    }
  }
}

// ------------------------------------------------------------------ the operations every provider shares

/** Webhook deliveries and database restarts, generated alike for every provider. */
export type CommonOp =
  | { op: 'deliver'; pick: number; fault?: SandboxFaults }
  | { op: 'redeliver'; pick: number }
  | { op: 'restart'; settle: boolean };

export const commonOpArbs: Array<fc.WeightedArbitrary<CommonOp>> = [
  {
    arbitrary: fc.record(
      { op: fc.constant('deliver' as const), pick: fc.nat(), fault: faultArb },
      { requiredKeys: ['op', 'pick'] },
    ),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('redeliver' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('restart' as const), settle: fc.boolean() }), weight: 1 },
];

/** Longer than the sync lease: the lease of a killed process has expired by then. */
const LEASE_EXPIRY_MS = 5 * 60_000 + 1000;

/** What a model run needs from a sandbox. */
interface FaultySandbox {
  setFaults(faults: SandboxFaults): void;
  resetFaults(): void;
}

/**
 * One generated case against one connection: runs syncs in their own processes, delivers webhooks
 * through the long-lived `server` process, restarts the database, and knows whether a process died
 * holding a freshly rotated refresh token (the one loss that costs the user a reconnection).
 */
export class ModelRun {
  readonly server: ModelProcess;
  readonly outbox: WebhookOutbox;
  lostRotation = false;

  constructor(
    private readonly world: {
      db: ModelDatabase;
      clock: FakeClock;
      sandbox: FaultySandbox;
      providerId: string;
      provider: (fetch: FetchFunction) => Provider;
    },
  ) {
    this.server = this.process();
    this.outbox = new WebhookOutbox((request) =>
      this.server.trainlytics.webhooks.handle(world.providerId, request),
    );
  }

  process(
    plan: {
      kill?: KillPlan | undefined;
      restart?: RestartPlan | undefined;
      beforeRequest?: ((count: number) => Promise<void>) | undefined;
    } = {},
  ): ModelProcess {
    const { db, clock, provider } = this.world;
    return createModelProcess({
      db,
      clock,
      provider,
      ...(plan.kill ? { kill: plan.kill } : {}),
      ...(plan.restart ? { restart: plan.restart } : {}),
      ...(plan.beforeRequest ? { beforeRequest: plan.beforeRequest } : {}),
    });
  }

  /** A sync in its own process; `beforeRequest` changes the provider between two of its requests. */
  async sync(
    connectionId: number,
    op: SyncOp,
    beforeRequest?: (count: number) => Promise<void>,
  ): Promise<void> {
    const child = this.process({ ...op, beforeRequest });
    if (op.fault) this.world.sandbox.setFaults(op.fault);
    try {
      await child.trainlytics.sync(connectionId, { full: op.full });
    } catch {
      // a killed process, or a store error during a restart: the next run recovers
    }
    this.world.sandbox.resetFaults();
    if (child.killed()) {
      if (op.kill?.when === 'after' && (child.requests().at(-1) ?? '').includes('/oauth/token')) {
        this.lostRotation = true;
      }
      this.world.clock.advance(LEASE_EXPIRY_MS);
    }
  }

  async common(op: CommonOp): Promise<void> {
    switch (op.op) {
      case 'deliver': {
        const waiting = this.outbox.waiting();
        if (waiting.length === 0) return;
        if (op.fault) this.world.sandbox.setFaults(op.fault);
        await this.outbox.deliver(waiting[op.pick % waiting.length]!);
        this.world.sandbox.resetFaults();
        return;
      }
      case 'redeliver': {
        const done = this.outbox.acknowledged();
        if (done.length > 0) await this.outbox.deliver(done[op.pick % done.length]!);
        return;
      }
      case 'restart':
        await this.world.db.restart();
        if (op.settle) await this.world.db.settle();
        return;
    }
  }

  /**
   * The start of every final phase: faults off, the database back, and the user reconnected when a
   * process died holding the rotated refresh token (the next run finds the stored one dead) or when the
   * provider revoked the token (`revoked`); any other `reauth_required` fails the property.
   */
  async settle(
    connectionId: number,
    reconnect: () => Promise<unknown>,
    options: { revoked?: boolean } = {},
  ): Promise<void> {
    this.world.sandbox.resetFaults();
    await this.world.db.settle();
    if (this.lostRotation) await this.process().trainlytics.sync(connectionId);
    const state = await this.server.trainlytics.connections.get(connectionId);
    if (state?.status === 'reauth_required') {
      const why = `connection needs a reconnection: ${state.lastError}`;
      expect(this.lostRotation || options.revoked === true, why).toBe(true);
      await reconnect();
    }
  }

  /** A clean sync in a new process: must succeed. */
  async finalSync(connectionId: number, full = false): Promise<void> {
    const result = await this.process().trainlytics.sync(connectionId, { full });
    expect(result.errorMessage).toBeNull();
    expect(result.status).toBe('success');
  }

  /** The invariant's bookkeeping half: every run closed, counts honest. */
  async assertHistory(connectionId: number): Promise<void> {
    await assertHistoryClosed(this.world.db.storePool, connectionId);
    await assertHonestHistory(this.world.db.storePool, connectionId);
  }
}

/** The property: `runs` generated cases (`FC_NUM_RUNS` overrides) after the shrunk regressions. */
export async function assertModelProperty<C>(
  arbitrary: fc.Arbitrary<C>,
  run: (c: C) => Promise<void>,
  regressions: C[],
  runs: number,
): Promise<void> {
  await fc.assert(fc.asyncProperty(arbitrary, run), {
    ...propertyParameters<[C]>(runs),
    examples: regressions.map((c) => [c] as [C]),
  });
}
