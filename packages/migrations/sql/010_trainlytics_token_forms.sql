-- Trainlytics 010 — trainlytics_token_forms(): how many stored provider tokens are encrypted (`tl1:…`, see
-- packages/core/src/crypto/token-cipher.ts) and how many are plaintext. Core refuses to start, or to write a
-- plaintext token, without TRAINLYTICS_ENCRYPTION_KEY on a database that already holds encrypted tokens;
-- this is how it asks. Only counts leave the database, never a token.
--
-- One transaction, idempotent (re-runnable, e.g. pasted twice into the Supabase SQL editor). Executable by
-- the owner and `service_role` only, like the other trainlytics_* functions.

begin;

set local client_min_messages = warning;

-- args: {} -> { "encrypted": n, "plaintext": n } over provider_connections' access and refresh tokens
create or replace function trainlytics_token_forms(args jsonb default '{}')
returns jsonb
language sql
stable
set search_path from current
as $$
  select jsonb_build_object(
    'encrypted', count(*) filter (where v.token like 'tl1:%'),
    'plaintext', count(*) filter (where v.token not like 'tl1:%')
  )
  from provider_connections c
  cross join lateral (values (c.access_token), (c.refresh_token)) as v(token)
  where v.token is not null
$$;

do $$
declare
  role_name text;
begin
  revoke execute on function trainlytics_token_forms(jsonb) from public;
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke execute on function trainlytics_token_forms(jsonb) from %I', role_name);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant execute on function trainlytics_token_forms(jsonb) to service_role;
  end if;
end
$$;

commit;
