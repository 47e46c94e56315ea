-- Trainlytics definitions 10_dedupe_matcher.sql — dedupe matcher: the bodies in force (docs/decisions/0038-repeatable-sql-definitions.md).
--
-- A repeatable definition, not a migration: `trainlytics migrate up` re-applies this file whenever its checksum
-- differs from the one recorded in trainlytics_definitions, after the versioned migrations (001 onwards) and in
-- file-name order. Edit this file to change a body (no new numbered migration); every statement must be safe to
-- run again (create or replace). By hand: run it after every numbered file, in the order of the NN_ prefixes.

begin;
-- (from 014_activity_dedupe.sql)
-- The family of a normalized sport (core's SPORT_TYPE_DEFINITIONS, grouped as its comments group them; checked
-- against core by packages/migrations/test/dedupe.test.ts). Two sports are compatible when their families are
-- equal or one of them is `other` (or unknown).
create or replace function trainlytics_sport_family(sport text)
returns text
language sql
immutable
parallel safe
as $$
  select case
    when sport in ('run', 'trail_run', 'treadmill_run', 'virtual_run', 'walk', 'hike', 'wheelchair') then 'foot'
    when sport in ('ride', 'mountain_bike_ride', 'gravel_ride', 'indoor_ride', 'virtual_ride', 'e_bike_ride') then 'cycling'
    when sport in ('swim', 'open_water_swim') then 'swim'
    when sport in ('rowing', 'indoor_rowing', 'paddling', 'stand_up_paddling') then 'paddle'
    when sport in ('surfing', 'kitesurf', 'windsurf', 'sailing', 'diving', 'water_sport') then 'water'
    when sport in ('cross_country_ski', 'alpine_ski', 'ice_skate', 'winter_sport') then 'snow'
    when sport in ('inline_skate', 'skateboard') then 'wheels'
    when sport in ('strength_training', 'hiit', 'workout', 'elliptical', 'stair_stepper', 'jump_rope') then 'gym'
    when sport in ('yoga', 'pilates', 'stretching', 'meditation') then 'mind_body'
    when sport in ('dance', 'martial_arts', 'climbing') then sport
    when sport in ('tennis', 'padel', 'pickleball', 'squash', 'badminton', 'table_tennis', 'racquetball', 'racket_sport') then 'racket'
    when sport in ('soccer', 'basketball', 'volleyball', 'team_sport') then 'team'
    when sport in ('golf', 'shooting_sport', 'multisport', 'horse_riding', 'motorsport', 'air_sport', 'hunting_fishing') then sport
    else 'other'
  end
$$;

-- (from 014_activity_dedupe.sql)
-- Indoor sports: their distance is an estimate (trainer, treadmill, virtual world), never compared.
create or replace function trainlytics_sport_indoor(sport text)
returns boolean
language sql
immutable
parallel safe
as $$
  select sport in ('treadmill_run', 'virtual_run', 'indoor_ride', 'virtual_ride', 'indoor_rowing')
$$;

-- (from 014_activity_dedupe.sql)
-- Whether `external_id` (Strava's name of the uploaded file or push, e.g. `garmin_push_12345678901` or
-- `12345678901_ACTIVITY.fit`) contains one of the other copy's ids (its provider id, or `activityId` / `id` in its
-- raw payload) as a whole token. Ids shorter than four characters are ignored. Returns the id, else null.
create or replace function trainlytics_dedupe_xref(external_id text, provider_activity_id text, raw jsonb)
returns text
language sql
immutable
parallel safe
as $$
  select i.id
  from unnest(array[provider_activity_id, raw ->> 'activityId', raw ->> 'id']) with ordinality as i(id, n)
  where external_id is not null and length(i.id) >= 4
    and lower(i.id) = any (regexp_split_to_array(lower(external_id), '[^0-9a-z]+'))
  order by i.n
  limit 1
$$;

