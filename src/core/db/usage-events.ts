/**
 * Usage-event storage. One statement per batch inserts the events and, from the rows that
 * were actually inserted (RETURNING), maintains usage_rollups, variable_sightings and bots,
 * then NOTIFYs listeners. A single statement is one transaction: everything or nothing, and
 * a replayed id (ON CONFLICT DO NOTHING) returns no row, so it is never counted twice.
 */
import type pg from 'pg';
import type { EventRow } from '../events-schema.js';
import type { EventStatus } from '../event-rules.js';
import { NIL_UUID } from '../event-rules.js';
import { UsageError } from '../errors.js';
import { redactDeep } from '../redact.js';
import { SIMULATOR } from '../modes.js';
import { EVENTS_CHANNEL } from './channels.js';

/**
 * How a rollup row splits its counts (`detail`): for failed or blocked calls the reason code
 * (so "blocked attempts by reason" are exact counts, not the last reason of a mixed group);
 * for successful calls the provenance (LIVE/PAPER/SIM) of broker.* operations and the model of
 * llm.* operations.
 * Exported so tests and readers share the one definition.
 */
export const DETAIL_SQL = `case
    when status <> 'OK' then coalesce(reason_code, '')
    when operation like 'broker.%' then coalesce(metadata->>'provenance', '')
    when operation like 'llm.%' then coalesce(metadata->>'model', '')
    else '' end`;

const INSERT_SQL = `
with input as (
  -- the batch as one JSON array: JSON.stringify on the client and the server's JSON parser are
  -- far cheaper than 15 array literals escaped element by element (issue 10: ingest near COPY)
  select id, created_at, user_id, bot_id, run_id, integration, operation, status,
         latency_ms, symbol, timeframe, records, reason_code, trace_id, coalesce(metadata, '{}'::jsonb) as metadata
    from json_to_recordset($1::json)
      as t(id uuid, created_at timestamptz, user_id uuid, bot_id uuid, run_id uuid, integration text, operation text, status text,
           latency_ms int, symbol text, timeframe text, records int, reason_code text, trace_id text, metadata jsonb)
),
ins as (
  insert into integration_usage_events
    (id, created_at, user_id, bot_id, run_id, integration, operation, status,
     latency_ms, symbol, timeframe, records, reason_code, trace_id, metadata)
  select * from input
  on conflict do nothing
  returning bot_id, integration, operation, status, created_at, records, reason_code, trace_id, metadata
),
keyed as (
  select coalesce(bot_id, '${NIL_UUID}'::uuid) as bot_id, integration, operation, status,
         ${DETAIL_SQL} as detail,
         -- hour buckets in UTC whatever the session time zone
         date_trunc('hour', created_at, 'UTC') as hour,
         created_at, records, reason_code, trace_id
    from ins
),
roll as (
  insert into usage_rollups as u
    (bot_id, integration, operation, status, detail, hour, calls, records, last_at, last_trace_id, last_reason_code)
  select bot_id, integration, operation, status, detail, hour,
         count(*), coalesce(sum(records), 0), max(created_at),
         (array_agg(trace_id order by created_at desc, trace_id desc))[1],
         (array_agg(reason_code order by created_at desc, trace_id desc))[1]
    from keyed
   group by bot_id, integration, operation, status, detail, hour
   -- a stable lock order keeps concurrent batches from deadlocking on the same rollup rows
   order by bot_id, integration, operation, status, detail, hour
  on conflict (bot_id, integration, operation, status, detail, hour) do update set
    calls = u.calls + excluded.calls,
    records = u.records + excluded.records,
    last_at = greatest(u.last_at, excluded.last_at),
    last_trace_id = case when excluded.last_at >= u.last_at then excluded.last_trace_id else u.last_trace_id end,
    last_reason_code = case when excluded.last_at >= u.last_at then excluded.last_reason_code else u.last_reason_code end
),
bot_hours as (
  -- per-bot-hour totals for topBots (migrations/002); bot-less events are not ranked
  insert into usage_bot_hours as h (bot_id, hour, calls, ok, error, blocked, records, last_at, integrations)
  select bot_id, hour, count(*),
         count(*) filter (where status = 'OK'),
         count(*) filter (where status = 'ERROR'),
         count(*) filter (where status = 'BLOCKED'),
         coalesce(sum(records) filter (where status = 'OK'), 0),
         max(created_at),
         array_agg(distinct integration order by integration)
    from keyed
   where bot_id <> '${NIL_UUID}'::uuid
   group by bot_id, hour
   order by bot_id, hour
  on conflict (bot_id, hour) do update set
    calls = h.calls + excluded.calls,
    ok = h.ok + excluded.ok,
    error = h.error + excluded.error,
    blocked = h.blocked + excluded.blocked,
    records = h.records + excluded.records,
    last_at = greatest(h.last_at, excluded.last_at),
    integrations = case when excluded.integrations <@ h.integrations then h.integrations
                        else array(select distinct x from unnest(h.integrations || excluded.integrations) x order by x) end
),
seen_bots as (
  insert into bots as b (id, last_seen_at)
  select s.bot_id, s.seen from (select bot_id, max(created_at) as seen from ins where bot_id is not null group by bot_id) s
   -- a busy bot is seen in every batch: rewrite its row at most once a second. Bots seen within
   -- the second are skipped by a plain index read, before the upsert takes any row lock
   where not exists (select 1 from bots r where r.id = s.bot_id and s.seen < r.last_seen_at + interval '1 second')
   order by s.bot_id
  on conflict (id) do update set last_seen_at = excluded.last_seen_at
    -- never moving last_seen_at backwards (no new tuple, no index churn otherwise)
    where b.last_seen_at is null or excluded.last_seen_at >= b.last_seen_at + interval '1 second'
),
sightings as (
  insert into variable_sightings as v (variable, last_seen_at, last_bot_id, last_trace_id, sightings)
  select k.variable, max(i.created_at),
         (array_agg(i.bot_id order by i.created_at desc, i.trace_id desc))[1],
         (array_agg(i.trace_id order by i.created_at desc, i.trace_id desc))[1],
         count(*)
    from ins i
   cross join lateral jsonb_array_elements_text(
         case when jsonb_typeof(i.metadata->'feature_keys_used') = 'array' then i.metadata->'feature_keys_used' else '[]'::jsonb end
       ) as k(variable)
   group by k.variable
   order by k.variable
  on conflict (variable) do update set
    sightings = v.sightings + excluded.sightings,
    last_bot_id = case when excluded.last_seen_at >= v.last_seen_at then excluded.last_bot_id else v.last_bot_id end,
    last_trace_id = case when excluded.last_seen_at >= v.last_seen_at then excluded.last_trace_id else v.last_trace_id end,
    last_seen_at = greatest(v.last_seen_at, excluded.last_seen_at)
)
select s.n, s.integrations,
       -- fires on commit; small payload (NOTIFY payloads are limited to 8000 bytes)
       case when s.n > 0 then pg_notify('${EVENTS_CHANNEL}', json_build_object('count', s.n, 'integrations', s.integrations)::text) end as notified
  from (select count(*)::int as n, coalesce((array_agg(distinct integration))[1:50], '{}') as integrations from ins) s`;

