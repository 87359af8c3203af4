-- The "most active bots" ranking (Panel B's list, GET /api/system/bots) for the default 24 h
-- window, refreshed every few seconds by the leading daemon from usage_bot_hours. Reading it is
-- an index scan of `limit` rows instead of summing every bot-hour of the window; readers fall
-- back to the live aggregation when it is stale or the hour has rolled over (db/proof.ts).
create table bot_activity_ranking (
  window_hours  integer     not null,
  since         timestamptz not null,
  bot_id        uuid        not null,
  calls         bigint      not null,
  last_at       timestamptz not null,
  refreshed_at  timestamptz not null,
  primary key (window_hours, bot_id)
);
create index bot_activity_ranking_order_idx on bot_activity_ranking (window_hours, calls desc, last_at desc, bot_id);
