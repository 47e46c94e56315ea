import { ConfigurationError } from '../errors/errors';
import { createFunctionStore } from '../postgres/function-store';
import {
  type StoreCallError,
  type StoreFunction,
  type StoreFunctionArgs,
  toStoreError,
} from '../postgres/store-functions';
import type { Store } from '../store/store';

/**
 * The part of a supabase-js client the store uses: `.rpc()`. Any `SupabaseClient` has it; typed
 * clients (`SupabaseClient<Database>`) are accepted as well.
 */
export interface SupabaseRpcClient {
  // biome-ignore lint/suspicious/noExplicitAny: supabase-js types `rpc` against the generated schema
  rpc(fn: any, args?: any): PromiseLike<{ data: unknown; error: StoreCallError | null }>;
}

/**
 * A `Store` on Supabase: every method is one `.rpc('trainlytics_…', { args })` call of the SQL functions
 * that migration 003 creates (the same functions `postgresStore` runs).
 *
 * Build the client with the **service-role key** (`createClient(url, serviceRoleKey)`): the functions
 * are not executable by `anon` / `authenticated`, and they read tokens. Keep that client on the server.
 * The functions must be in the client's schema (`public` unless you set `db.schema`).
 */
export function supabaseStore(client: SupabaseRpcClient): Store {
  if (!client || typeof client.rpc !== 'function') {
    throw new ConfigurationError(
      'supabaseStore expects a supabase-js client: createClient(url, serviceRoleKey)',
    );
  }
  const call = async (fn: StoreFunction, args: StoreFunctionArgs): Promise<unknown> => {
    let response: { data: unknown; error: StoreCallError | null };
    try {
      response = await client.rpc(fn, { args });
    } catch (error) {
      // supabase-js only throws for network failures (or with `.throwOnError()`)
      throw toStoreError(fn, error, 'Supabase');
    }
    if (response.error) throw toStoreError(fn, response.error, 'Supabase');
    return response.data ?? null;
  };
  return createFunctionStore({ kind: 'supabase', call });
}