-- (from 017_incremental_dedupe.sql)
-- Matches exactly the activities `p_ids` (which must hold, with each activity, its candidates, a person's links
-- and its group: trainlytics_dedupe_incremental reaches such a set) and rewrites their matches and groups when
-- they changed. Returns { activities, matches, groups, grouped, written }. The rules are 014's
-- trainlytics_dedupe_region's; only the set differs (given, instead of a window of start times).
create or replace function trainlytics_dedupe_nodes(p_ids int[])
returns jsonb
language plpgsql
volatile
security definer
set search_path from current
set jit = off
as $$
declare
  pol trainlytics_dedupe_policy;
  v_tol interval;
  v_edges activity_matches[];
  v_members activity_group_members[];
  v_same boolean;
  v_matches int := 0;
  v_groups int := 0;
  v_grouped int := 0;
begin
  select * into pol from trainlytics_dedupe_policy where id;
  if not found then
    pol := row(true, 0.7, 300, 0.6, 0.8, array['garmin', 'polar', 'wahoo', 'coros', 'suunto', 'strava'], true);
  end if;
  v_tol := make_interval(secs => pol.start_tolerance_s);

  with ctx as materialized (
    select a.id, a.user_id, coalesce(a.connection_id, -a.user_id) as conn,
           coalesce(a.provider::text, 'strava') as provider, a.provider_activity_id, a.sport_type,
           a.start_date, coalesce(nullif(a.elapsed_time_s, 0), a.moving_time_s) as dur, a.distance_m,
           a.raw ->> 'external_id' as external_id, a.raw
    from activities a
    where a.id = any (p_ids) and a.start_date is not null
  ),
  pairs as (
    -- 014's candidate search (one range scan on (user_id, start_date) per activity): starts within the
    -- tolerance, or within a day of an activity with an external id; both ends in the set
    select distinct least(x.id, b.id) as lo, greatest(x.id, b.id) as hi
    from ctx x
    cross join lateral (
      select b.id
      from activities b
      where b.user_id = x.user_id
        and b.start_date >= x.start_date - case when x.external_id is null then v_tol else interval '1 day' end
        and b.start_date <= x.start_date + case when x.external_id is null then v_tol else interval '1 day' end
      limit 1000 -- 014's bound; it also keeps the lateral an index range scan per activity
    ) b
    where b.id <> x.id
  ),
  candidates as (
    select c.lo, c.hi, p.user_id, p.conn as conn_lo, q.conn as conn_hi,
           p.external_id as ext_p, q.external_id as ext_q, p.provider_activity_id as pid_p,
           q.provider_activity_id as pid_q, p.raw as raw_p, q.raw as raw_q, p.start_date as start_p,
           q.start_date as start_q, p.dur as dur_p, q.dur as dur_q, p.distance_m as dist_p, q.distance_m as dist_q,
           p.sport_type as sport_p, q.sport_type as sport_q, p.provider as provider_p, q.provider as provider_q
    from pairs c join ctx p on p.id = c.lo join ctx q on q.id = c.hi
    where q.conn <> p.conn
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
    where d.activity_id = any (p_ids)
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

  if cardinality(v_edges) = 0 then
    -- nothing pairs: the set's activities are workouts of their own (the common page; no group to build)
    v_members := '{}';
  else
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
  end if;

  -- The matches kept: those inside a group.
  select coalesce(array_agg(e), '{}') into v_edges
  from unnest(v_edges) e
  join unnest(v_members) a on a.activity_id = e.activity_id
  join unnest(v_members) b on b.activity_id = e.other_activity_id and b.group_id = a.group_id;
  v_matches := cardinality(v_edges);
  v_grouped := cardinality(v_members);
  select count(distinct (u).group_id) into v_groups from unnest(v_members) u;

  -- Unchanged (the same groups, the same matches with the same score and evidence): nothing to write. The set
  -- holds whole groups, so its stored rows are those whose activity is in it.
  select v_grouped = (select count(*) from activity_group_members g where g.activity_id = any (p_ids))
     and v_matches = (select count(*) from activity_matches m where m.activity_id = any (p_ids))
     and not exists (
       select g.activity_id, g.group_id, g.member_rank
       from activity_group_members g where g.activity_id = any (p_ids)
       except
       select u.activity_id, u.group_id, u.member_rank from unnest(v_members) u)
     and not exists (
       select m.activity_id, m.other_activity_id, m.score, m.evidence, m.manual
       from activity_matches m where m.activity_id = any (p_ids)
       except
       select e.activity_id, e.other_activity_id, e.score, e.evidence, e.manual from unnest(v_edges) e)
  into v_same;
  if v_same then
    return jsonb_build_object('activities', cardinality(p_ids), 'matches', v_matches, 'groups', v_groups,
                              'grouped', v_grouped, 'written', false);
  end if;

  delete from activity_matches m where m.activity_id = any (p_ids);
  delete from activity_matches m where m.other_activity_id = any (p_ids);
  delete from activity_group_members g
  where g.group_id in (select o.group_id from activity_group_members o where o.activity_id = any (p_ids));
  insert into activity_group_members select * from unnest(v_members);
  insert into activity_matches select * from unnest(v_edges);

  return jsonb_build_object('activities', cardinality(p_ids), 'matches', v_matches, 'groups', v_groups,
                            'grouped', v_grouped, 'written', true);
end
$$;

-- (from 017_incremental_dedupe.sql)
-- Re-matches around the activities `p_seeds`: reaches their candidates, links and groups until closed, then
-- trainlytics_dedupe_nodes over what was reached. Ids that no longer exist are ignored.
create or replace function trainlytics_dedupe_incremental(p_seeds int[])
returns jsonb
language plpgsql
volatile
security definer
set search_path from current
set jit = off
as $$
declare
  v_tol double precision;
  v_tol_i interval;
  v_nodes int[];
  v_frontier int[];
  v_found int[];
  v_new int[];
begin
  select p.start_tolerance_s into v_tol from trainlytics_dedupe_policy p where p.id;
  v_tol := coalesce(v_tol, 300);
  v_tol_i := make_interval(secs => v_tol);
  -- (an id that no longer exists, or without a start, reaches nothing; trainlytics_dedupe_nodes skips it)
  select coalesce(array_agg(distinct i.id), '{}') into v_nodes from unnest(p_seeds) i(id) where i.id is not null;
  v_frontier := v_nodes;
  while cardinality(v_frontier) > 0 loop
    select coalesce(array_agg(distinct n.id), '{}'), coalesce(array_agg(distinct n.id) filter (where v.id is null), '{}')
    into v_found, v_new
    from (
      -- candidates: another connection of the user, a start within the tolerance, or within a day when one
      -- names the other (one range scan on (user_id, start_date) per activity)
      select b.id
      from activities x
      cross join lateral (
        -- index range scans per activity, never a join over the user's history (offset 0 keeps them laterals):
        -- starts within the tolerance (a day when x has an external id) ...
        (select b.id, b.connection_id, b.user_id, b.start_date, b.provider_activity_id, b.raw
         from activities b
         where b.user_id = x.user_id
           and b.start_date >= x.start_date - case when x.raw ->> 'external_id' is null then v_tol_i else interval '1 day' end
           and b.start_date <= x.start_date + case when x.raw ->> 'external_id' is null then v_tol_i else interval '1 day' end
         offset 0)
        union all
        -- ... and the activities with an external id a day around (activities_external_id_start_idx)
        (select b.id, b.connection_id, b.user_id, b.start_date, b.provider_activity_id, b.raw
         from activities b
         where b.user_id = x.user_id and (b.raw ->> 'external_id') is not null
           and b.start_date >= x.start_date - interval '1 day' and b.start_date <= x.start_date + interval '1 day'
         offset 0)
      ) b
      where x.id = any (v_frontier) -- (= any: an index scan on the primary key, never a scan of the table)
        and b.id <> x.id and coalesce(b.connection_id, -b.user_id) <> coalesce(x.connection_id, -x.user_id)
        and (abs(extract(epoch from b.start_date - x.start_date)) <= v_tol
          or ((x.raw ->> 'external_id') is not null and trainlytics_dedupe_xref(x.raw ->> 'external_id', b.provider_activity_id, b.raw) is not null)
          or ((b.raw ->> 'external_id') is not null and trainlytics_dedupe_xref(b.raw ->> 'external_id', x.provider_activity_id, x.raw) is not null))
      union
      -- a person's links
      select d.other_activity_id from activity_match_decisions d
      where d.activity_id = any (v_frontier) and d.decision = 'link'
      union
      select d.activity_id from activity_match_decisions d
      where d.other_activity_id = any (v_frontier) and d.decision = 'link'
      union
      -- the groups they are in now
      select g.activity_id from activity_group_members o
      join activity_group_members g on g.group_id = o.group_id
      where o.activity_id = any (v_frontier)
    ) n
    left join unnest(v_nodes) v(id) on v.id = n.id;
    if cardinality(v_found) = 0 and cardinality(v_frontier) = cardinality(v_nodes) then
      -- the written activities have no candidate, no link and no group: nothing to match or to undo (the
      -- common page of a single-provider athlete ends here, after one range scan per activity)
      return jsonb_build_object('activities', cardinality(v_nodes), 'matches', 0, 'groups', 0, 'grouped', 0,
                                'written', false);
    end if;
    v_nodes := v_nodes || v_new;
    v_frontier := v_new;
  end loop;
  if cardinality(v_nodes) = 0 then
    return jsonb_build_object('activities', 0, 'matches', 0, 'groups', 0, 'grouped', 0, 'written', false);
  end if;
  return trainlytics_dedupe_nodes(v_nodes);
end
$$;

-- (from 017_incremental_dedupe.sql)
-- 014's window matcher (the batch `trainlytics_dedupe`, a person's decision) now reaches and matches the same
-- way: the activities of each user `p_users[i]` that start in [p_from[i], p_to[i]] (null: from the first / to the
-- last) are the seeds. One set of rules for writes, batches and decisions; a window no longer needs a day of
-- context either side (what it reaches is its context). Returns { activities, matches, groups, grouped }.
create or replace function trainlytics_dedupe_region(p_users int[], p_from timestamptz[], p_to timestamptz[])
returns jsonb
language plpgsql
volatile
security definer
set search_path from current
as $$
declare
  v_ids int[];
