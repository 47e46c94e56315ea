-- Trainlytics 012 (down) — back to sport vocabulary version 1: the rows 012 moved (and those an SDK of
-- version 2 mapped the same way) get what version 1 stored for them again (`other`, or Polar's coarse
-- fallback). The provider's name stays in `raw` and `provider_sport_type`, so 012 derives the same value
-- again: nothing is lost.
--
-- Lossless or refused (docs/decisions/0008-down-migrations-lossless-or-refused.md): a row carrying an id that
-- version 2 added but that 012 would not derive again from its provider name (the app set it, or a later
-- SDK mapped a name 012 does not list) would lose its value; the guard counts those rows per provider and
-- refuses, unless forced (then they get `other`).
--
-- One transaction, idempotent (a second run changes nothing).

begin;

set local client_min_messages = warning;

-- The lists of 012_sport_vocabulary_v2.sql: what each activity's provider name derives in each version.
create temp table trainlytics_012_rederived on commit drop as
with strava_v2(name, sport_type) as (
  values
    ('badminton', 'badminton'), ('canoeing', 'paddling'), ('dance', 'dance'),
    ('golf', 'golf'), ('iceskate', 'ice_skate'), ('inlineskate', 'inline_skate'),
    ('kayaking', 'paddling'), ('kitesurf', 'kitesurf'), ('padel', 'padel'),
    ('pickleball', 'pickleball'), ('pilates', 'pilates'), ('racquetball', 'racquetball'),
    ('rockclimbing', 'climbing'), ('sail', 'sailing'), ('skateboard', 'skateboard'),
    ('soccer', 'soccer'), ('squash', 'squash'), ('stairstepper', 'stair_stepper'),
    ('standuppaddling', 'stand_up_paddling'), ('surfing', 'surfing'), ('tabletennis', 'table_tennis'),
    ('tennis', 'tennis'), ('wheelchair', 'wheelchair'), ('windsurf', 'windsurf'),
    ('workout', 'workout')
),
garmin_v2(name, sport_type) as (
  values
    ('american_football', 'team_sport'), ('apnea_diving', 'diving'), ('apnea_hunting', 'diving'),
    ('archery', 'shooting_sport'), ('atv', 'motorsport'), ('atv_v2', 'motorsport'),
    ('auto_racing', 'motorsport'), ('backcountry_skiing', 'alpine_ski'), ('backcountry_skiing_snowboarding', 'alpine_ski'),
    ('backcountry_snowboarding', 'alpine_ski'), ('badminton', 'badminton'), ('baseball', 'team_sport'),
    ('basketball', 'basketball'), ('biketoruntransition', 'multisport'), ('biketoruntransition_v2', 'multisport'),
    ('boating', 'water_sport'), ('boating_v2', 'water_sport'), ('bouldering', 'climbing'),
    ('boxing', 'martial_arts'), ('breathwork', 'meditation'), ('ccr_diving', 'diving'),
    ('cricket', 'team_sport'), ('cross_country_skiing', 'cross_country_ski'), ('dance', 'dance'),
    ('disc_golf', 'golf'), ('diving', 'diving'), ('driving_general', 'motorsport'),
    ('e_enduro_mtb', 'e_bike_ride'), ('enduro_mtb', 'mountain_bike_ride'), ('field_hockey', 'team_sport'),
    ('fishing', 'hunting_fishing'), ('fishing_v2', 'hunting_fishing'), ('fitness_equipment', 'workout'),
    ('floor_climbing', 'stair_stepper'), ('flying', 'air_sport'), ('gauge_diving', 'diving'),
    ('golf', 'golf'), ('hang_gliding', 'air_sport'), ('horseback_riding', 'horse_riding'),
    ('hunting', 'hunting_fishing'), ('hunting_fishing', 'hunting_fishing'), ('ice_hockey', 'team_sport'),
    ('indoor_cardio', 'workout'), ('indoor_climbing', 'climbing'), ('inline_skating', 'inline_skate'),
    ('jump_rope', 'jump_rope'), ('kayaking', 'paddling'), ('kayaking_v2', 'paddling'),
    ('kiteboarding', 'kitesurf'), ('kiteboarding_v2', 'kitesurf'), ('lacrosse', 'team_sport'),
    ('meditation', 'meditation'), ('mixed_martial_arts', 'martial_arts'), ('mobility', 'stretching'),
    ('motocross', 'motorsport'), ('motocross_v2', 'motorsport'), ('motorcycling', 'motorsport'),
    ('motorcycling_v2', 'motorsport'), ('multi_gas_diving', 'diving'), ('multi_sport', 'multisport'),
    ('offshore_grinding', 'sailing'), ('offshore_grinding_v2', 'sailing'), ('onshore_grinding', 'workout'),
    ('onshore_grinding_v2', 'workout'), ('overland', 'motorsport'), ('paddelball', 'padel'),
    ('paddling', 'paddling'), ('paddling_v2', 'paddling'), ('padel', 'padel'),
    ('para_sports', 'wheelchair'), ('pickleball', 'pickleball'), ('pilates', 'pilates'),
    ('platform_tennis', 'tennis'), ('pool_apnea', 'diving'), ('racket_sports', 'racket_sport'),
    ('racquetball', 'racquetball'), ('rc_drone', 'air_sport'), ('resort_skiing', 'alpine_ski'),
    ('resort_skiing_snowboarding', 'alpine_ski'), ('resort_snowboarding', 'alpine_ski'), ('rock_climbing', 'climbing'),
    ('rucking', 'hike'), ('rugby', 'team_sport'), ('runtobiketransition', 'multisport'),
    ('runtobiketransition_v2', 'multisport'), ('sailing', 'sailing'), ('sailing_v2', 'sailing'),
    ('single_gas_diving', 'diving'), ('skate_skiing', 'cross_country_ski'), ('skating', 'ice_skate'),
    ('skating_ws', 'ice_skate'), ('sky_diving', 'air_sport'), ('snorkeling', 'diving'),
    ('snow_shoe', 'hike'), ('snow_shoe_ws', 'hike'), ('snowmobiling', 'motorsport'),
    ('snowmobiling_ws', 'motorsport'), ('soccer', 'soccer'), ('softball', 'team_sport'),
    ('squash', 'squash'), ('stair_climbing', 'stair_stepper'), ('stand_up_paddleboarding', 'stand_up_paddling'),
    ('stand_up_paddleboarding_v2', 'stand_up_paddling'), ('steps', 'walk'), ('stop_watch', 'workout'),
    ('surfing', 'surfing'), ('surfing_v2', 'surfing'), ('swimtobiketransition', 'multisport'),
    ('swimtobiketransition_v2', 'multisport'), ('table_tennis', 'table_tennis'), ('team_sports', 'team_sport'),
    ('tennis', 'tennis'), ('tennis_v2', 'tennis'), ('transition', 'multisport'),
    ('transition_v2', 'multisport'), ('ultimate_disc', 'team_sport'), ('volleyball', 'volleyball'),
    ('wakeboarding', 'water_sport'), ('wakeboarding_v2', 'water_sport'), ('wakesurfing', 'surfing'),
    ('water_sports', 'water_sport'), ('water_tubing', 'water_sport'), ('waterskiing', 'water_sport'),
    ('wheelchair_push_run', 'wheelchair'), ('wheelchair_push_walk', 'wheelchair'), ('whitewater_rafting', 'paddling'),
    ('whitewater_rafting_kayaking', 'paddling'), ('whitewater_rafting_v2', 'paddling'), ('wind_kite_surfing', 'kitesurf'),
    ('windsurfing', 'windsurf'), ('windsurfing_v2', 'windsurf'), ('wingsuit_flying', 'air_sport'),
    ('winter_sports', 'winter_sport')
),
polar_v2(name, sport_type) as (
  values
    ('aerobics', 'workout'), ('agility', 'run'), ('american_football', 'team_sport'),
    ('aquatics', 'water_sport'), ('badminton', 'badminton'), ('ballet_dancing', 'dance'),
    ('ballroom_dancing', 'dance'), ('baseball', 'team_sport'), ('basketball', 'basketball'),
    ('beach_tennis', 'tennis'), ('beach_volleyball', 'volleyball'), ('biathlon', 'cross_country_ski'),
    ('body_and_mind', 'yoga'), ('bootcamp', 'workout'), ('boxing', 'martial_arts'),
    ('calisthenics', 'strength_training'), ('climbing', 'climbing'), ('cricket', 'team_sport'),
    ('cross-country_skiing', 'cross_country_ski'), ('cross_country_running', 'trail_run'), ('curling', 'team_sport'),
    ('dancing', 'dance'), ('duathlon', 'multisport'), ('duathlon_cycling', 'ride'),
    ('duathlon_running', 'run'), ('e_bike', 'e_bike_ride'), ('field_hockey', 'team_sport'),
    ('finnish_baseball', 'team_sport'), ('fitness_boxing', 'martial_arts'), ('fitness_dancing', 'dance'),
    ('fitness_martial_arts', 'martial_arts'), ('fitness_racing', 'hiit'), ('fitness_step', 'workout'),
    ('floorball', 'team_sport'), ('free_multisport', 'multisport'), ('frisbeegolf', 'golf'),
    ('functional_training', 'strength_training'), ('futsal', 'soccer'), ('golf', 'golf'),
    ('gravel', 'gravel_ride'), ('group_exercise', 'workout'), ('gymnastick', 'workout'),
    ('handball', 'team_sport'), ('ice_hockey', 'team_sport'), ('ice_skating', 'ice_skate'),
    ('inline_skating', 'inline_skate'), ('jazz_dancing', 'dance'), ('jogging', 'run'),
    ('judo_martial_arts', 'martial_arts'), ('jump_rope', 'jump_rope'), ('kettlebell', 'strength_training'),
    ('kickbike', 'skateboard'), ('kickboxing_martial_arts', 'martial_arts'), ('latin_dancing', 'dance'),
    ('les_mills_barre', 'workout'), ('les_mills_bodyattack', 'workout'), ('les_mills_bodybalance', 'yoga'),
    ('les_mills_bodycombat', 'martial_arts'), ('les_mills_bodyjam', 'dance'), ('les_mills_bodypump', 'strength_training'),
    ('les_mills_bodystep', 'workout'), ('les_mills_cxworks', 'strength_training'), ('les_mills_grit_athletic', 'hiit'),
    ('les_mills_grit_cardio', 'hiit'), ('les_mills_grit_strength', 'hiit'), ('les_mills_rpm', 'indoor_ride'),
    ('les_mills_shbam', 'dance'), ('les_mills_sprint', 'indoor_ride'), ('les_mills_tone', 'workout'),
    ('les_mills_trip', 'indoor_ride'), ('mobility_dynamic', 'stretching'), ('mobility_static', 'stretching'),
    ('modern_dancing', 'dance'), ('motorsports_car_racing', 'motorsport'), ('motorsports_enduro', 'motorsport'),
    ('motorsports_hard_enduro', 'motorsport'), ('motorsports_motocross', 'motorsport'), ('motorsports_roadracing', 'motorsport'),
    ('motorsports_snocross', 'motorsport'), ('obstacle_course_racing', 'trail_run'), ('offroadduathlon', 'multisport'),
    ('offroadduathlon_cycling', 'mountain_bike_ride'), ('offroadduathlon_running', 'trail_run'), ('offroadtriathlon', 'multisport'),
    ('offroadtriathlon_cycling', 'mountain_bike_ride'), ('offroadtriathlon_running', 'trail_run'), ('offroadtriathlon_swimming', 'swim'),
    ('orienteering', 'trail_run'), ('orienteering_mtb', 'mountain_bike_ride'), ('orienteering_ski', 'cross_country_ski'),
    ('padel', 'padel'), ('parasports_hand_cycling', 'ride'), ('parasports_sled_hockey', 'team_sport'),
    ('parasports_water_skiing', 'water_sport'), ('parasports_wheelchair', 'wheelchair'), ('parasports_wheelchair_basketball', 'basketball'),
    ('parasports_wheelchair_tennis', 'tennis'), ('pickleball', 'pickleball'), ('pilates', 'pilates'),
    ('riding', 'horse_riding'), ('ringette', 'team_sport'), ('roller_blading', 'inline_skate'),
    ('roller_skiing_classic', 'cross_country_ski'), ('roller_skiing_freestyle', 'cross_country_ski'), ('rucking', 'hike'),
    ('rugby', 'team_sport'), ('shooting_sport_indoor', 'shooting_sport'), ('shooting_sport_outdoor', 'shooting_sport'),
    ('show_dancing', 'dance'), ('skateboarding', 'skateboard'), ('skating', 'ice_skate'),
    ('snowboarding', 'alpine_ski'), ('snowshoe_trekking', 'hike'), ('soccer', 'soccer'),
    ('squash', 'squash'), ('stair_workout', 'stair_stepper'), ('street_dancing', 'dance'),
    ('stretching', 'stretching'), ('sup', 'stand_up_paddling'), ('table_tennis', 'table_tennis'),
    ('taekwondo_martial_arts', 'martial_arts'), ('telemark_skiing', 'alpine_ski'), ('tennis', 'tennis'),
    ('triathlon', 'multisport'), ('triathlon_cycling', 'ride'), ('triathlon_running', 'run'),
    ('triathlon_swimming', 'swim'), ('trotting', 'horse_riding'), ('ultimate', 'team_sport'),
    ('verticalsports_outclimbing', 'climbing'), ('verticalsports_wallclimbing', 'climbing'), ('volleyball', 'volleyball'),
    ('water_exercise', 'water_sport'), ('water_running', 'water_sport'), ('watersports_canoeing', 'paddling'),
    ('watersports_kayaking', 'paddling'), ('watersports_kitesurfing', 'kitesurf'), ('watersports_sailing', 'sailing'),
    ('watersports_surfing', 'surfing'), ('watersports_wakeboarding', 'water_sport'), ('watersports_waterski', 'water_sport'),
    ('watersports_windsurfing', 'windsurf'), ('xc_skiing_classic', 'cross_country_ski'), ('xc_skiing_freestyle', 'cross_country_ski')
),
-- Polar's coarse `sport`, which version 1 fell back to when it did not know detailed_sport_info (unchanged).
polar_sport(name, sport_type) as (
  values
    ('cross_country_skiing', 'cross_country_ski'), ('cycling', 'ride'), ('downhill_skiing', 'alpine_ski'),
    ('hiking', 'hike'), ('rowing', 'rowing'), ('running', 'run'),
    ('strength_training', 'strength_training'), ('swimming', 'swim'), ('walking', 'walk'),
    ('yoga', 'yoga')
),
-- For each activity whose provider name version 1 did not know: what version 1 stored (v1_sport_type) and
-- what version 2 maps it to (sport_type).
rederived as (
  select a.id, 'other' as v1_sport_type, s.sport_type
  from activities a join strava_v2 s on s.name = lower(coalesce(nullif(a.raw ->> 'sport_type', ''), nullif(a.raw ->> 'type', ''), a.provider_sport_type))
  where a.provider::text = 'strava'
  union all
  select a.id, 'other', g.sport_type
  from activities a join garmin_v2 g on g.name = lower(coalesce(nullif(a.raw ->> 'activityType', ''), a.provider_sport_type))
  where a.provider::text = 'garmin'
  union all
  select a.id, coalesce(c.sport_type, 'other'), p.sport_type
  from activities a
  join polar_v2 p on p.name = lower(coalesce(a.raw ->> 'detailed_sport_info', a.raw ->> 'detailed-sport-info', a.provider_sport_type))
  left join polar_sport c on c.name = lower(a.raw ->> 'sport')
  where a.provider::text = 'polar'
)
select id, v1_sport_type, sport_type from rederived;

