-- Ingest near the limit (issue 10): the rollup reads by bot and time, and less index upkeep.
--
-- Every per-bot rollup read (botProof, the per-bot gate, integrationsUsedBy) asks for one bot's
-- rows from an hour on. With the key ordered (bot_id, integration, operation, status, detail,
-- hour) that read walked every rollup row the bot ever had (its whole history: ~5 000 rows per
-- bot at 10M events) and filtered on the hour; with hour second it reads the window's rows only.
-- Same columns, so the same uniqueness and the same ON CONFLICT target for the ingest upsert.
-- The rebuild takes the table's lock for as long as building the index takes (rollups hold a
-- row per bot, operation and hour, far fewer than events).
alter table usage_rollups drop constraint usage_rollups_pkey;
alter table usage_rollups add constraint usage_rollups_pkey primary key (bot_id, hour, integration, operation, status, detail);

-- No query reads rollups by hour alone (per integration: usage_rollups_integration_idx), while
-- every new rollup row and every update that is not HOT wrote an entry here.
drop index if exists usage_rollups_hour_idx;
