-- Trainlytics 008 — who holds a lease.
--
-- Leases (003's `trainlytics_leases`) are now short (15 s by default) and renewed by a heartbeat of their
-- holder, and a holder writes its name into the owner (`trainlytics sync (pid 1234 on host) #…`). A caller
-- that waits for a lease reads it with `trainlytics_describe_lease(args)` to say what it waits for.
--
-- One transaction, idempotent (a second run changes nothing and raises nothing).

begin;

set local client_min_messages = warning;

-- args: { key } -> [{ key, owner, expires_at }] of the lease (expired or not), or [] when nobody holds it.
create or replace function trainlytics_describe_lease(args jsonb)
returns jsonb
language sql
stable
set search_path from current
as $$
  select coalesce(
    jsonb_agg(jsonb_build_object('key', l.key, 'owner', l.owner, 'expires_at', l.expires_at)),
    '[]'::jsonb
  )
  from trainlytics_leases l
  where l.key = args ->> 'key'
$$;

do $$
declare
  role_name text;
begin
  revoke execute on function trainlytics_describe_lease(jsonb) from public;
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke execute on function trainlytics_describe_lease(jsonb) from %I', role_name);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant execute on function trainlytics_describe_lease(jsonb) to service_role;
  end if;
end
$$;

commit;