export interface InsertResult {
  /** rows newly stored; replays of already-stored ids are not counted */
  inserted: number;
  integrations: string[];
}

const DEADLOCK = '40P01';

/**
 * Stores a validated batch (see events-schema.validateBatch) atomically. Retries a deadlock
 * (concurrent batches updating the same rollup rows) a few times; every other error is thrown
 * as is, for the caller to classify (db/errors.classifyPgError).
 */
export async function insertEvents(pool: pg.Pool | pg.PoolClient, rows: readonly EventRow[]): Promise<InsertResult> {
  if (rows.length === 0) return { inserted: 0, integrations: [] };
  // EventRow's fields are the columns; Date serializes as ISO 8601 (ms), as the spool does
  const batch = JSON.stringify(rows);
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows: out } = await pool.query<{ n: number; integrations: string[] }>(INSERT_SQL, [batch]);
      return { inserted: out[0].n, integrations: out[0].integrations };
    } catch (err) {
      if ((err as { code?: string }).code !== DEADLOCK || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}

/**
 * The sanitized shape every reader shows (CLI --json, API, TUI drawer): a stored row, time as
 * ISO text, and `simulated` — true for simulated activity (integration `simulator` or provenance
 * SIM), which is never evidence that a broker was used.
 */
export type EventView = Omit<EventRow, 'created_at'> & { created_at: string; simulated: boolean };

export interface EventFilters {
  integration?: string;
  botId?: string;
  runId?: string;
  status?: EventStatus;
  since?: Date | string;
  /** default 50, at most 1000 */
  limit?: number;
  /** page to older events: those strictly before this one (newest first) */
  beforeId?: string;
  /**
   * follow: events strictly after this one, OLDEST first, so a follower can page forward
   * without gaps. Ordered by the writer's created_at: an event replayed late from a spool
   * with an earlier stamp is not returned (the NOTIFY still announces it).
   */
  afterId?: string;
}

export const MAX_LIST_LIMIT = 1000;

export async function listEvents(pool: pg.Pool, f: EventFilters = {}): Promise<EventView[]> {
  const limit = Math.max(1, Math.min(MAX_LIST_LIMIT, Math.trunc(f.limit ?? 50)));
  const sinceDate = f.since === undefined ? null : new Date(f.since);
  if (sinceDate && Number.isNaN(sinceDate.getTime())) throw new UsageError('since: expected a timestamp');
  const since = sinceDate ? sinceDate.toISOString() : null;
  const asc = f.afterId !== undefined;
  const { rows } = await pool.query(
    `select id, created_at, user_id, bot_id, run_id, integration, operation, status, latency_ms,
            symbol, timeframe, records, reason_code, trace_id, metadata
       from integration_usage_events e
      where ($1::text is null or integration = $1)
        and ($2::uuid is null or bot_id = $2)
        and ($3::uuid is null or run_id = $3)
        and ($4::text is null or status = $4)
        and ($5::timestamptz is null or created_at >= $5)
        and ($6::uuid is null or (created_at, id) < (select c.created_at, c.id from integration_usage_events c where c.id = $6 limit 1))
        and ($7::uuid is null or (created_at, id) > (select c.created_at, c.id from integration_usage_events c where c.id = $7 limit 1))
      order by created_at ${asc ? 'asc' : 'desc'}, id ${asc ? 'asc' : 'desc'}
      limit $8`,
    [f.integration ?? null, f.botId ?? null, f.runId ?? null, f.status ?? null, since, f.beforeId ?? null, f.afterId ?? null, limit],
  );
  return rows.map(toEventView);
}

export function toEventView(r: Record<string, unknown>): EventView {
  return {
    id: r.id as string,
    created_at: (r.created_at as Date).toISOString(),
    user_id: (r.user_id as string | null) ?? null,
    bot_id: (r.bot_id as string | null) ?? null,
    run_id: (r.run_id as string | null) ?? null,
    integration: r.integration as string,
    operation: r.operation as string,
    status: r.status as EventStatus,
    latency_ms: (r.latency_ms as number | null) ?? null,
    symbol: (r.symbol as string | null) ?? null,
    timeframe: (r.timeframe as string | null) ?? null,
    records: (r.records as number | null) ?? null,
    reason_code: (r.reason_code as string | null) ?? null,
    trace_id: r.trace_id as string,
    // stored metadata was sanitized on the way in; redact again on the way out (a secret
    // registered later, e.g. a rotated key, must not leak from older rows)
    metadata: redactDeep((r.metadata as Record<string, unknown>) ?? {}),
    simulated: r.integration === SIMULATOR || (r.metadata as Record<string, unknown> | null)?.provenance === 'SIM',
  };
}

/** One row of variable_sightings (maintained by insertEvents from metadata.feature_keys_used). */
export interface SightingView {
  variable: string;
  last_seen_at: string;
  last_bot_id: string | null;
  last_trace_id: string;
  sightings: number;
  /** the latest sighting came from simulated activity (integration `simulator`) */
  last_simulated: boolean;
}

/** Every sighting (the table has one row per variable name, so it stays small). */
export async function listSightings(pool: pg.Pool, limit = 10_000): Promise<SightingView[]> {
  const { rows } = await pool.query(
    // the latest sighting's own event (same stamp and trace, found by the integration index): was it simulated?
    `select variable, last_seen_at, last_bot_id, last_trace_id, sightings::float8 as sightings,
            exists (select 1 from integration_usage_events e
                     where e.integration = '${SIMULATOR}' and e.created_at = s.last_seen_at and e.trace_id = s.last_trace_id) as last_simulated
       from variable_sightings s order by variable limit $1`,
    [limit],
  );
  return rows.map((r) => ({
    variable: r.variable as string,
    last_seen_at: (r.last_seen_at as Date).toISOString(),
    last_bot_id: (r.last_bot_id as string | null) ?? null,
    last_trace_id: r.last_trace_id as string,
    sightings: Number(r.sightings),
    last_simulated: r.last_simulated === true,
  }));
}
