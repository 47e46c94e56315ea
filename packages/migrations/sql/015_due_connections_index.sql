-- Trainlytics 015 — an index for the scheduler's due-connection query.
--
-- In queue mode (`trainlytics serve --queue`) each tick asks for the connections due for a sync, most
-- overdue first (`selectDueConnectionIds` of @trainlytics/cli):
--
--   select id from provider_connections
--    where is_active and not reauth_required and provider::text = any($1)
--      and coalesce(last_sync_at, '-infinity') <= $2          -- never synced, or synced before the cutoff
--    order by coalesce(last_sync_at, '-infinity'), id limit $3
--
-- Without this index that is a sequential scan and a sort of every connection at every tick (~180–280 ms
-- for 100,000 connections, growing with the table); with it, a range scan of the due rows only, already
-- in order (ADR 0025, packages/bench `queue-scale`). Partial: inactive connections and those waiting for
-- re-authorization are never due, so they are not in it.
--
-- No new table, view or function: Supabase's client roles gain nothing. Building it locks writes to
-- provider_connections for the build (well under a second for 100,000 rows); on a much larger table, create
-- it by hand first with `create index concurrently` (same name and definition) and this file changes nothing.
--
-- One transaction, idempotent. Reverse it with 015_due_connections_index.down.sql.

begin;

create index if not exists provider_connections_due_idx
  on provider_connections ((coalesce(last_sync_at, '-infinity'::timestamptz)), id)
  where is_active and not reauth_required;

commit;
