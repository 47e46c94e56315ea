-- Trainlytics definitions 03_oauth_states.sql — oauth states: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 003_trainlytics_core.sql)
-- args: { state, provider, user_id, redirect_uri, code_verifier, scopes, return_to, created_at, expires_at }
create or replace function trainlytics_save_oauth_state(args jsonb)
returns void
language sql
volatile
set search_path from current
as $$
  insert into trainlytics_oauth_states (
    state, provider, user_id, redirect_uri, code_verifier, scopes, return_to, created_at, expires_at
  ) values (
    args ->> 'state',
    trainlytics_require_provider(args ->> 'provider'),
    (args ->> 'user_id')::int,
    args ->> 'redirect_uri',
    args ->> 'code_verifier',
    trainlytics_text_array(args -> 'scopes'),
    args ->> 'return_to',
    coalesce((args ->> 'created_at')::timestamptz, now()),
    (args ->> 'expires_at')::timestamptz
  )
$$;

-- (from 003_trainlytics_core.sql)
-- args: { state } -> the deleted row, or null (unknown or already used). Single use, atomically.
create or replace function trainlytics_consume_oauth_state(args jsonb)
returns jsonb
language sql
volatile
set search_path from current
as $$
  with consumed as (
    delete from trainlytics_oauth_states s where s.state = args ->> 'state' returning s.*
  )
  select to_jsonb(consumed) from consumed
$$;

-- (from 003_trainlytics_core.sql)
-- args: { now } -> how many expired states were deleted.
create or replace function trainlytics_delete_expired_oauth_states(args jsonb)
returns int
language sql
volatile
set search_path from current
as $$
  with deleted as (
    delete from trainlytics_oauth_states s
    where s.expires_at <= coalesce((args ->> 'now')::timestamptz, now())
    returning 1
  )
  select count(*)::int from deleted
$$;

commit;
