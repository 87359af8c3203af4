/**
 * Every row that carries a trace id, table by table. One small query per table in TRACE_LOOKUPS:
 * a new table with a trace_id column is one more entry. Each lookup is an index probe
 * (migrations/014_trace_indexes.sql), so resolving an id does not grow with the tables.
 */
import type pg from 'pg';
import { changesByTrace, type TradingStateChange } from './trading-state.js';
import type { Status } from '../types.js';
import type { EventView } from './usage-events.js';
import { toEventView } from './usage-events.js';
import { RUN_COLUMNS, toRunView, type RunView } from './runs.js';
import type { ProbeRow } from './state.js';
import type { Fault } from './faults.js';

/** The integration_state row whose last probe carried the id: the source of an integration's blocker. */
export interface StateSource {
  integration: string;
  status: Status;
  reason_code: string | null;
  reason_message: string | null;
  last_probe_at: string | null;
}

export interface SightingSource {
  variable: string;
  last_seen_at: string;
  last_bot_id: string | null;
}

export type TraceHit =
  | { source: 'probe'; at: string; row: ProbeRow }
  | { source: 'usage_event'; at: string; row: EventView }
  | { source: 'run'; at: string; row: RunView }
  | { source: 'blocker_source'; at: string | null; row: StateSource }
  | { source: 'fault_drill'; at: string; row: Fault & { cleared_at: string | null } }
  | { source: 'variable_sighting'; at: string; row: SightingSource }
  | { source: 'trading_state_change'; at: string; row: TradingStateChange };

export type TraceSource = TraceHit['source'];

type Lookup = (db: pg.Pool, traceId: string) => Promise<TraceHit[]>;

const ISO = (col: string) => `to_json(${col})#>>'{}'`;
/** Enough rows to see the evidence; an id shared by more (a bot's run id on every event) says how many in `truncated`. */
export const TRACE_ROW_LIMIT = 200;

const probes: Lookup = async (db, id) => {
  const { rows } = await db.query<ProbeRow>(
    `select integration, ${ISO('probed_at')} as probed_at, status, outcome, http_status, latency_ms, reason_code,
            reason_message, trace_id, injected, daemon_id
       from integration_probes where trace_id = $1 order by probed_at, id limit ${TRACE_ROW_LIMIT}`,
    [id],
  );
  return rows.map((row) => ({ source: 'probe', at: row.probed_at, row }));
};

const usageEvents: Lookup = async (db, id) => {
  const { rows } = await db.query(
    `select id, created_at, user_id, bot_id, run_id, integration, operation, status, latency_ms,
            symbol, timeframe, records, reason_code, trace_id, metadata
       from integration_usage_events where trace_id = $1 order by created_at, id limit ${TRACE_ROW_LIMIT}`,
    [id],
  );
  return rows.map((r) => {
    const row = toEventView(r);
    return { source: 'usage_event', at: row.created_at, row };
  });
};

const runs: Lookup = async (db, id) => {
  const { rows } = await db.query(`select ${RUN_COLUMNS} from bot_runs where trace_id = $1 order by started_at limit ${TRACE_ROW_LIMIT}`, [id]);
  return rows.map((r) => {
    const row = toRunView(r);
    return { source: 'run', at: row.started_at, row };
  });
};

const blockerSources: Lookup = async (db, id) => {
  const { rows } = await db.query<StateSource>(
    `select integration, status, reason_code, reason_message, ${ISO('last_probe_at')} as last_probe_at
       from integration_state where last_trace_id = $1`,
    [id],
  );
  return rows.map((row) => ({ source: 'blocker_source', at: row.last_probe_at, row }));
};

const faultDrills: Lookup = async (db, id) => {
  const { rows } = await db.query<Fault & { cleared_at: string | null }>(
    `select id, integration, http_status, latency_ms, ${ISO('created_at')} as created_at, ${ISO('expires_at')} as expires_at,
            ${ISO('cleared_at')} as cleared_at, created_by, trace_id
       from fault_injections where trace_id = $1 order by created_at limit ${TRACE_ROW_LIMIT}`,
    [id],
  );
  return rows.map((row) => ({ source: 'fault_drill', at: row.created_at, row }));
};

const sightings: Lookup = async (db, id) => {
  const { rows } = await db.query<SightingSource>(
    `select variable, ${ISO('last_seen_at')} as last_seen_at, last_bot_id from variable_sightings where last_trace_id = $1 order by variable limit ${TRACE_ROW_LIMIT}`,
    [id],
  );
  return rows.map((row) => ({ source: 'variable_sighting', at: row.last_seen_at, row }));
};

/** Every table that carries trace ids. A new one (e.g. trading_state_changes) is one entry here. */
const tradingStateChanges: Lookup = async (db, id) =>
  (await changesByTrace(db, id, TRACE_ROW_LIMIT)).map((row) => ({ source: 'trading_state_change', at: row.created_at, row }));

export const TRACE_LOOKUPS: ReadonlyArray<{ source: TraceSource; lookup: Lookup }> = [
  { source: 'probe', lookup: probes },
  { source: 'usage_event', lookup: usageEvents },
  { source: 'run', lookup: runs },
  { source: 'blocker_source', lookup: blockerSources },
  { source: 'fault_drill', lookup: faultDrills },
  { source: 'variable_sighting', lookup: sightings },
  { source: 'trading_state_change', lookup: tradingStateChanges },
];

/** Every row carrying `traceId`, oldest first (undated rows last). */
export async function findTrace(db: pg.Pool, traceId: string): Promise<{ hits: TraceHit[]; truncated: TraceSource[] }> {
  const parts = await Promise.all(TRACE_LOOKUPS.map((l) => l.lookup(db, traceId)));
  const truncated = TRACE_LOOKUPS.filter((_, i) => parts[i].length >= TRACE_ROW_LIMIT).map((l) => l.source);
  const hits = parts.flat().sort((a, b) => (a.at ?? '\uffff').localeCompare(b.at ?? '\uffff'));
  return { hits, truncated };
}
