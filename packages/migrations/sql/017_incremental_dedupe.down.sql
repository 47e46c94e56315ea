-- Trainlytics 017 (down) — back to 014's matching: 014's window matcher trainlytics_dedupe_region (with its
-- day of context) and its trigger function (that matcher a day around each written start);
-- `trainlytics_dedupe_policy.incremental` off by default again, and off on the row where it holds 014's
-- defaults (as 017 found it); 017's index and functions dropped. Nothing is lost: matches and groups are
-- derived (`trainlytics dedupe --all` computes them again), and people's decisions stay.
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

-- 014's definitions
-- Re-matches the activities of each user `p_users[i]` that start in [p_from[i], p_to[i]] (null: from the first /
-- to the last), reading their neighbours a day either side, and rewrites their matches and groups. Returns
-- { matches, groups, grouped } written. Set-based: one candidate search on (user_id, start_date).
create or replace function trainlytics_dedupe_region(p_users int[], p_from timestamptz[], p_to timestamptz[])
returns jsonb
language plpgsql
volatile
security definer
set search_path from current
as $$
declare
  pol trainlytics_dedupe_policy;
  v_tol interval;
  v_edges activity_matches[];
  v_members activity_group_members[];
  v_region int[];
  v_matches int := 0;
  v_groups int := 0;
  v_grouped int := 0;
