import {
  type Clock,
  createTrainlytics,
  type Logger,
  type Trainlytics,
  type TrainlyticsOptions,
} from '@trainlytics/core';
import { postgresStore } from '@trainlytics/core/postgres';
import {
  createTestDatabase,
  createTestPGlite,
  FakeClock,
  resetDatabase,
  startTestProviderServer,
  TEST_PROVIDER_ID,
  type TestProviderServer,
  type TestProviderServerOptions,
} from '@trainlytics/core/testing';
import type { Store } from '../../src/store/store';

export const KEY_A = '11'.repeat(32);
export const KEY_B = Buffer.alloc(32, 7).toString('base64');
export const redirectUri = 'https://app.example.com/oauth/callback';

type Row = Record<string, any>;

export interface LogEntry {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A logger that keeps every entry, to assert that something was logged (and that no token was). */
export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    entries.push({ level, message, fields });
  };
  return { entries, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * A clock for a second "process" sharing the harness's time: its sleep only yields to the event loop, so
 * polling for a lease neither waits for real nor moves time (which would expire the other's lease).
 */
export function yieldingClock(h: { clock: FakeClock }): Clock {
  return {
    now: () => h.clock.now(),
    sleep: () => new Promise<void>((resolve) => setImmediate(resolve)),
  };
}

/**
 * One PGlite database per test file (migrated once, emptied between tests) and one Testfit server.
 * `setup()` goes in `beforeAll`, `reset()` in `beforeEach`, `teardown()` in `afterAll`.
 */
export class EngineHarness {
  server!: TestProviderServer;
  store!: Store;
  clock = new FakeClock();
  logger = recordingLogger();
  userId = 0;
  private db!: { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> };
  private closeDatabase: () => Promise<void> = async () => {};

  /** `database`: an embedded PGlite (default) or a fresh database on the real PostgreSQL server. */
  constructor(
    private readonly serverOptions: TestProviderServerOptions = {},
    private readonly database: 'pglite' | 'postgres' = 'pglite',
  ) {}

  async setup(): Promise<void> {
    if (this.database === 'postgres') {
      const database = await createTestDatabase({ migrate: true, prefix: 'tl_engine' });
      this.db = database.pool;
      this.store = postgresStore({ pool: database.pool });
      this.closeDatabase = () => database.drop();
    } else {
      const pglite = await createTestPGlite({ migrate: true });
      this.db = pglite;
      this.store = postgresStore(pglite);
      this.closeDatabase = () => pglite.close();
    }
    await this.db.query(`alter type provider_type add value if not exists '${TEST_PROVIDER_ID}'`);
    await this.db.query(`alter type provider_type add value if not exists 'testfit_b'`);
    this.server = await startTestProviderServer(this.serverOptions);
  }

  async reset(): Promise<void> {
    await resetDatabase(this.db);
    this.server.resetFaults();
    this.server.resetCounters();
    this.clock = new FakeClock(Date.now());
    this.logger = recordingLogger();
    this.userId = await this.createUser('athlete@example.com');
  }

  async teardown(): Promise<void> {
    await this.server?.close();
    await this.closeDatabase();
  }

  async createUser(email: string): Promise<number> {
    return Number((await this.query('insert into users (email) values ($1) returning id', [email]))[0]?.id);
  }

  async query(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.db.query(sql, params)).rows as Row[];
  }

  options(options: Partial<TrainlyticsOptions> & { pageSize?: number } = {}): TrainlyticsOptions {
    const { pageSize, ...rest } = options;
    return {
      store: this.store,
      providers: [this.server.createProvider(pageSize === undefined ? {} : { pageSize })],
      clock: this.clock,
      logger: this.logger,
      encryptionKey: KEY_A,
      ...rest,
    };
  }

  trainlytics(options: Partial<TrainlyticsOptions> & { pageSize?: number } = {}): Trainlytics {
    return createTrainlytics(this.options(options));
  }

  /** Seeds an account at the provider and connects it (start → consent → finish). */
  async connect(t: Trainlytics, activityCount = 12, userId = this.userId) {
    const { providerUserId } = await this.server.seedAccount({ activityCount });
    const { url } = await t.connect.start(TEST_PROVIDER_ID, { userId, redirectUri });
    const callback = await this.server.approve(url, { providerUserId });
    const connection = await t.connect.finish(TEST_PROVIDER_ID, { callbackParams: callback.searchParams });
    return { connection, providerUserId };
  }

  async stored(connectionId: number): Promise<number> {
    const rows = await this.query('select count(*)::int as n from activities where connection_id = $1', [
      connectionId,
    ]);
    return Number(rows[0]?.n);
  }
}
