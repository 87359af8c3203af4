/**
 * Usage-event storage. A batch is stored atomically together with the upkeep of every table
 * derived from it (usage_rollups, usage_bot_hours, bots, variable_sightings) and a NOTIFY, all
 * computed from the rows actually stored: a replayed id stores nothing and is never counted
 * twice. Two ways in, one set of upkeep rules (DERIVE_SQL): a single statement (INSERT … ON
 * CONFLICT DO NOTHING RETURNING, feeding the upkeep) for small batches and for replays, and for
 * large batches COPY, then the upkeep from the copied rows, in one transaction.
 */
import pg from 'pg';
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

/**
 * Upkeep of every derived table from \`ins\` — the rows this batch actually stored (bot_id,
 * integration, operation, status, created_at, records, reason_code, trace_id, metadata) — and
 * the NOTIFY. Shared by both ways in (INSERT_SQL, COPIED_SQL), so the rules exist once.
 */
const DERIVE_SQL = `
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

/** The one-statement way in: parse, insert (a replayed id stores nothing), derive. */
const INSERT_SQL = `
with input as (
  -- the batch as one JSON array: JSON.stringify on the client and the server's JSON parser are
  -- far cheaper than 15 array literals escaped element by element (issue 10: ingest near COPY)
  -- metadata is read as json and cast: json_to_recordset converting straight to a jsonb column
  -- costs ~3× the whole parse (measured: 51 ms vs 15 ms for 2000 events on PostgreSQL 15)
  select id, created_at, user_id, bot_id, run_id, integration, operation, status,
         latency_ms, symbol, timeframe, records, reason_code, trace_id, coalesce(metadata::jsonb, '{}'::jsonb) as metadata
    from json_to_recordset($1::json)
      as t(id uuid, created_at timestamptz, user_id uuid, bot_id uuid, run_id uuid, integration text, operation text, status text,
           latency_ms int, symbol text, timeframe text, records int, reason_code text, trace_id text, metadata json)
),
ins as (
  insert into integration_usage_events
    (id, created_at, user_id, bot_id, run_id, integration, operation, status,
     latency_ms, symbol, timeframe, records, reason_code, trace_id, metadata)
  select * from input
  on conflict do nothing
  returning bot_id, integration, operation, status, created_at, records, reason_code, trace_id, metadata
),
${DERIVE_SQL}`;

const COLUMNS =
  'id, created_at, user_id, bot_id, run_id, integration, operation, status, latency_ms, symbol, timeframe, records, reason_code, trace_id, metadata';

/** The bulk way in, step 1: COPY the batch (text format, see copyText) straight into the table. */
const COPY_SQL = `copy integration_usage_events (${COLUMNS}) from stdin`;

/**
 * Step 2, in the same transaction: the derived tables from the rows just copied, read back by
 * their key ($1 ids, $2 created_at, comma-separated): one primary-key probe each, in the one
 * partition that holds it. The lateral LIMIT keeps it a nested loop whatever the statistics.
 */
const COPIED_SQL = `
with ins as (
  select e.bot_id, e.integration, e.operation, e.status, e.created_at, e.records, e.reason_code, e.trace_id, e.metadata
    from unnest(string_to_array($1, ',')::uuid[], string_to_array($2, ',')::timestamptz[]) as b(id, created_at)
   cross join lateral (
         select * from integration_usage_events e where e.id = b.id and e.created_at = b.created_at limit 1
       ) e
),
${DERIVE_SQL}`;

export interface InsertResult {
  /** rows newly stored; replays of already-stored ids are not counted */
  inserted: number;
  integrations: string[];
}

const DEADLOCK = '40P01';
const UNIQUE_VIOLATION = '23505';

/**
 * Batches from this size go in by COPY: PostgreSQL's bulk path (rows parsed from plain text
 * and written page by page) beats an INSERT … SELECT of the same rows parsed from JSON, more so
 * the larger the batch (−18 % at 1000 rows on this project's machine). Below ~500 rows the
 * transaction's three extra round trips and the read-back eat the gain: smaller batches —
 * track()'s group commits among them — take the one-statement path.
 */
export const COPY_MIN_ROWS = 500;

/**
 * Stores a validated batch (see events-schema.validateBatch) atomically: the events and every
 * derived table, or nothing. Retries a deadlock (concurrent batches updating the same rollup
 * rows) a few times; every other error is thrown as is, for the caller to classify
 * (db/errors.classifyPgError).
 *
 * Given a pool and a batch of COPY_MIN_ROWS or more, it COPYs the rows in one transaction with
 * the upkeep (copyBatch). COPY has no ON CONFLICT: a batch holding an already-stored event
 * (a replay) fails as a unique violation, and then goes again through the one-statement path,
 * which stores only the new rows. A PoolClient always takes that path: its transaction is the
 * caller's.
 */
export async function insertEvents(pool: pg.Pool | pg.PoolClient, rows: readonly EventRow[]): Promise<InsertResult> {
  if (rows.length === 0) return { inserted: 0, integrations: [] };
  let copy = rows.length >= COPY_MIN_ROWS && pool instanceof pg.Pool;
  for (let attempt = 1; ; attempt++) {
    try {
      if (copy) return await copyBatch(pool as pg.Pool, rows);
      // EventRow's fields are the columns; Date serializes as ISO 8601 (ms), as the spool does
      const { rows: out } = await pool.query<{ n: number; integrations: string[] }>(INSERT_SQL, [JSON.stringify(rows)]);
      return { inserted: out[0].n, integrations: out[0].integrations };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (copy && code === UNIQUE_VIOLATION) {
        copy = false;
        attempt--;
        continue;
      }
      if (code !== DEADLOCK || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}

/** COPY, then the upkeep from the copied rows, in one transaction on one client. */
async function copyBatch(pool: pg.Pool, rows: readonly EventRow[]): Promise<InsertResult> {
  const data = copyText(rows);
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('begin');
    await new Promise<void>((resolve, reject) => client.query(new CopyFrom(COPY_SQL, data, (err) => (err ? reject(err) : resolve()))));
    const { rows: out } = await client.query<{ n: number; integrations: string[] }>(COPIED_SQL, [
      rows.map((r) => r.id).join(','),
      rows.map((r) => r.created_at.toISOString()).join(','),
    ]);
    await client.query('commit');
    return { inserted: out[0].n, integrations: out[0].integrations };
  } catch (err) {
    // the server's refusal leaves the connection usable: roll back and give it back. Anything
    // else (a client-side timeout, a dead socket) drops the connection, and the server rolls
    // the transaction back as it goes — no second wait on a path that is not answering
    if (err instanceof pg.DatabaseError) await client.query('rollback').catch((e: Error) => (broken = e));
    else broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * A simple-protocol query whose COPY … FROM STDIN is fed one prepared buffer. node-postgres's
 * own Query answers the server's CopyInResponse with a CopyFail ("no source stream"); this one
 * sends the data and CopyDone instead. Everything else (errors, completion, the client's
 * query_timeout) is the built-in Query's handling.
 */
class CopyFrom extends pg.Query {
  constructor(
    text: string,
    private readonly data: Buffer,
    callback: (err: Error | undefined) => void,
  ) {
    super(text, callback);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }
}

// COPY text format: tab-separated columns, \N for null; backslash, tab, newline and carriage
// return escaped with a backslash (https://www.postgresql.org/docs/current/sql-copy.html)
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyEsc = (v: string): string => (COPY_SPECIAL.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : v);
const copyStr = (v: string | null): string => (v === null ? '\\N' : copyEsc(v));
const copyInt = (v: number | null): string => (v === null ? '\\N' : String(v));

/**
 * The batch as COPY text rows, columns in COLUMNS order. Each line is written straight into one
 * growing buffer: UTF-8 encoding one 500 kB concatenated string costs ~3× as much.
 */
function copyText(rows: readonly EventRow[]): Buffer {
  let buf = Buffer.allocUnsafe(Math.max(4096, rows.length * 512));
  let at = 0;
  for (const r of rows) {
    const line =
      `${copyEsc(r.id)}\t${r.created_at.toISOString()}\t${copyStr(r.user_id)}\t${copyStr(r.bot_id)}\t${copyStr(r.run_id)}\t` +
      `${copyEsc(r.integration)}\t${copyEsc(r.operation)}\t${copyEsc(r.status)}\t${copyInt(r.latency_ms)}\t${copyStr(r.symbol)}\t` +
      `${copyStr(r.timeframe)}\t${copyInt(r.records)}\t${copyStr(r.reason_code)}\t${copyEsc(r.trace_id)}\t${copyEsc(JSON.stringify(r.metadata ?? {}))}\n`;
    // a UTF-16 code unit is at most 3 bytes of UTF-8: room for the worst case, so write() never truncates
    if (buf.length - at < line.length * 3) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + line.length * 3));
      buf.copy(bigger, 0, 0, at);
      buf = bigger;
    }
    at += buf.write(line, at, 'utf8');
  }
  return buf.subarray(0, at);
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