begin
  select * into pol from trainlytics_dedupe_policy where id;
  if not found then
    pol := row(true, 0.7, 300, 0.6, 0.8, array['garmin', 'polar', 'wahoo', 'coros', 'suunto', 'strava'], false);
  end if;
  v_tol := make_interval(secs => pol.start_tolerance_s);

  -- The windows, one per user (merged), and the activities whose matches are rewritten.
  create temp table if not exists pg_temp.trainlytics_dedupe_window (
    user_id int primary key, f timestamptz not null, t timestamptz not null
  ) on commit drop;
  truncate pg_temp.trainlytics_dedupe_window;
  insert into pg_temp.trainlytics_dedupe_window (user_id, f, t)
  select w.u, coalesce(min(w.f), '-infinity'), coalesce(max(w.t), 'infinity')
  from unnest(p_users, p_from, p_to) as w(u, f, t)
  where w.u is not null
  group by w.u;

  select coalesce(array_agg(a.id), '{}') into v_region
  from pg_temp.trainlytics_dedupe_window w
  join activities a on a.user_id = w.user_id and a.start_date >= w.f and a.start_date <= w.t;

  with ctx as (
    -- the region and a day either side: the context every pair is judged in
    select a.id, a.user_id, coalesce(a.connection_id, -a.user_id) as conn,
           coalesce(a.provider::text, 'strava') as provider, a.provider_activity_id, a.sport_type,
           a.start_date, coalesce(nullif(a.elapsed_time_s, 0), a.moving_time_s) as dur, a.distance_m,
           a.raw ->> 'external_id' as external_id, a.raw
    from pg_temp.trainlytics_dedupe_window w
    join activities a on a.user_id = w.user_id
      and a.start_date >= w.f - interval '1 day' and a.start_date <= w.t + interval '1 day'
  ),
  pairs as (
    select distinct least(x.id, b.id) as lo, greatest(x.id, b.id) as hi
    from ctx x
    -- per activity, an index range scan on (user_id, start_date) (a lateral with a limit keeps it one)
    cross join lateral (
      select b.id, b.connection_id, b.user_id
      from activities b
      where b.user_id = x.user_id
        and b.start_date >= x.start_date - case when x.external_id is null then v_tol else interval '1 day' end
        and b.start_date <= x.start_date + case when x.external_id is null then v_tol else interval '1 day' end
      limit 1000
    ) b
    where b.id <> x.id and coalesce(b.connection_id, -b.user_id) <> x.conn
  ),
  candidates as (
    select c.lo, c.hi, p.user_id, p.conn as conn_lo, q.conn as conn_hi,
           p.external_id as ext_p, q.external_id as ext_q, p.provider_activity_id as pid_p,
           q.provider_activity_id as pid_q, p.raw as raw_p, q.raw as raw_q, p.start_date as start_p,
           q.start_date as start_q, p.dur as dur_p, q.dur as dur_q, p.distance_m as dist_p, q.distance_m as dist_q,
           p.sport_type as sport_p, q.sport_type as sport_q, p.provider as provider_p, q.provider as provider_q
    from pairs c join ctx p on p.id = c.lo join ctx q on q.id = c.hi
  ),
  judged as (
    select c.lo, c.hi, c.user_id, c.conn_lo, c.conn_hi,
           coalesce(x.p_names_q, x.q_names_p) as xref_id,
           case when x.p_names_q is not null then c.ext_p else c.ext_q end as xref_external_id,
           abs(extract(epoch from c.start_q - c.start_p))::double precision as start_delta_s,
           case when c.dur_p > 0 and c.dur_q > 0 then
             greatest(0, extract(epoch from
               least(c.start_p + make_interval(secs => c.dur_p), c.start_q + make_interval(secs => c.dur_q))
               - greatest(c.start_p, c.start_q)))::double precision
             / greatest(c.dur_p, c.dur_q)
           end as overlap,
           case when c.dist_p > 0 and c.dist_q > 0
                 and not trainlytics_sport_indoor(c.sport_p) and not trainlytics_sport_indoor(c.sport_q)
                then least(c.dist_p, c.dist_q) / greatest(c.dist_p, c.dist_q)
           end as distance_ratio,
           (trainlytics_sport_family(c.sport_p) = trainlytics_sport_family(c.sport_q)
             or trainlytics_sport_family(c.sport_p) = 'other'
             or trainlytics_sport_family(c.sport_q) = 'other') as sports_compatible,
           c.sport_p as sport_lo, c.sport_q as sport_hi,
           c.provider_p as provider_lo, c.provider_q as provider_hi
    from candidates c
    cross join lateral (
      select case when c.ext_p is not null then trainlytics_dedupe_xref(c.ext_p, c.pid_q, c.raw_q) end as p_names_q,
             case when c.ext_q is not null then trainlytics_dedupe_xref(c.ext_q, c.pid_p, c.raw_p) end as q_names_p
    ) x
  ),
  scored as (
    select j.*,
           case
             when j.xref_id is not null then 1.0
             when j.sports_compatible and j.start_delta_s <= pol.start_tolerance_s and j.overlap >= pol.min_overlap
                  and (j.distance_ratio is null or j.distance_ratio >= pol.min_distance_ratio)
               then round((0.6 * j.overlap
                           + 0.2 * (1 - j.start_delta_s / greatest(pol.start_tolerance_s, 1))
                           + 0.2 * coalesce(j.distance_ratio, 0.5))::numeric, 3)::double precision
             else 0
           end as score
    from judged j
  ),
  decided as (
    select d.activity_id as lo, d.other_activity_id as hi, d.decision
    from activity_match_decisions d
    join ctx on ctx.id = d.activity_id
  ),
  auto_pairs as (
    select s.* from scored s
    where s.score >= pol.threshold
      and not exists (select 1 from decided d where d.lo = s.lo and d.hi = s.hi)
  ),
  oriented as (
    select lo as x, hi as y, conn_hi as conn_y, score from auto_pairs
    union all
    select hi, lo, conn_lo, score from auto_pairs
  ),
  best as (
    select o.x, o.y,
           row_number() over (partition by o.x, o.conn_y order by o.score desc, o.y) as r
    from oriented o
  ),
  mutual as (
    -- each is the other's best: both orientations ranked first
    select least(b.x, b.y) as lo, greatest(b.x, b.y) as hi
    from best b where b.r = 1
    group by 1, 2
    having count(*) = 2
  ),
  kept_auto as (
    select s.lo, s.hi, s.user_id, s.score,
           case when s.xref_id is not null then
             jsonb_build_object('rule', 'external_id', 'external_id', s.xref_external_id, 'matched_id', s.xref_id)
           else
             jsonb_build_object('rule', 'time_overlap', 'start_delta_s', s.start_delta_s,
               'overlap', round(s.overlap::numeric, 3), 'distance_ratio', round(s.distance_ratio::numeric, 3),
               'sports', jsonb_build_array(s.sport_lo, s.sport_hi))
           end || jsonb_build_object('providers', jsonb_build_array(s.provider_lo, s.provider_hi),
                                     'threshold', pol.threshold) as evidence
    from auto_pairs s
    join mutual m on m.lo = s.lo and m.hi = s.hi
  ),
  manual as (
    select d.lo, d.hi, a.user_id, 1.0::double precision as score,
           jsonb_build_object('rule', 'manual', 'decision', 'link') as evidence
    from decided d join activities a on a.id = d.lo
    where d.decision = 'link'
  )
  select coalesce(array_agg(row(e.lo, e.hi, e.user_id, e.score, e.evidence, e.manual, now())::activity_matches), '{}')
  into v_edges
  from (
    select k.*, false as manual from kept_auto k where not exists (select 1 from manual m where m.lo = k.lo and m.hi = k.hi)
    union all
    select m.*, true from manual m
  ) e;

  -- Groups: the connected pairs; in a group, one activity per connection (a manual link first, then the
  -- strongest match, then the lower id); the canonical copy by the policy's provider order, a complete record
  -- over a summary, more values over fewer, the lower id.
  with recursive edge as (
    select e.activity_id as x, e.other_activity_id as y, e.score, e.manual from unnest(v_edges) e
    union all
    select e.other_activity_id, e.activity_id, e.score, e.manual from unnest(v_edges) e
  ),
  reach(node, other) as (
    select x, y from edge
    union
    select r.node, e.y from reach r join edge e on e.x = r.other
  ),
  component as (
    select r.node, least(r.node, min(r.other)) as comp from reach r group by r.node
  ),
  member as (
    select c.comp, a.id, a.user_id, coalesce(a.connection_id, -a.user_id) as conn,
           coalesce(array_position(pol.provider_order, coalesce(a.provider::text, 'strava')), 1000) as provider_rank,
           (a.detail is distinct from 'summary') as complete,
           num_nonnulls(a.name, a.elapsed_time_s, a.moving_time_s, a.distance_m, a.total_elevation_gain_m,
             a.average_heartrate, a.max_heartrate, a.calories, a.average_speed_mps, a.max_speed_mps, a.device_name) as richness,
           n.has_manual, n.best_score
    from component c
    join activities a on a.id = c.node
    join (select e.x, bool_or(e.manual) as has_manual, max(e.score) as best_score from edge e group by e.x) n
      on n.x = c.node
  ),
  one_per_connection as (
    select m.*
    from (
      select m.*, row_number() over (partition by m.comp, m.conn order by m.has_manual desc, m.best_score desc, m.id) as r
      from member m
    ) m
    where m.r = 1
  ),
  ranked as (
    select o.*, count(*) over (partition by o.comp) as size,
           row_number() over w - 1 as member_rank,
           first_value(o.id) over w as group_id
    from one_per_connection o
    window w as (partition by o.comp order by o.provider_rank, o.complete desc, o.richness desc, o.id)
  )
  select coalesce(array_agg(row(r.id, r.group_id, r.user_id, r.member_rank)::activity_group_members), '{}')
  into v_members
  from ranked r
  where r.size >= 2;

  -- Rewrite: the old matches and groups touching the region (and the members of the new groups) go.
  delete from activity_matches m
  using (select unnest(v_region) as id union select u.activity_id from unnest(v_members) u) r
  where m.activity_id = r.id;
  delete from activity_matches m
  using (select unnest(v_region) as id union select u.activity_id from unnest(v_members) u) r
  where m.other_activity_id = r.id;
  delete from activity_group_members g
  using (
    select distinct o.group_id from activity_group_members o
    join (select unnest(v_region) as id union select u.activity_id from unnest(v_members) u) r on r.id = o.activity_id
  ) old
  where g.group_id = old.group_id;
  insert into activity_group_members select * from unnest(v_members);
  get diagnostics v_grouped = row_count;
  insert into activity_matches
  select e.* from unnest(v_edges) e
  join unnest(v_members) a on a.activity_id = e.activity_id
  join unnest(v_members) b on b.activity_id = e.other_activity_id and b.group_id = a.group_id
  on conflict (activity_id, other_activity_id) do update
    set score = excluded.score, evidence = excluded.evidence, manual = excluded.manual, matched_at = excluded.matched_at;
  get diagnostics v_matches = row_count;
  select count(distinct (u).group_id) into v_groups from unnest(v_members) u;

  return jsonb_build_object('activities', cardinality(v_region), 'matches', v_matches, 'groups', v_groups,
                            'grouped', v_grouped);
end
$$;

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
