-- Trainlytics definitions 07_leases.sql — leases: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 003_trainlytics_core.sql)
-- args: { key, owner, expires_at, now } -> true when `owner` holds the lease until expires_at
-- (it was free, expired, or already this owner's: re-acquiring extends it).
create or replace function trainlytics_acquire_lease(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  insert into trainlytics_leases as l (key, owner, expires_at)
  values (args ->> 'key', args ->> 'owner', (args ->> 'expires_at')::timestamptz)
  on conflict (key) do update set owner = excluded.owner, expires_at = excluded.expires_at
  where l.expires_at <= coalesce((args ->> 'now')::timestamptz, now()) or l.owner = excluded.owner;
  return found;
end
$$;

-- (from 003_trainlytics_core.sql)
-- args: { key, owner } -> true when the owner's lease was released (another owner's is left alone).
create or replace function trainlytics_release_lease(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  delete from trainlytics_leases l where l.key = args ->> 'key' and l.owner = args ->> 'owner';
  return found;
end
$$;

-- (from 008_trainlytics_lease_holders.sql)
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

commit;
