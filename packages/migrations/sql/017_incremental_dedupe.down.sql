-- Trainlytics 017 (down) — back to 014's matching on write: 014's trigger function (the window matcher
-- trainlytics_dedupe_region a day around each written start), `trainlytics_dedupe_policy.incremental` off by
-- default again, and off on the row where it holds 014's defaults (as 017 found it); 017's index and functions
-- dropped. Nothing is lost: matches
-- and groups are derived (`trainlytics dedupe --all` computes them again), and people's decisions stay.
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

alter table trainlytics_dedupe_policy alter column incremental set default false;
update trainlytics_dedupe_policy set incremental = false
where incremental
  and (threshold, start_tolerance_s, min_overlap, min_distance_ratio, provider_order)
    is not distinct from (0.7::double precision, 300, 0.6::double precision, 0.8::double precision,
                          array['garmin', 'polar', 'wahoo', 'coros', 'suunto', 'strava']);

-- 014's definition
-- The incremental matcher: after a write to `activities` (a page commit, a webhook, an app's own insert), the
-- written users are re-matched around the written start times, old and new (set-based, one call per statement).
create or replace function trainlytics_dedupe_after_write()
returns trigger
language plpgsql
security definer
set search_path from current
as $$
declare
  v_users int[];
  v_from timestamptz[];
  v_to timestamptz[];
begin
  -- `set trainlytics.dedupe = 'off' | 'on'` decides for the session; otherwise the policy's `incremental`
  if coalesce(current_setting('trainlytics.dedupe', true), '') = 'off'
     or (coalesce(current_setting('trainlytics.dedupe', true), '') <> 'on'
         and not coalesce((select p.incremental from trainlytics_dedupe_policy p where p.id), false)) then
    return null;
  end if;
  if tg_op = 'INSERT' then
    select array_agg(w.user_id), array_agg(w.f), array_agg(w.t) into v_users, v_from, v_to
    from (
      select n.user_id, min(n.start_date) - interval '1 day' as f, max(n.start_date) + interval '1 day' as t
      from tl_new n where n.start_date is not null group by n.user_id
    ) w;
  elsif tg_op = 'UPDATE' then
    select array_agg(w.user_id), array_agg(w.f), array_agg(w.t) into v_users, v_from, v_to
    from (
      select c.user_id, min(c.start_date) - interval '1 day' as f, max(c.start_date) + interval '1 day' as t
      from (
        select n.user_id, n.start_date, o.user_id as old_user_id, o.start_date as old_start_date
        from tl_new n join tl_old o on o.id = n.id
        where (n.user_id, n.connection_id, n.provider, n.provider_activity_id, n.sport_type, n.start_date,
               n.elapsed_time_s, n.moving_time_s, n.distance_m, n.raw ->> 'external_id', n.detail)
          is distinct from
              (o.user_id, o.connection_id, o.provider, o.provider_activity_id, o.sport_type, o.start_date,
               o.elapsed_time_s, o.moving_time_s, o.distance_m, o.raw ->> 'external_id', o.detail)
      ) ch
      cross join lateral (values (ch.user_id, ch.start_date), (ch.old_user_id, ch.old_start_date)) c(user_id, start_date)
      where c.start_date is not null
      group by c.user_id
    ) w;
  else
    select array_agg(w.user_id), array_agg(w.f), array_agg(w.t) into v_users, v_from, v_to
    from (
      select o.user_id, min(o.start_date) - interval '1 day' as f, max(o.start_date) + interval '1 day' as t
      from tl_old o where o.start_date is not null group by o.user_id
    ) w;
  end if;
  if cardinality(v_users) > 0 then
    perform trainlytics_dedupe_region(v_users, v_from, v_to);
  end if;
  return null;
end
$$;

drop index if exists activities_external_id_start_idx;
drop function if exists trainlytics_dedupe_incremental(int[]);
drop function if exists trainlytics_dedupe_nodes(int[]);

commit;