begin
  select coalesce(array_agg(a.id), '{}') into v_ids
  from (
    select w.u, coalesce(min(w.f), '-infinity') as f, coalesce(max(w.t), 'infinity') as t
    from unnest(p_users, p_from, p_to) as w(u, f, t)
    where w.u is not null
    group by w.u
  ) w
  join activities a on a.user_id = w.u and a.start_date >= w.f and a.start_date <= w.t;
  return trainlytics_dedupe_incremental(v_ids) - 'written';
end
$$;

-- (from 017_incremental_dedupe.sql)
-- The incremental matcher, one call per statement on `activities` (transition tables).
create or replace function trainlytics_dedupe_after_write()
returns trigger
language plpgsql
security definer
set search_path from current
as $$
declare
  v_seeds int[];
begin
  -- `set trainlytics.dedupe = 'off' | 'on'` decides for the session; otherwise the policy's `incremental`
  if coalesce(current_setting('trainlytics.dedupe', true), '') = 'off'
     or (coalesce(current_setting('trainlytics.dedupe', true), '') <> 'on'
         and not coalesce((select p.incremental from trainlytics_dedupe_policy p where p.id), true)) then
    return null;
  end if;
  if tg_op = 'INSERT' then
    select array_agg(n.id) into v_seeds from tl_new n where n.start_date is not null;
  elsif tg_op = 'UPDATE' then
    with changed as (
      select n.id, n.user_id, n.start_date, o.user_id as old_user_id, o.start_date as old_start_date
      from tl_new n join tl_old o on o.id = n.id
      where (n.user_id, n.connection_id, n.provider, n.provider_activity_id, n.sport_type, n.start_date,
             n.elapsed_time_s, n.moving_time_s, n.distance_m, n.raw ->> 'external_id', n.detail)
        is distinct from
            (o.user_id, o.connection_id, o.provider, o.provider_activity_id, o.sport_type, o.start_date,
             o.elapsed_time_s, o.moving_time_s, o.distance_m, o.raw ->> 'external_id', o.detail)
    )
    select array_agg(s.id) into v_seeds
    from (
      select c.id from changed c
      union all
      -- the old row's neighbours: a day around the old start
      select b.id from changed c
      join activities b on b.user_id = c.old_user_id
        and b.start_date >= c.old_start_date - interval '1 day' and b.start_date <= c.old_start_date + interval '1 day'
    ) s;
  else
    select array_agg(b.id) into v_seeds
    from tl_old o
    join activities b on b.user_id = o.user_id
      and b.start_date >= o.start_date - interval '1 day' and b.start_date <= o.start_date + interval '1 day';
  end if;
  if cardinality(v_seeds) > 0 then
    perform trainlytics_dedupe_incremental(v_seeds);
  end if;
  return null;
