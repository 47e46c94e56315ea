-- Trainlytics definitions 01_helpers.sql — helpers: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 002_multi_provider.sql)
-- "First Last", trimmed, skipping null/empty parts; falls back to the names in
-- the user's oldest connection profile (Strava's firstname/lastname) when the
-- users row has none. Null for an unknown user.
create or replace function get_user_full_name(user_id int)
returns text
language sql
stable
as $$
  select coalesce(
    nullif(concat_ws(' ', nullif(btrim(u.first_name), ''), nullif(btrim(u.last_name), '')), ''),
    (
      select nullif(concat_ws(' ',
        nullif(btrim(pc.provider_profile ->> 'firstname'), ''),
        nullif(btrim(pc.provider_profile ->> 'lastname'), '')), '')
      from provider_connections pc
      where pc.user_id = u.id
        and coalesce(btrim(pc.provider_profile ->> 'firstname'), btrim(pc.provider_profile ->> 'lastname'), '') <> ''
      order by pc.created_at, pc.id
      limit 1
    )
  )
  from users u
  where u.id = get_user_full_name.user_id
$$;

-- (from 002_multi_provider.sql)
-- True when the access token has expired; false when it never expires
-- (token_expires_at is null); null for an unknown connection id.
create or replace function is_token_expired(connection_id int)
returns boolean
language sql
stable
as $$
  select pc.token_expires_at is not null and pc.token_expires_at <= now()
  from provider_connections pc
  where pc.id = is_token_expired.connection_id
$$;

-- (from 002_multi_provider.sql)
-- The Trainlytics user id (users.id) of the current request, for RLS policies:
-- the `app_user_id` claim of the JWT as PostgREST/Supabase exposes it in
-- `request.jwt.claims`. Null when the claim is absent or not a positive integer.
-- Put it in your tokens' claims (e.g. a Supabase custom access token hook), or
-- for a direct connection:
--   select set_config('request.jwt.claims', '{"app_user_id": 42}', true);
create or replace function trainlytics_current_user_id()
returns int
language sql
stable
as $$
  select case when claim ~ '^[0-9]{1,9}$' then claim::int end
  from (
    select nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'app_user_id' as claim
  ) claims
$$;

-- (from 003_trainlytics_core.sql)
-- A provider_type from text; null when the value is not (yet) in the enum.
create or replace function trainlytics_provider(value text)
returns provider_type
language sql
stable
set search_path from current
as $$
  select e from unnest(enum_range(null::provider_type)) as e where e::text = value
$$;

-- (from 003_trainlytics_core.sql)
-- Like trainlytics_provider, but raises TL422 for an unknown value.
create or replace function trainlytics_require_provider(value text)
returns provider_type
language plpgsql
stable
set search_path from current
as $$
declare
  result provider_type := trainlytics_provider(value);
begin
  if result is null then
    raise exception using
      errcode = 'TL422',
      message = format('Unknown provider %L: the provider_type enum has no such value', value),
      hint = format('Add it with: ALTER TYPE provider_type ADD VALUE %L;', value);
  end if;
  return result;
end
$$;

-- (from 003_trainlytics_core.sql)
-- A text[] from a JSON array of strings ('{}' for anything else).
create or replace function trainlytics_text_array(value jsonb)
returns text[]
language sql
immutable
set search_path from current
as $$
  select case when jsonb_typeof(value) = 'array'
    then array(select jsonb_array_elements_text(value))
    else '{}'::text[]
  end
$$;

-- (from 003_trainlytics_core.sql)
-- An activities row as JSON (the legacy bigint strava_activity_id as text: Strava ids exceed 2^53).
-- A row the legacy (001) schema wrote after 002 ran has no provider_activity_id until 002 is re-run: it is
-- read under its Strava id, as text (ADR 0040; store suite: "lists a row the legacy schema wrote after 002").
create or replace function trainlytics_activity_json(a activities)
returns jsonb
language sql
stable
set search_path from current
as $$
  select (to_jsonb(a) - 'strava_activity_id')
    || jsonb_build_object(
      'strava_activity_id', a.strava_activity_id::text,
      'provider_activity_id', coalesce(a.provider_activity_id, a.strava_activity_id::text)
    )
$$;

commit;
