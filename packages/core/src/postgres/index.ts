export { createFunctionStore, type FunctionStoreOptions } from './function-store';
export {
  type PGliteLike,
  type PgPoolLike,
  type PgQueryable,
  type PostgresStoreInput,
  postgresStore,
} from './postgres-store';
export { type PostgresRateLimitTrackerOptions, postgresRateLimitTracker } from './rate-limit-tracker';
export type { StoreFunctionArgsOf, TypedCallStoreFunction } from './store-function-args';
export {
  type CallStoreFunction,
  STORE_ERROR_CODES,
  STORE_FUNCTIONS,
  type StoreFunction,
  type StoreFunctionArgs,
  toStoreError,
} from './store-functions';
