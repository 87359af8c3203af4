-- Observatory schema, version 1. Every table of DESIGN.md's data model.
-- Applied in one transaction by the migration runner (src/core/db/migrate.ts).

create extension if not exists pgcrypto;

-- Append-only guard. SQLSTATE OB001 is classified as 'append_only' by src/core/db/errors.ts.
create or replace function observatory_reject_mutation() returns trigger
language plpgsql as $$
begin
  raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
    using errcode = 'OB001',
          hint = 'retention drops whole partitions: observatory retention --keep 90d';
end;
$$;

-- ─── usage events: the brief's minimum schema, exactly ────────────────────────────
create table integration_usage_events (
  id           uuid        not null,
  created_at   timestamptz not null default now(),
  user_id      uuid,
  bot_id       uuid,
  run_id       uuid,
  integration  text        not null check (integration ~ '^[a-z][a-z0-9_]{0,62}$'),
  operation    text        not null check (length(operation) between 1 and 128),
  status       text        not null check (status in ('OK', 'ERROR', 'BLOCKED')),
  latency_ms   integer     check (latency_ms is null or latency_ms >= 0),
  symbol       text        check (symbol is null or length(symbol) <= 64),
  timeframe    text        check (timeframe is null or length(timeframe) <= 32),
  records      integer     check (records is null or records >= 0),
  reason_code  text        check (reason_code is null or length(reason_code) <= 64),
  trace_id     text        not null check (trace_id ~ '^[0-9a-f]{32}$'),
  metadata     jsonb       not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
  -- the partition key must be part of the key; writers generate both, so a replay conflicts
  primary key (id, created_at)
) partition by range (created_at);

create table integration_usage_events_default partition of integration_usage_events default;

create index integration_usage_events_bot_idx on integration_usage_events (bot_id, created_at desc);
create index integration_usage_events_integration_idx on integration_usage_events (integration, created_at desc);
create index integration_usage_events_run_idx on integration_usage_events (run_id) where run_id is not null;
create index integration_usage_events_created_idx on integration_usage_events (created_at desc);

create trigger integration_usage_events_append_only
  before update or delete on integration_usage_events
  for each row execute function observatory_reject_mutation();
create trigger integration_usage_events_no_truncate
  before truncate on integration_usage_events
  for each statement execute function observatory_reject_mutation();
create trigger integration_usage_events_default_no_truncate
  before truncate on integration_usage_events_default
  for each statement execute function observatory_reject_mutation();

-- Monthly partitions from `months_back` ago to `months_ahead` ahead. Idempotent. A month whose
-- rows already sit in the default partition is skipped (Postgres would refuse it) and reported.
create or replace function observatory_ensure_usage_partitions(months_back int default 1, months_ahead int default 3)
returns setof text
language plpgsql as $$
declare
  m date;
  part text;
