-- Trainlytics 005 — hardening found by the reliability and security suites.
--
-- * Row level security on the legacy `users` and `activities` tables. On Supabase, the default
--   privileges let the `anon` key read every table in `public`: without RLS every user's activities and
--   e-mail address were readable by anyone holding the anon key (also through the views of 002, which
--   are `security_invoker`). Now `anon` gets nothing and `authenticated` reads only its own rows (the
--   `app_user_id` claim, see `trainlytics_current_user_id()` in 002). The table owner and Supabase's
--   `service_role` (BYPASSRLS) are unaffected, so an existing back end keeps working.
-- * `trainlytics_forget_webhook_event(args)`: core forgets a delivery's key when processing it failed
--   (or a deauthorization was not confirmed), so a redelivery is processed instead of dropped.
--
-- One transaction, idempotent (a second run changes nothing and raises nothing).

begin;

set local client_min_messages = warning;

alter table users enable row level security;
alter table activities enable row level security;

do $$
begin
  if exists (select 1 from pg_roles where rolname = 'anon') then
    revoke all on users, activities from anon;
    revoke all on sequence users_id_seq, activities_id_seq from anon;
  end if;

  if exists (select 1 from pg_roles where rolname = 'authenticated') then
    revoke all on users, activities from authenticated;
    revoke all on sequence users_id_seq, activities_id_seq from authenticated;
    grant select on users, activities to authenticated;
    if not exists (select 1 from pg_policy where polname = 'users_select_own' and polrelid = 'users'::regclass) then
      create policy users_select_own on users
        for select to authenticated
        using (id = trainlytics_current_user_id());
    end if;
    if not exists (
      select 1 from pg_policy where polname = 'activities_select_own' and polrelid = 'activities'::regclass
    ) then
      create policy activities_select_own on activities
        for select to authenticated
        using (user_id = trainlytics_current_user_id());
    end if;
  end if;
end
$$;

-- args: { provider, event_key } -> true when the key was recorded and is now forgotten.
create or replace function trainlytics_forget_webhook_event(args jsonb)
returns boolean
language plpgsql
volatile
set search_path from current
as $$
begin
  delete from trainlytics_webhook_events
  where provider = trainlytics_require_provider(args ->> 'provider')
    and event_key = args ->> 'event_key';
  return found;
end
$$;

do $$
declare
  role_name text;
begin
  revoke execute on function trainlytics_forget_webhook_event(jsonb) from public;
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name) then
      execute format('revoke execute on function trainlytics_forget_webhook_event(jsonb) from %I', role_name);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'service_role') then
    grant execute on function trainlytics_forget_webhook_event(jsonb) to service_role;
  end if;
end
$$;

commit;
