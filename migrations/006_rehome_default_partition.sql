-- Rows that land in the default partition (a month whose partition did not exist yet: upkeep
-- lagged, or old events replayed late) used to stay there for good: Postgres refuses to create a
-- month's partition while the default holds rows of that month, and retention only drops whole
-- partitions. observatory_rehome_default_rows() gives every month found in the default partition
-- its own partition and moves the rows there, without a single row UPDATE or DELETE: the default
-- partition is detached, a fresh one takes its place, the rows are inserted again through the
-- parent (routed to their months), and the old default table is dropped — one transaction, so
-- readers see the rows before or after, never twice and never missing. Rollups are untouched
-- (they were counted when the rows were first stored).

create or replace function observatory_create_usage_partition(m date)
returns text
language plpgsql as $$
declare
  part text := format('integration_usage_events_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
begin
  if to_regclass(part) is not null then
    return null;
  end if;
  execute format(
    'create table %I partition of integration_usage_events for values from (%L) to (%L)',
    part, (m::timestamp at time zone 'UTC'), ((m + interval '1 month')::timestamp at time zone 'UTC'));
  execute format(
    'create trigger %I before truncate on %I for each statement execute function observatory_reject_mutation()',
    part || '_no_truncate', part);
  return part;
end;
$$;

create or replace function observatory_rehome_default_rows()
returns setof text
language plpgsql as $$
declare
  m date;
  part text;
begin
  if not exists (select 1 from integration_usage_events_default) then
    return;
  end if;
  -- ingest waits for this (it takes the parent's lock); it is rare and as short as the rows are few
  lock table integration_usage_events in access exclusive mode;
  alter table integration_usage_events detach partition integration_usage_events_default;
  alter table integration_usage_events_default rename to integration_usage_events_default_rehomed;
  alter index if exists integration_usage_events_default_pkey rename to integration_usage_events_default_rehomed_pkey;
  create table integration_usage_events_default partition of integration_usage_events default;
  create trigger integration_usage_events_default_no_truncate
    before truncate on integration_usage_events_default
    for each statement execute function observatory_reject_mutation();
  for m in
    select distinct date_trunc('month', created_at at time zone 'UTC')::date
      from integration_usage_events_default_rehomed order by 1
  loop
    part := observatory_create_usage_partition(m);
    if part is not null then
      return next part;
    end if;
  end loop;
  insert into integration_usage_events select * from integration_usage_events_default_rehomed;
  drop table integration_usage_events_default_rehomed;
end;
$$;

-- Partition upkeep: a month whose rows already sit in the default partition is no longer skipped
-- for good — its rows are rehomed first, then the month gets its partition like any other.
create or replace function observatory_ensure_usage_partitions(months_back int default 1, months_ahead int default 3)
returns setof text
language plpgsql as $$
declare
  m date;
  part text;
  blocked boolean := false;
begin
  for i in -months_back..months_ahead loop
    m := (date_trunc('month', now() at time zone 'UTC') + make_interval(months => i))::date;
    begin
      part := observatory_create_usage_partition(m);
      if part is not null then
        return next part;
      end if;
    exception when check_violation then
      blocked := true;
    end;
  end loop;
  if blocked then
    return query select observatory_rehome_default_rows();
    for i in -months_back..months_ahead loop
      part := observatory_create_usage_partition((date_trunc('month', now() at time zone 'UTC') + make_interval(months => i))::date);
      if part is not null then
        return next part;
      end if;
    end loop;
  end if;
end;
$$;
