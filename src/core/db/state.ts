/** integration_state (current) and integration_probes (history): the probe write path and its reads. */
import type pg from 'pg';
import type { IntegrationState, ProbeResult, ReasonCode, Status, VendorEnvironment } from '../types.js';
import { observedLatency } from '../status.js';
import { STATE_CHANNEL } from './channels.js';

interface StateRow {
  integration: string;
  connected: boolean;
  status: Status;
  reason_code: string | null;
  reason_message: string | null;
  last_probe_at: Date | null;
  last_ok_at: Date | null;
  latency_ms: number | null;
  consecutive_failures: number;
  consecutive_successes: number;
  last_trace_id: string | null;
  injected: boolean;
  environment: VendorEnvironment | null;
  account_live: boolean | null;
  custom_endpoint: boolean;
}

function fromRow(r: StateRow): IntegrationState {
  return {
    integration: r.integration,
    connected: r.connected,
    status: r.status,
    reasonCode: r.reason_code as ReasonCode | null,
    reasonMessage: r.reason_message,
    lastProbeAt: r.last_probe_at,
    lastOkAt: r.last_ok_at,
    latencyMs: r.latency_ms,
    consecutiveFailures: r.consecutive_failures,
    consecutiveSuccesses: r.consecutive_successes,
    lastTraceId: r.last_trace_id,
    injected: r.injected,
    environment: r.environment,
    accountLive: r.account_live,
    customEndpoint: r.custom_endpoint,
  };
}

/**
 * Every state row, and the database's clock in the same read: ages are measured on the clock
 * that stamped the probes (probeAndRecord uses dbNow), never on the reader's own.
 */
export async function getStates(db: pg.Pool | pg.PoolClient): Promise<{ states: Map<string, IntegrationState>; now: Date }> {
  const { rows } = await db.query<StateRow & { db_now: Date }>(
    'select s.*, n.db_now from (select clock_timestamp() as db_now) n left join integration_state s on true',
  );
  return { states: new Map(rows.filter((r) => r.integration !== null).map((r) => [r.integration, fromRow(r)])), now: rows[0].db_now };
}

/** The database's clock: the one time source every probe stamp and every age is measured on. */
export async function dbNow(db: pg.Pool | pg.PoolClient): Promise<Date> {
  const { rows } = await db.query<{ now: Date }>('select clock_timestamp() as now');
  return rows[0].now;
}

/** Reads one state row and locks it until the transaction ends (serialises writers per integration). */
export async function lockState(c: pg.PoolClient, integration: string): Promise<{ state: IntegrationState | undefined; now: Date }> {
  // the database's clock in the same read (probes are stamped on it); a first probe has no row to carry it
  const { rows } = await c.query<StateRow & { db_now: Date }>(
    'select *, clock_timestamp() as db_now from integration_state where integration = $1 for update',
    [integration],
  );
  return rows[0] ? { state: fromRow(rows[0]), now: rows[0].db_now } : { state: undefined, now: await dbNow(c) };
}

export async function upsertState(c: pg.PoolClient, s: IntegrationState): Promise<void> {
  await c.query(
    `insert into integration_state (integration, connected, status, reason_code, reason_message, last_probe_at, last_ok_at,
        latency_ms, consecutive_failures, consecutive_successes, last_trace_id, injected, environment, account_live,
        custom_endpoint, updated_at)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15, now())
     on conflict (integration) do update set connected = excluded.connected, status = excluded.status,
        reason_code = excluded.reason_code, reason_message = excluded.reason_message, last_probe_at = excluded.last_probe_at,
        last_ok_at = excluded.last_ok_at, latency_ms = excluded.latency_ms, consecutive_failures = excluded.consecutive_failures,
        consecutive_successes = excluded.consecutive_successes, last_trace_id = excluded.last_trace_id,
        injected = excluded.injected, environment = excluded.environment, account_live = excluded.account_live,
        custom_endpoint = excluded.custom_endpoint, updated_at = now()`,
    [
      s.integration,
      s.connected,
      s.status,
      s.reasonCode,
      s.reasonMessage,
      s.lastProbeAt,
      s.lastOkAt,
      s.latencyMs,
      s.consecutiveFailures,
      s.consecutiveSuccesses,
      s.lastTraceId,
      s.injected,
      s.environment,
      s.accountLive,
      s.customEndpoint,
    ],
  );
}

export async function insertProbe(
  c: pg.PoolClient,
  p: { integration: string; probedAt: Date; status: Status; result: ProbeResult; reasonCode: string | null; daemonId: string | null },
): Promise<void> {
  const hs = p.result.httpStatus;
  await c.query(
    `insert into integration_probes (integration, probed_at, status, outcome, http_status, http_status_class, latency_ms,
        reason_code, reason_message, trace_id, injected, daemon_id, environment, account_live, custom_endpoint)
     values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
    [
      p.integration,
      p.probedAt,
      p.status,
      p.result.outcome,
      hs ?? null,
      hs && hs >= 100 && hs < 600 ? `${Math.floor(hs / 100)}xx` : null,
      observedLatency(p.result),
      p.reasonCode,
      p.result.message ?? null,
      p.result.traceId,
      p.result.injected ?? false,
      p.daemonId,
      p.result.environment ?? null,
      p.result.accountLive ?? null,
      p.result.customEndpoint ?? false,
    ],
  );
}

export async function notifyState(c: pg.PoolClient | pg.Pool, integration: string): Promise<void> {
  await c.query('select pg_notify($1, $2)', [STATE_CHANNEL, integration]);
}

export interface ProbeRow {
  integration: string;
  probed_at: string;
  status: Status;
  outcome: string;
  http_status: number | null;
  latency_ms: number | null;
  reason_code: string | null;
  reason_message: string | null;
  trace_id: string;
  injected: boolean;
  daemon_id: string | null;
}

export async function recentProbes(db: pg.Pool, integration: string, limit = 20): Promise<ProbeRow[]> {
  const { rows } = await db.query<ProbeRow>(
    `select integration, to_json(probed_at)#>>'{}' as probed_at, status, outcome, http_status, latency_ms, reason_code,
            reason_message, trace_id, injected, daemon_id
       from integration_probes where integration = $1 order by probed_at desc, id desc limit $2`,
    [integration, limit],
  );
  return rows;
}

/**
 * Probe counts per integration and status (for /metrics, where uptime ratios are taken). Failures
 * inside a scheduled maintenance window (reason MAINTENANCE, status.ts) are left out of them.
 */
export async function probeCounts(db: pg.Pool): Promise<Array<{ integration: string; status: Status; n: number }>> {
  const { rows } = await db.query(
    `select integration, status, count(*)::int as n from integration_probes
      where probed_at > now() - interval '1 hour' and reason_code is distinct from 'MAINTENANCE' group by 1, 2`,
  );
  return rows as Array<{ integration: string; status: Status; n: number }>;
}
