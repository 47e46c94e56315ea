-- Trainlytics 009 — `deferred`, an honest end for a sync stopped by the provider's rate limit.
--
-- A sync that would have to wait longer than its caller allows for the provider's rate-limit window (for
-- example "sync now" in the host app after Strava answered 429 until the next quarter hour) stops, keeps
-- every page it committed, and closes its `sync_history` row as `deferred` (error_message says when it
-- resumes). Before, such a run was recorded as `failed`, or held the caller for up to 15 minutes.
--
-- `alter type … add value` runs inside a transaction on PostgreSQL 12 and later, as long as the new value
-- is not used in the same transaction (it is not). Supabase's client roles gain nothing: `sync_history`
-- keeps the row level security and grants of 002/003/005.
--
-- One transaction, idempotent (a second run changes nothing and raises nothing).

begin;

alter type sync_status add value if not exists 'deferred';

commit;
