import {
  ConfigurationError,
  ConnectionConflictError,
  MatchDecisionError,
  NotFoundError,
  StoreError,
} from '../errors/errors';
import { TrainlyticsError } from '../errors/trainlytics-error';
import { UNKNOWN_USER_HINT } from '../store/unknown-user-hint';

/**
 * The SQL functions shipped by the migrations (bodies in `sql/definitions/` of `@trainlytics/migrations`, argument
 * shapes in `store-function-args.ts`, ADR 0038). Each takes one `args jsonb` object
 * (snake_case keys, instants as ISO strings) and returns jsonb, boolean or int.
 */
export const STORE_FUNCTIONS = [
  'trainlytics_list_connections',
  'trainlytics_upsert_connection',
  'trainlytics_update_connection',
  'trainlytics_update_tokens',
  'trainlytics_save_oauth_state',
  'trainlytics_consume_oauth_state',
  'trainlytics_delete_expired_oauth_states',
  'trainlytics_start_sync',
  'trainlytics_commit_page',
  'trainlytics_finish_sync',
  'trainlytics_fail_running_syncs',
  'trainlytics_list_syncs',
  'trainlytics_list_activities',
  'trainlytics_count_activities',
  'trainlytics_acquire_lease',
  'trainlytics_release_lease',
  'trainlytics_describe_lease',
  'trainlytics_record_webhook_event',
  'trainlytics_forget_webhook_event',
  'trainlytics_token_forms',
  'trainlytics_save_activity_streams',
  'trainlytics_get_activity_streams',
  'trainlytics_get_activity',
  'trainlytics_list_streams_backlog',
  'trainlytics_count_streams_backlog',
  'trainlytics_list_canonical_activities',
  'trainlytics_dedupe',
  'trainlytics_decide_match',
] as const;

export type StoreFunction = (typeof STORE_FUNCTIONS)[number];

/** JSON-ready arguments of a store function (`undefined` keys are dropped when serialized). */
export type StoreFunctionArgs = Record<string, unknown>;

/**
 * How a store reaches the database: calls `fn(args => <args as jsonb>)` and resolves with the function's
 * result, or rejects with a {@link StoreCallError}-shaped error (`code` = SQLSTATE or PostgREST code).
 */
export type CallStoreFunction = (fn: StoreFunction, args: StoreFunctionArgs) => Promise<unknown>;

/** The fields of a database error that the stores read (node-postgres, PGlite and PostgREST all have them). */
export interface StoreCallError {
  code?: string;
  message?: string;
  detail?: string;
  details?: string;
  hint?: string;
}

/** SQLSTATEs raised by the 003 functions. */
export const STORE_ERROR_CODES = {
  connectionConflict: 'TL001',
  notFound: 'TL404',
  unknownProvider: 'TL422',
  /** trainlytics_commit_page (013): the page's lease is held by another owner; nothing was written. */
  leaseTaken: 'TL409',
  /** trainlytics_decide_match (014): a link of one connection's, two users' or the same activity. */
  matchDecision: 'TL410',
} as const;

const MISSING_FUNCTION_HINT =
  'run the Trainlytics migrations (`npx @trainlytics/cli migrate up`, or paste the up files of @trainlytics/migrations into the SQL editor, in order): migration 003 creates the store functions';

/** The functions whose foreign key is `user_id references users`. */
const USER_ROWS: ReadonlySet<StoreFunction> = new Set([
  'trainlytics_save_oauth_state',
  'trainlytics_upsert_connection',
]);

function detailOf(e: StoreCallError): string {
  const detail = e.detail ?? e.details;
  return detail ? ` (${detail})` : '';
}

/**
 * Turns a database error into the typed error core understands. `where` names the store for messages
 * (`PostgreSQL`, `PGlite`, `Supabase`).
 */
export function toStoreError(fn: StoreFunction, error: unknown, where: string): Error {
  if (TrainlyticsError.isInstance(error)) return error;
  const e = (error ?? {}) as StoreCallError;
  const message = e.message || String(error);
  switch (e.code) {
    case STORE_ERROR_CODES.connectionConflict:
      return new ConnectionConflictError(message, {
        hint: e.hint ?? 'disconnect it from the other user first',
        cause: error,
      });
    case STORE_ERROR_CODES.notFound: // upsert_connection says "No user with id …" for a missing users row
      return new NotFoundError(message, {
        ...(fn === 'trainlytics_upsert_connection' ? { hint: UNKNOWN_USER_HINT } : {}),
        cause: error,
      });
    case '23503': // foreign_key_violation: the users row the OAuth state or connection points to is missing
      return new NotFoundError(
        `${where} store: ${fn} refers to a row that does not exist: ${message}${detailOf(e)}`,
        {
          hint: USER_ROWS.has(fn) ? UNKNOWN_USER_HINT : 'create the referenced row first',
          cause: error,
        },
      );
    case STORE_ERROR_CODES.matchDecision:
      return new MatchDecisionError(message, {
        hint: 'link activities of one user from two different connections (or unlink instead)',
        cause: error,
      });
    case STORE_ERROR_CODES.unknownProvider:
      return new ConfigurationError(message, { hint: e.hint, cause: error });
    case '42883': // undefined_function
    case '42P01': // undefined_table
    case 'PGRST202': // PostgREST: function not found in the schema cache
      return new ConfigurationError(`${where} store: ${fn} is missing (${message})`, {
        hint: MISSING_FUNCTION_HINT,
        cause: error,
      });
    case '42501': // insufficient_privilege
      return new ConfigurationError(`${where} store: not allowed to run ${fn} (${message})`, {
        hint: 'call the store functions as the table owner, or with the Supabase service-role key (`service_role` needs EXECUTE on the trainlytics_* functions)',
        cause: error,
      });
    default:
      return new StoreError(`${where} store: ${fn} failed: ${message}`, {
        hint: e.hint,
        cause: error,
        ...(e.code ? { code: e.code } : {}),
      });
  }
}
