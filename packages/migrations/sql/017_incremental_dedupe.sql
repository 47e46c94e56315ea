-- Trainlytics 017 — fast incremental matching, on by default (docs/decisions/0024-cross-provider-dedupe.md,
-- second addendum).
--
-- 014 matched on write by re-running its window matcher (trainlytics_dedupe_region) over the writer's
-- activities a day around each written start — many times the cost of the page write, so it shipped off.
-- This file replaces what the statement triggers on `activities` do (still one set-based step per statement,
-- with transition tables, inside the writing transaction: a page commit, a webhook, an app's own insert):
--
-- * Seeds: the written rows (INSERT, and UPDATE of a column the matcher reads), and for an UPDATE or DELETE the
--   user's activities a day around the old start (the old row's neighbours, which may now pair otherwise).
-- * Closure (trainlytics_dedupe_incremental): the seeds' candidates — same user, another connection, starts
--   within `start_tolerance_s`, or within a day with an external id naming the other — a person's link, and the
--   members of the groups they are in, repeated until nothing new is reached. Two index range scans per
--   reached activity and round (within the tolerance on (user_id, start_date); a day around among activities
--   with an external id, new partial index activities_external_id_start_idx), no temporary table, no round
--   trip. A workout and its copies are reached in two rounds; written activities that reach no candidate, link
--   or group end the work after the first (the page of an athlete on one provider).
-- * Matching (trainlytics_dedupe_nodes): 014's rules, word for word, over exactly the reached activities.
--   The batch result splits over the groups of candidates (a pair is judged only on its two activities and
--   their other candidates), and the reached set holds whole groups of candidates, so the result is the one
--   `trainlytics dedupe --all` gives (packages/core/test/dedupe/dedupe-corpus.test.ts states it as a property
--   over histories written, moved and deleted in random page orders and splits; the old-neighbour case is an
--   example in packages/migrations/test/dedupe.test.ts). People's decisions are applied as
--   the batch applies them; never one connection's two activities, never two users.
-- * Batch and people's decisions the same way: trainlytics_dedupe_region (behind `trainlytics dedupe` and
--   trainlytics_decide_match) now seeds the same reach with the activities of its window, so there is one
--   set of matching rules (014's copy of them is replaced, not kept beside).
-- * Rewrite only what changed: when the reached activities' stored matches and groups are already the new
--   ones (a page of activities that match nothing, a page that re-sends what is stored), nothing is written.
--
-- `trainlytics_dedupe_policy.incremental` now defaults to true, and the row is switched on where it still holds
-- every 014 default (false included: 014 gave no way to tell "never changed" from "turned off", and off was the
-- default, so a row with 014's defaults is taken as never changed). A row with another change keeps its
-- `incremental`. `set trainlytics.dedupe = 'off'` still skips matching for one session (bulk loads; run
-- `trainlytics dedupe --all` after).
--
-- One transaction, idempotent. Reverse with 017_incremental_dedupe.down.sql (014's window matcher and trigger
-- function back, the policy off again where this file turned it on; nothing is lost: matches are derived).

begin;

set local client_min_messages = warning;

do $$
begin
  if to_regclass('trainlytics_dedupe_policy') is null or to_regprocedure('trainlytics_dedupe_region(int[], timestamptz[], timestamptz[])') is null then
    raise exception 'Trainlytics migration 017_incremental_dedupe needs 014_activity_dedupe, but this database has no trainlytics_dedupe_policy. Run 001–016 first (`trainlytics migrate up` applies them in order).'
      using hint = 'Check that you are connected to the right database and schema (search_path).';
  end if;
end
$$;

-- On by default; on where the row still holds 014's defaults (see the header). Idempotent: a second run finds
-- the row already on.
alter table trainlytics_dedupe_policy alter column incremental set default true;
update trainlytics_dedupe_policy set incremental = true
where not incremental
  and (threshold, start_tolerance_s, min_overlap, min_distance_ratio, provider_order)
    is not distinct from (0.7::double precision, 300, 0.6::double precision, 0.8::double precision,
                          array['garmin', 'polar', 'wahoo', 'coros', 'suunto', 'strava']);

-- The activities that name another copy (Strava's uploads from Garmin, Polar, …), by user and start: the
-- incremental matcher looks a day around each written activity for them, and only for them.
create index if not exists activities_external_id_start_idx
  on activities (user_id, start_date) where (raw ->> 'external_id') is not null;

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

do $$
declare
  role_name text;
  fn text;
  has_service_role boolean := exists (select 1 from pg_roles where rolname = 'service_role');
begin
  foreach fn in array array['trainlytics_dedupe_nodes(int[])', 'trainlytics_dedupe_incremental(int[])'] loop
    execute format('revoke all on function %s from public', fn);
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on function %s from %I', fn, role_name);
      end if;
    end loop;
    if has_service_role then
      execute format('grant execute on function %s to service_role', fn);
    end if;
  end loop;
end
$$;

commit;
