-- The kill switch: every trading-state change is a row; the state in force is derived from the
-- rows (src/core/db/trading-state.ts), never stored by UPDATE. Append-only like usage events.
--
-- kind:
--   change  — takes effect at once (halt, reduce, resume)
--   request — a resume waiting for a second, different actor (two-person rule); no effect yet
--   confirm — the second actor's confirmation of `confirms`; takes effect as a change
-- A row with expires_at stops counting at that instant; the scope's state is then the newest
-- older row still in force (ACTIVE when none).
create table trading_state_changes (
  id              bigint generated always as identity primary key,
  scope           text        not null check (scope in ('global', 'account', 'bot', 'integration')),
  target          text        not null check (length(target) between 1 and 128),
  state           text        not null check (state in ('ACTIVE', 'REDUCING', 'HALTED')),
  previous_state  text        not null check (previous_state in ('ACTIVE', 'REDUCING', 'HALTED')),
  kind            text        not null default 'change' check (kind in ('change', 'request', 'confirm')),
  confirms        bigint      references trading_state_changes (id),
  actor           text        not null check (length(btrim(actor)) between 1 and 128),
  reason          text        not null check (length(btrim(reason)) between 1 and 500),
  created_at      timestamptz not null default now(),
  expires_at      timestamptz check (expires_at is null or expires_at > created_at),
  trace_id        text        not null check (trace_id ~ '^[0-9a-f]{32}$'),
  check ((scope = 'global') = (target = '*')),
  check ((kind = 'confirm') = (confirms is not null)),
  check (kind <> 'request' or (state = 'ACTIVE' and expires_at is not null))
);
create index trading_state_changes_scope_idx on trading_state_changes (scope, target, id desc);
create unique index trading_state_changes_one_confirm_idx on trading_state_changes (confirms) where confirms is not null;

-- same SQLSTATE as usage events (OB001, classified 'append_only'), with the kill switch's own hint
create or replace function observatory_reject_trading_state_mutation() returns trigger
language plpgsql as $$
begin
  raise exception '% is append-only: % is not allowed', tg_table_name, tg_op
    using errcode = 'OB001',
          hint = 'the kill-switch audit keeps every change: record a new one (observatory halt|reduce|resume)';
end;
$$;

create trigger trading_state_changes_append_only
  before update or delete on trading_state_changes
  for each row execute function observatory_reject_trading_state_mutation();
create trigger trading_state_changes_no_truncate
  before truncate on trading_state_changes
  for each statement execute function observatory_reject_trading_state_mutation();

-- every recorder LISTENs here: a change reaches the bots without waiting for a poll
create or replace function observatory_notify_trading_state() returns trigger
language plpgsql as $$
begin
  perform pg_notify('observatory_trading_state',
    json_build_object('id', new.id, 'scope', new.scope, 'target', new.target, 'state', new.state, 'kind', new.kind)::text);
  return null;
end;
$$;

create trigger trading_state_changes_notify
  after insert on trading_state_changes
  for each row execute function observatory_notify_trading_state();
