-- Per-bot, per-hour totals: topBots aggregates ≤ bots × hours rows of this table instead of
-- every usage_rollups row in the window (~12× fewer at 6 operations × 2 statuses per bot-hour).
-- Maintained by insertEvents in the same statement as the event insert, from the newly
-- inserted rows only (src/core/db/usage-events.ts); events not tied to a bot are not counted.
create table usage_bot_hours (
  bot_id        uuid        not null,
  hour          timestamptz not null,
  -- int4 counters (one bot-hour): sum() over them accumulates in int8, far cheaper than numeric
  calls         integer     not null default 0,
  ok            integer     not null default 0,
  error         integer     not null default 0,
  blocked       integer     not null default 0,
  -- records of OK calls (what topBots reports)
  records       bigint      not null default 0,
  last_at       timestamptz not null,
  -- distinct integrations used in the hour, sorted
  integrations  text[]      not null default '{}',
  primary key (bot_id, hour)
) with (fillfactor = 80);  -- room for HOT updates: ingest only changes non-key columns
create index usage_bot_hours_hour_idx on usage_bot_hours (hour);

insert into usage_bot_hours (bot_id, hour, calls, ok, error, blocked, records, last_at, integrations)
select bot_id, hour,
       sum(calls),
       coalesce(sum(calls) filter (where status = 'OK'), 0),
       coalesce(sum(calls) filter (where status = 'ERROR'), 0),
       coalesce(sum(calls) filter (where status = 'BLOCKED'), 0),
       coalesce(sum(records) filter (where status = 'OK'), 0),
       max(last_at),
       array_agg(distinct integration order by integration)
  from usage_rollups
 where bot_id <> '00000000-0000-0000-0000-000000000000'::uuid
 group by bot_id, hour;