end
$$;

-- (from 014_activity_dedupe.sql)
-- args: { user_id?: int, after_user_id?: int, limit?: int }
-- -> { users, last_user_id, activities, matches, groups, grouped }. Batch matching: one user, or the next
-- `limit` (default 500) users with activities after `after_user_id` in id order (call again with the returned
-- last_user_id until users is 0).
create or replace function trainlytics_dedupe(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  v_users int[];
  v_result jsonb;
begin
  if args ? 'user_id' then
    v_users := array[(args ->> 'user_id')::int];
  else
    select coalesce(array_agg(u.id order by u.id), '{}') into v_users
    from (
      select u.id from users u
      where u.id > coalesce((args ->> 'after_user_id')::int, 0)
        and exists (select 1 from activities a where a.user_id = u.id)
      order by u.id
      limit greatest(coalesce((args ->> 'limit')::int, 500), 1)
    ) u;
  end if;
  if cardinality(v_users) = 0 then
    return jsonb_build_object('users', 0, 'last_user_id', null, 'activities', 0, 'matches', 0, 'groups', 0,
                              'grouped', 0);
  end if;
  v_result := trainlytics_dedupe_region(v_users, array_fill(null::timestamptz, array[cardinality(v_users)]),
                                        array_fill(null::timestamptz, array[cardinality(v_users)]));
  return v_result || jsonb_build_object('users', cardinality(v_users), 'last_user_id', v_users[cardinality(v_users)]);
end
$$;

-- (from 014_activity_dedupe.sql)
-- args: { activity_id, other_activity_id, decision: 'link' | 'unlink' } -> the group of activity_id after it
-- ({ group_id, activity_ids }). A person's decision: stored, applied at once, never undone by the matcher.
--   TL404  an activity does not exist
--   TL410  link: the two are of one connection, or of two users (or the same activity)
create or replace function trainlytics_decide_match(args jsonb)
returns jsonb
language plpgsql
volatile
set search_path from current
as $$
declare
  a activities;
  b activities;
  v_decision text := args ->> 'decision';
  v_group int;
begin
  if v_decision is null or v_decision not in ('link', 'unlink') then
    raise exception using errcode = 'TL422', message = format('Unknown match decision %s (link or unlink)', coalesce(v_decision, 'null'));
  end if;
  select * into a from activities where id = (args ->> 'activity_id')::int;
  if not found then
    raise exception using errcode = 'TL404', message = format('No activity with id %s', args ->> 'activity_id');
  end if;
  select * into b from activities where id = (args ->> 'other_activity_id')::int;
  if not found then
    raise exception using errcode = 'TL404', message = format('No activity with id %s', args ->> 'other_activity_id');
  end if;
  if a.id = b.id or a.user_id <> b.user_id or coalesce(a.connection_id, -a.user_id) = coalesce(b.connection_id, -b.user_id) then
    raise exception using errcode = 'TL410', message = format(
      'Activities %s and %s cannot be one workout: %s', a.id, b.id,
      case when a.id = b.id then 'they are the same activity'
           when a.user_id <> b.user_id then 'they belong to two users'
           else 'they come from the same connection' end);
  end if;
  insert into activity_match_decisions (activity_id, other_activity_id, user_id, decision)
  values (least(a.id, b.id), greatest(a.id, b.id), a.user_id, v_decision)
  on conflict (activity_id, other_activity_id) do update set decision = excluded.decision, decided_at = now();
  perform trainlytics_dedupe_region(array[a.user_id],
    array[least(a.start_date, b.start_date) - interval '1 day'],
    array[greatest(a.start_date, b.start_date) + interval '1 day']);
  select group_id into v_group from activity_group_members where activity_id = a.id;
  return jsonb_build_object('group_id', v_group, 'activity_ids', coalesce(
    (select jsonb_agg(g.activity_id order by g.member_rank) from activity_group_members g where g.group_id = v_group),
    jsonb_build_array(a.id)));
end
$$;

commit;
