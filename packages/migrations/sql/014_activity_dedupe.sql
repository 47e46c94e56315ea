-- Trainlytics 014 — one timeline: the same workout arriving from several providers is grouped, never deleted.
--
-- A Garmin watch auto-uploads to Strava, Polar Flow shares to Strava, a trainer app and a watch record the same
-- ride: each copy keeps its own `activities` row and raw payload; this file records which rows are one workout
-- (docs/decisions/0024-cross-provider-dedupe.md).
--
-- * `activity_matches`: one row per matched pair (lower activity id first) with its `score` (0–1) and its
--   `evidence` (jsonb: the external id that names the other copy, or the start difference, overlap of the
--   durations, distance ratio and sports), and whether a person made it (`manual`).
-- * `activity_match_decisions`: a person's `link` or `unlink` of a pair. The matcher applies them and never
--   undoes them (an unlinked pair is never matched again; a linked pair always is).
-- * `activity_group_members`: the groups of two or more activities (`group_id` = the canonical member's id,
--   `member_rank` 0 for the canonical copy, then the order its fields are taken in). An activity without a
--   row is a workout of its own.
-- * `trainlytics_dedupe_policy` (one row): the score threshold, start tolerance, minimum overlap and distance
--   ratio, and the provider order for the canonical copy (recording platforms before aggregators). Change the
--   row, then run `trainlytics dedupe --all`.
-- * Matching, strongest evidence first (trainlytics_dedupe_region, set-based over (user_id, start_date)):
--     1. an external id (Strava's `external_id`, e.g. `garmin_push_<activityId>` or a `.fit` file name) that
--        contains the other copy's id as a token: score 1;
--     2. the same user, starts within the tolerance, durations overlapping by at least the minimum fraction
--        of the longer one, compatible sports (trainlytics_sport_family: the families of core's
--        SPORT_TYPE_DEFINITIONS; `other` fits any) and, outdoors, distances within the ratio.
--   Never two activities of one connection, never two users. Each activity keeps at most one partner per other
--   connection: a pair is kept only when each is the other's best (score, then lower id), so back-to-back
--   intervals match their own copies. A group never holds two activities of one connection.
-- * Incremental: statement-level AFTER INSERT / UPDATE / DELETE triggers on `activities` (transition tables)
--   re-match the affected users around the written start times, inside the page write's transaction, in a
--   few set-based statements (trainlytics_commit_page is not changed). OFF by default
--   (`trainlytics_dedupe_policy.incremental`): on a long history they still cost many times the page write;
--   `update trainlytics_dedupe_policy set incremental = true` turns them on, and `set trainlytics.dedupe =
--   'on' | 'off'` decides for one session. Without them, run `trainlytics dedupe --all` after syncs.
-- * Views: `canonical_activities` (one row per workout: the canonical copy's identity, every other field the
--   first non-null value in member order — the "never lose richer data" rule of ADR 0015 — plus `providers`
--   and `activity_ids`); `recent_activities` and `user_connections_summary.activity_count` count each
--   workout once (same columns as 002's).
-- * Existing activities are not matched by this file: run `trainlytics dedupe --all` once after it.
--
-- RLS as `activities`: `authenticated` reads its own rows of the three tables, `anon` nothing; the functions
-- are the owner's and `service_role`'s. One transaction, idempotent. Reverse with 014_activity_dedupe.down.sql
-- (refused while manual decisions or a changed policy would be lost).

begin;

set local client_min_messages = warning;

do $$
begin
  if to_regclass('activities') is null or to_regclass('provider_connections') is null then
    raise exception 'Trainlytics migration 014_activity_dedupe needs the multi-provider schema, but this database has no activities/provider_connections table. Run 001–012 first (`trainlytics migrate up` applies them in order).'
      using hint = 'Check that you are connected to the right database and schema (search_path).';
  end if;
end
$$;

create table if not exists trainlytics_dedupe_policy (
  id boolean primary key default true check (id),
  threshold double precision not null default 0.7 check (threshold > 0 and threshold <= 1),
  start_tolerance_s int not null default 300 check (start_tolerance_s between 0 and 86400),
  min_overlap double precision not null default 0.6 check (min_overlap > 0 and min_overlap <= 1),
  min_distance_ratio double precision not null default 0.8 check (min_distance_ratio >= 0 and min_distance_ratio <= 1),
  -- the canonical copy's provider, best first; a provider not listed comes after the listed ones
  provider_order text[] not null default array['garmin', 'polar', 'wahoo', 'coros', 'suunto', 'strava'],
  -- match on every write to `activities` (statement triggers). Off by default: on a long history the
  -- incremental matcher still costs many times the page write itself (BENCHMARKS.md, "One timeline");
  -- run `trainlytics dedupe --all` after syncs instead, or turn it on where histories are short.
  incremental boolean not null default false
);
insert into trainlytics_dedupe_policy (id) values (true) on conflict (id) do nothing;

create table if not exists activity_matches (
  activity_id int not null references activities on delete cascade,
  other_activity_id int not null references activities on delete cascade,
  user_id int not null, -- the activities' (derived rows: no second foreign key check per write)
  score double precision not null check (score >= 0 and score <= 1),
  evidence jsonb not null,
  manual boolean not null default false,
  matched_at timestamptz not null default now(),
  primary key (activity_id, other_activity_id),
  check (activity_id < other_activity_id)
);
create index if not exists activity_matches_other_idx on activity_matches (other_activity_id);
create index if not exists activity_matches_user_idx on activity_matches (user_id);

create table if not exists activity_match_decisions (
  activity_id int not null references activities on delete cascade,
  other_activity_id int not null references activities on delete cascade,
  user_id int not null references users on delete cascade,
  decision text not null check (decision in ('link', 'unlink')),
  decided_at timestamptz not null default now(),
  primary key (activity_id, other_activity_id),
  check (activity_id < other_activity_id)
);
create index if not exists activity_match_decisions_other_idx on activity_match_decisions (other_activity_id);
create index if not exists activity_match_decisions_user_idx on activity_match_decisions (user_id);

create table if not exists activity_group_members (
  activity_id int primary key references activities on delete cascade,
  group_id int not null,
  user_id int not null, -- the activity's (derived rows: no second foreign key check per write)
  member_rank int not null check (member_rank >= 0)
);
create index if not exists activity_group_members_group_idx on activity_group_members (group_id, member_rank);
create index if not exists activity_group_members_user_idx on activity_group_members (user_id);

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

-- Indoor sports: their distance is an estimate (trainer, treadmill, virtual world), never compared.
create or replace function trainlytics_sport_indoor(sport text)
returns boolean
language sql
immutable
parallel safe
as $$
  select sport in ('treadmill_run', 'virtual_run', 'indoor_ride', 'virtual_ride', 'indoor_rowing')
$$;

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

drop trigger if exists activities_dedupe_insert on activities;
create trigger activities_dedupe_insert after insert on activities
  referencing new table as tl_new
  for each statement execute function trainlytics_dedupe_after_write();
drop trigger if exists activities_dedupe_update on activities;
create trigger activities_dedupe_update after update on activities
  referencing old table as tl_old new table as tl_new
  for each statement execute function trainlytics_dedupe_after_write();
drop trigger if exists activities_dedupe_delete on activities;
create trigger activities_dedupe_delete after delete on activities
  referencing old table as tl_old
  for each statement execute function trainlytics_dedupe_after_write();

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

-- ---------------------------------------------------------------------------
-- Views: one row per workout
-- ---------------------------------------------------------------------------
create or replace view canonical_activities with (security_invoker = true) as
select
  a.id, a.user_id, a.connection_id, coalesce(a.provider, pc.provider) as provider, a.provider_activity_id,
  a.name, a.sport_type, a.provider_sport_type, a.start_date, a.start_date_local, a.utc_offset_s,
  a.elapsed_time_s, a.moving_time_s, a.distance_m, a.total_elevation_gain_m, a.average_heartrate,
  a.max_heartrate, a.calories, a.average_speed_mps, a.max_speed_mps, a.is_manual, a.device_name,
  array[coalesce(a.provider, pc.provider)] as providers, array[a.id] as activity_ids
from activities a
left join provider_connections pc on pc.id = a.connection_id
where not exists (select 1 from activity_group_members g where g.activity_id = a.id)
union all
select
  g.group_id as id,
  g.user_id,
  (array_agg(a.connection_id order by g.member_rank))[1],
  (array_agg(coalesce(a.provider, pc.provider) order by g.member_rank))[1],
  (array_agg(a.provider_activity_id order by g.member_rank))[1],
  (array_agg(a.name order by g.member_rank) filter (where a.name is not null))[1],
  coalesce((array_agg(a.sport_type order by g.member_rank) filter (where a.sport_type is distinct from 'other' and a.sport_type is not null))[1],
           (array_agg(a.sport_type order by g.member_rank))[1]),
  (array_agg(a.provider_sport_type order by g.member_rank) filter (where a.provider_sport_type is not null))[1],
  (array_agg(a.start_date order by g.member_rank))[1],
  (array_agg(a.start_date_local order by g.member_rank) filter (where a.start_date_local is not null))[1],
  (array_agg(a.utc_offset_s order by g.member_rank) filter (where a.utc_offset_s is not null))[1],
  (array_agg(a.elapsed_time_s order by g.member_rank) filter (where a.elapsed_time_s is not null))[1],
  (array_agg(a.moving_time_s order by g.member_rank) filter (where a.moving_time_s is not null))[1],
  (array_agg(a.distance_m order by g.member_rank) filter (where a.distance_m is not null))[1],
  (array_agg(a.total_elevation_gain_m order by g.member_rank) filter (where a.total_elevation_gain_m is not null))[1],
  (array_agg(a.average_heartrate order by g.member_rank) filter (where a.average_heartrate is not null))[1],
  (array_agg(a.max_heartrate order by g.member_rank) filter (where a.max_heartrate is not null))[1],
  (array_agg(a.calories order by g.member_rank) filter (where a.calories is not null))[1],
  (array_agg(a.average_speed_mps order by g.member_rank) filter (where a.average_speed_mps is not null))[1],
  (array_agg(a.max_speed_mps order by g.member_rank) filter (where a.max_speed_mps is not null))[1],
  bool_and(a.is_manual),
  (array_agg(a.device_name order by g.member_rank) filter (where a.device_name is not null))[1],
  array_agg(coalesce(a.provider, pc.provider) order by g.member_rank),
  array_agg(a.id order by g.member_rank)
from activity_group_members g
join activities a on a.id = g.activity_id
left join provider_connections pc on pc.id = a.connection_id
group by g.group_id, g.user_id;

-- args: { user_id?, connection_id? (the canonical copy's), before?, limit? } -> canonical_activities rows as a
-- JSON array, newest first (providers as text).
create or replace function trainlytics_list_canonical_activities(args jsonb default '{}')
returns jsonb
language sql
stable
set search_path from current
as $$
  select coalesce(jsonb_agg(s.activity order by s.start_date desc nulls last, s.id desc), '[]'::jsonb)
  from (
    select to_jsonb(c) || jsonb_build_object('providers', c.providers::text[]) as activity, c.start_date, c.id
    from canonical_activities c
    where (args ->> 'user_id' is null or c.user_id = (args ->> 'user_id')::int)
      and (args ->> 'connection_id' is null or c.connection_id = (args ->> 'connection_id')::int)
      and (args ->> 'before' is null or c.start_date < (args ->> 'before')::timestamptz)
    order by c.start_date desc nulls last, c.id desc
    limit (args ->> 'limit')::int
  ) s
$$;

-- 002's columns, one row per workout.
create or replace view recent_activities with (security_invoker = true) as
select
  c.id,
  c.user_id,
  c.connection_id,
  c.provider,
  c.provider_activity_id,
  c.name,
  c.sport_type,
  c.start_date,
  c.distance_m,
  c.moving_time_s,
  c.elapsed_time_s
from canonical_activities c
order by c.start_date desc nulls last, c.id desc;

create or replace view user_connections_summary with (security_invoker = true) as
select
  u.id as user_id,
  u.email,
  get_user_full_name(u.id) as full_name,
  coalesce(c.providers, '{}'::provider_type[]) as providers,
  c.connection_count,
  c.active_connection_count,
  a.activity_count,
  c.last_sync_at
from users u
cross join lateral (
  select
    array_agg(pc.provider order by pc.provider) filter (where pc.is_active) as providers,
    count(*)::int as connection_count,
    (count(*) filter (where pc.is_active))::int as active_connection_count,
    max(pc.last_sync_at) as last_sync_at
  from provider_connections pc
  where pc.user_id = u.id
) c
cross join lateral (
  select ((select count(*) from activities ac where ac.user_id = u.id)
          - (select count(*) from activity_group_members g where g.user_id = u.id and g.member_rank > 0))::int
         as activity_count
) a;

-- ---------------------------------------------------------------------------
-- Row level security and client roles (ADR 0007): as `activities`
-- ---------------------------------------------------------------------------
alter table activity_matches enable row level security;
alter table activity_match_decisions enable row level security;
alter table activity_group_members enable row level security;
alter table trainlytics_dedupe_policy enable row level security;

do $$
declare
  rel text;
  role_name text;
  fn text;
  has_authenticated boolean := exists (select 1 from pg_roles where rolname = 'authenticated');
  has_service_role boolean := exists (select 1 from pg_roles where rolname = 'service_role');
begin
  foreach rel in array array['activity_matches', 'activity_match_decisions', 'activity_group_members',
                             'trainlytics_dedupe_policy', 'canonical_activities'] loop
    execute format('revoke all on table %I from public', rel);
    foreach role_name in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_roles where rolname = role_name) then
        execute format('revoke all on table %I from %I', rel, role_name);
      end if;
    end loop;
    if has_service_role then
      if rel = 'canonical_activities' then
        execute format('grant select on table %I to service_role', rel);
      else
        execute format('grant select, insert, update, delete on table %I to service_role', rel);
      end if;
    end if;
  end loop;

  if has_authenticated then
    grant select on activity_matches, activity_match_decisions, activity_group_members, canonical_activities
      to authenticated;
    foreach rel in array array['activity_matches', 'activity_match_decisions', 'activity_group_members'] loop
      if not exists (
        select 1 from pg_policy where polname = rel || '_select_own' and polrelid = rel::regclass
      ) then
        execute format(
          'create policy %I on %I for select to authenticated using (user_id = trainlytics_current_user_id())',
          rel || '_select_own', rel);
      end if;
    end loop;
  end if;

  foreach fn in array array[
    'trainlytics_sport_family(text)', 'trainlytics_sport_indoor(text)',
    'trainlytics_dedupe_xref(text, text, jsonb)',
    'trainlytics_dedupe_region(int[], timestamptz[], timestamptz[])', 'trainlytics_dedupe_after_write()',
    'trainlytics_dedupe(jsonb)', 'trainlytics_decide_match(jsonb)', 'trainlytics_list_canonical_activities(jsonb)'
  ] loop
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