begin
  for i in -months_back..months_ahead loop
    m := (date_trunc('month', now() at time zone 'UTC') + make_interval(months => i))::date;
    part := format('integration_usage_events_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
    if to_regclass(part) is null then
      begin
        execute format(
          'create table %I partition of integration_usage_events for values from (%L) to (%L)',
          part, (m::timestamp at time zone 'UTC'), ((m + interval '1 month')::timestamp at time zone 'UTC'));
        execute format(
          'create trigger %I before truncate on %I for each statement execute function observatory_reject_mutation()',
          part || '_no_truncate', part);
        return next part;
      exception when check_violation then
        raise notice 'partition % skipped: the default partition already holds rows for that month', part;
      end;
    end if;
  end loop;
end;
$$;

-- ─── probes ───────────────────────────────────────────────────────────────────────
create table integration_probes (
  id               bigint generated always as identity primary key,
  integration      text        not null,
  probed_at        timestamptz not null default now(),
  status           text        not null check (status in ('OK', 'DEGRADED', 'BLOCKED')),
  outcome          text        not null,  -- raw probe outcome: OK, HTTP_4XX, TIMEOUT, …
  http_status      integer,
  http_status_class text       check (http_status_class is null or http_status_class ~ '^[1-5]xx$'),
  latency_ms       integer     check (latency_ms is null or latency_ms >= 0),
  reason_code      text,
  reason_message   text,
  trace_id         text        not null check (trace_id ~ '^[0-9a-f]{32}$'),
  injected         boolean     not null default false,
  daemon_id        text
);
create index integration_probes_integration_idx on integration_probes (integration, probed_at desc);
create index integration_probes_probed_idx on integration_probes (probed_at desc);

create trigger integration_probes_append_only
  before update or delete on integration_probes
  for each row execute function observatory_reject_mutation();
create trigger integration_probes_no_truncate
  before truncate on integration_probes
  for each statement execute function observatory_reject_mutation();

-- ─── current state: one row per integration, what readers show ────────────────────
create table integration_state (
  integration           text primary key,
  connected             boolean     not null,
  status                text        not null check (status in ('OK', 'DEGRADED', 'BLOCKED')),
  reason_code           text,
  reason_message        text,
  last_probe_at         timestamptz,
  last_ok_at            timestamptz,
  latency_ms            integer,
  consecutive_failures  integer     not null default 0,
  consecutive_successes integer     not null default 0,
  last_trace_id         text,
  injected              boolean     not null default false,
  updated_at            timestamptz not null default now()
);

-- ─── bots and runs ───────────────────────────────────────────────────────────────
create table bots (
  id            uuid primary key,
  name          text check (name is null or length(name) between 1 and 128),
  created_at    timestamptz not null default now(),
  last_seen_at  timestamptz not null default now()
);
create unique index bots_name_idx on bots (name) where name is not null;

create table bot_runs (
  id              uuid primary key,
  bot_id          uuid        not null references bots (id),
  user_id         uuid,
  mode            text        not null check (mode in ('paper', 'shadow', 'live')),
  job_kind        text        not null default 'run' check (length(job_kind) between 1 and 64),
  status          text        not null check (status in ('RUNNING', 'SUCCEEDED', 'FAILED', 'BLOCKED', 'CANCELLED')),
  started_at      timestamptz not null default now(),
  heartbeat_at    timestamptz not null default now(),
  ended_at        timestamptz,
  terminal_state  text,
  reason_code     text,
  trace_id        text        not null check (trace_id ~ '^[0-9a-f]{32}$'),
  metadata        jsonb       not null default '{}'::jsonb
);
create index bot_runs_bot_idx on bot_runs (bot_id, started_at desc);
create index bot_runs_running_idx on bot_runs (heartbeat_at) where status = 'RUNNING';

-- ─── rollups: proof-of-use reads never scan raw events ───────────────────────────
-- bot_id uses the nil uuid for events not tied to a bot (a key column cannot be null);
-- `detail` splits counts where the brief asks for it (fill provenance, model name).
create table usage_rollups (
  bot_id           uuid        not null,
  integration      text        not null,
  operation        text        not null,
  status           text        not null check (status in ('OK', 'ERROR', 'BLOCKED')),
  detail           text        not null default '',
  hour             timestamptz not null,
  calls            bigint      not null default 0,
  records          bigint      not null default 0,
  last_at          timestamptz not null,
  last_trace_id    text        not null,
  last_reason_code text,
  primary key (bot_id, integration, operation, status, detail, hour)
);
create index usage_rollups_hour_idx on usage_rollups (hour desc);
create index usage_rollups_integration_idx on usage_rollups (integration, hour desc);

create table variable_sightings (
  variable       text primary key,
  last_seen_at   timestamptz not null,
  last_bot_id    uuid,
  last_trace_id  text        not null,
  sightings      bigint      not null default 0
);

-- ─── drills ─────────────────────────────────────────────────────────────────────
create table fault_injections (
  id           uuid primary key default gen_random_uuid(),
  integration  text        not null,
  http_status  integer     check (http_status is null or http_status between 100 and 599),
  latency_ms   integer     check (latency_ms is null or latency_ms between 0 and 600000),
  created_at   timestamptz not null default now(),
  expires_at   timestamptz not null,
  cleared_at   timestamptz,
  created_by   text,
  trace_id     text        not null check (trace_id ~ '^[0-9a-f]{32}$'),
  check (http_status is not null or latency_ms is not null),
  check (expires_at > created_at)
);
create index fault_injections_active_idx on fault_injections (integration, expires_at) where cleared_at is null;

-- ─── daemons ────────────────────────────────────────────────────────────────────
create table daemon_heartbeats (
  daemon_id     text primary key,
  version       text        not null,
  hostname      text        not null,
  pid           integer     not null,
  started_at    timestamptz not null,
  heartbeat_at  timestamptz not null,
  leader        boolean     not null default false,
  stopped_at    timestamptz
);
create index daemon_heartbeats_heartbeat_idx on daemon_heartbeats (heartbeat_at desc);
