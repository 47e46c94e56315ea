import { createClient, type SupabaseClientOptions } from '@supabase/supabase-js';
import { supabaseStore } from '@trainlytics/core/supabase';
import {
  createTestDatabase,
  resetDatabase,
  runStoreConformanceSuite,
  type TestDatabase,
} from '@trainlytics/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ws from 'ws';
import { type PostgrestRpcServer, startPostgrestRpcServer } from './postgrest-rpc-server';

const SERVICE_KEY = 'service-role-key';

function client(url: string, key = SERVICE_KEY) {
  // Node 20 has no global WebSocket: supabase-js's realtime client needs a transport to be created
  // (ws's constructor types are wider than realtime-js's WebSocketLikeConstructor; it works as one)
  const transport = ws as unknown as NonNullable<
    NonNullable<SupabaseClientOptions<'public'>['realtime']>['transport']
  >;
  return createClient(url, key, { realtime: { transport }, auth: { persistSession: false } });
}

let database: TestDatabase;
let server: PostgrestRpcServer;

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true, prefix: 'tl_store_supabase' });
  server = await startPostgrestRpcServer({ db: database.pool, serviceKey: SERVICE_KEY });
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

runStoreConformanceSuite({
  name: 'supabase (supabase-js .rpc() over a PostgREST-compatible server, real PostgreSQL)',
  createStore: async () => ({
    store: supabaseStore(client(server.url)),
    db: database.pool,
    reset: () => resetDatabase(database.pool),
    close: async () => {},
  }),
});

describe('supabaseStore', () => {
  it('goes through .rpc() for every call', () => {
    // the suite above ran: every store method reached SQL through the HTTP endpoint
    expect(server.calls.get('trainlytics_commit_page')).toBeGreaterThan(0);
    expect(server.calls.get('trainlytics_upsert_connection')).toBeGreaterThan(0);
  });

  it('turns a refused key into a TrainlyticsError with a clear message', async () => {
    const store = supabaseStore(client(server.url, 'anon-key'));
    const error = await store.listConnections().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'StoreError' });
    expect((error as Error).message).toMatch(
      /Supabase store: trainlytics_list_connections failed: Invalid API key/,
    );
  });
});
