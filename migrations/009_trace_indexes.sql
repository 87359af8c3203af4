-- Every trace_id resolves (`observatory trace ID`, GET /api/trace/:id): one index probe per
-- table that carries trace ids, so resolving an id costs the same at any table size.
-- integration_usage_events is partitioned: the index is created on every partition, present
-- and future.
create index if not exists integration_probes_trace_idx on integration_probes (trace_id);
create index if not exists integration_usage_events_trace_idx on integration_usage_events (trace_id);
create index if not exists bot_runs_trace_idx on bot_runs (trace_id);
create index if not exists fault_injections_trace_idx on fault_injections (trace_id);
create index if not exists integration_state_trace_idx on integration_state (last_trace_id);
create index if not exists variable_sightings_trace_idx on variable_sightings (last_trace_id);
create index if not exists trading_state_changes_trace_idx on trading_state_changes (trace_id);
