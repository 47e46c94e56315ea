import { postgresStore } from '@trainlytics/core/postgres';
import {
  createTestDatabase,
  runProviderConformanceSuite,
  startTestProviderServer,
} from '@trainlytics/core/testing';

// The suite every provider package runs, proven first against core's own Testfit provider.
runProviderConformanceSuite({
  name: 'testfit',
  startSandbox: () => startTestProviderServer(),
});

// A provider without refresh tokens (like Polar): an expired token means the user must reconnect.
runProviderConformanceSuite({
  name: 'testfit without refresh tokens',
  startSandbox: () => startTestProviderServer({ refresh: false }),
});

// A listing read in one request (a page size larger than the history).
runProviderConformanceSuite({
  name: 'testfit with a single-request listing',
  startSandbox: () => startTestProviderServer({ pageSize: 100 }),
  capabilities: { listing: 'single' },
});

// The same suite on the real PostgreSQL server, through the `createDatabase` option.
runProviderConformanceSuite({
  name: 'testfit on PostgreSQL',
  startSandbox: () => startTestProviderServer(),
  createDatabase: async () => {
    const database = await createTestDatabase({ migrate: true, prefix: 'tl_conformance' });
    return {
      store: postgresStore({ pool: database.pool }),
      query: (sql, params) => database.pool.query(sql, params),
      close: () => database.drop(),
    };
  },
});