do $guard$
declare
  mode text := coalesce(current_setting('trainlytics.down', true), '');
  lost text[] := array[]::text[];
  r record;
begin
  for r in
    select a.provider::text as provider, count(*) as n
    from activities a
    where a.sport_type = any (array['wheelchair', 'paddling', 'stand_up_paddling', 'surfing', 'kitesurf', 'windsurf', 'sailing', 'diving', 'water_sport', 'ice_skate', 'winter_sport', 'inline_skate', 'skateboard', 'workout', 'stair_stepper', 'jump_rope', 'pilates', 'stretching', 'meditation', 'dance', 'martial_arts', 'climbing', 'tennis', 'padel', 'pickleball', 'squash', 'badminton', 'table_tennis', 'racquetball', 'racket_sport', 'soccer', 'basketball', 'volleyball', 'team_sport', 'golf', 'shooting_sport', 'multisport', 'horse_riding', 'motorsport', 'air_sport', 'hunting_fishing'])
      and not exists (select 1 from trainlytics_012_rederived d where d.id = a.id and d.sport_type = a.sport_type)
    group by a.provider::text
    order by 1
  loop
    lost := lost || format('activities: %s %s activit(ies) carry a sport type of vocabulary version 2 that 012 would not derive again (they would become other)', r.n, coalesce(r.provider, 'unlinked'));
  end loop;
  if mode = 'check' then
    raise exception using errcode = 'TLD00', message = '012_sport_vocabulary_v2: ' || coalesce(nullif(array_to_string(lost, '; '), ''), 'nothing would be lost'),
      detail = to_jsonb(lost)::text;
  end if;
  if cardinality(lost) > 0 and mode <> 'force' then
    raise exception using errcode = 'TLD01',
      message = format('Reverting 012_sport_vocabulary_v2 would lose data: %s', array_to_string(lost, '; ')),
      detail = to_jsonb(lost)::text,
      hint = 'Keep what you need first; to revert anyway run `trainlytics migrate down --force`, or `set trainlytics.down = ''force'';` before this file.';
  end if;
end
$guard$;

update activities a set sport_type = d.v1_sport_type, updated_at = now()
from trainlytics_012_rederived d
where a.id = d.id and a.sport_type = d.sport_type and d.sport_type <> d.v1_sport_type;

-- Forced: what the guard counted.
update activities set sport_type = 'other', updated_at = now()
where sport_type = any (array['wheelchair', 'paddling', 'stand_up_paddling', 'surfing', 'kitesurf', 'windsurf', 'sailing', 'diving', 'water_sport', 'ice_skate', 'winter_sport', 'inline_skate', 'skateboard', 'workout', 'stair_stepper', 'jump_rope', 'pilates', 'stretching', 'meditation', 'dance', 'martial_arts', 'climbing', 'tennis', 'padel', 'pickleball', 'squash', 'badminton', 'table_tennis', 'racquetball', 'racket_sport', 'soccer', 'basketball', 'volleyball', 'team_sport', 'golf', 'shooting_sport', 'multisport', 'horse_riding', 'motorsport', 'air_sport', 'hunting_fishing']);

commit;
