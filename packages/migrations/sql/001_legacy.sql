-- Trainlytics 001 — the legacy single-provider (Strava) schema.
--
-- This is the schema Trainlytics runs in production today. Every statement is
-- `create ... if not exists`, so running this file against an existing legacy
-- database adopts it unchanged, and running it twice changes nothing.
-- Safe to run with `psql -f` or to paste into the Supabase SQL editor.

begin;

create table if not exists users (
  id serial primary key,
  email text unique not null,
  first_name text,
  last_name text,
  created_at timestamptz not null default now()
);

create table if not exists strava_connections (
  id serial primary key,
  user_id int not null references users on delete cascade,
  strava_athlete_id bigint unique not null,
  access_token text not null,
  refresh_token text not null,
  expires_at timestamptz not null,
  scope text,
  firstname text,
  lastname text,
  profile_url text,
  profile_picture text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists activities (
  id serial primary key,
  user_id int not null references users on delete cascade,
  strava_activity_id bigint unique,
  name text,
  sport_type text,
  start_date timestamptz,
  distance_m double precision,
  moving_time_s int,
  elapsed_time_s int,
  total_elevation_gain_m double precision,
  average_heartrate double precision,
  is_manual boolean not null default false,
  raw jsonb,
  created_at timestamptz not null default now()
);

commit;
