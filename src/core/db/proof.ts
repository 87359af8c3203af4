/**
 * Proof-of-use reads for one bot (brief Panel B); the ranking of bots is db/ranking.ts and the
 * per-bot gate's facts db/bot-gate.ts. Counts come
 * from usage_rollups only — never from a scan of raw events — so their cost does not grow
 * with event volume. Windows are hour-aligned: "last 24 h" is every rollup hour from the
 * start of the hour 24 h ago up to now (so 24–25 h of events); `window.since` says which.
 *
 * Counting rules (one place):
 *  - calls = attempts of every status; ok / error / blocked split them; records = OK rows only.
 *  - market data (marketdata.*): calls, bars = records of OK calls.
 *  - broker (broker.*): order intents = broker.place_order | modify_order | cancel_order by
 *    status; fills = OK broker.fill events (one event per fill) by provenance LIVE/PAPER/SIM.
 *    `used_live_or_paper` is true only with a LIVE or PAPER fill on a broker integration: SIM
 *    fills (recorded under `simulator`, modes.ts) and accepted order intents alone never prove
 *    the broker was used.
 *  - AI (llm.*): calls, and models of OK calls with their call counts.
 *  - risk (risk.check): checks = all calls; violations = ERROR + BLOCKED checks.
 *  - errors / blocked attempts by reason code (exact: the rollup splits non-OK rows by reason).
 */
import type pg from 'pg';
import { AmbiguousBotError, UsageError } from '../errors.js';
import { botsNamed } from './bots.js';
import { LAST_RUN_SQL, toRunView, type RunView } from './runs.js';
import { isUuid } from '../trace.js';
import { SIMULATOR } from '../modes.js';

export const ORDER_INTENT_OPS = ['broker.place_order', 'broker.modify_order', 'broker.cancel_order'] as const;

export interface ReasonCount {
  reason_code: string;
  count: number;
  last_at: string;
  last_trace_id: string;
}

export interface OperationProof {
  operation: string;
  calls: number;
  ok: number;
  error: number;
  blocked: number;
  records: number;
}

export interface IntegrationProof {
  integration: string;
  /** the simulator (shadow orders and fills, provenance SIM): shown as simulated, never proof of broker use */
  simulated: boolean;
  /** at least one OK call in the window that was not simulated (provenance SIM) */
  used: boolean;
  calls: number;
  ok: number;
  error: number;
  blocked: number;
  records: number;
  last_at: string;
  last_trace_id: string;
  last_ok_at: string | null;
  last_ok_trace_id: string | null;
  operations: OperationProof[];
  market_data: { calls: number; bars: number } | null;
  broker: {
    order_intents: { total: number; ok: number; error: number; blocked: number; place: number; modify: number; cancel: number };
    fills: { LIVE: number; PAPER: number; SIM: number };
    used_live_or_paper: boolean;
  } | null;
  ai: { calls: number; models: Array<{ model: string; calls: number }> } | null;
  risk: { checks: number; violations: number } | null;
  errors: ReasonCount[];
  blocked_attempts: ReasonCount[];
}

export type LastRunProof = Pick<
  RunView,
  'id' | 'mode' | 'job_kind' | 'status' | 'started_at' | 'heartbeat_at' | 'heartbeat_age_s' | 'ended_at' | 'terminal_state' | 'reason_code' | 'trace_id'
>;

/** Panel B for one bot: the one JSON shape for CLI --json, TUI and HTTP API. */
export interface BotProof {
  bot: { id: string; name: string | null; last_seen_at: string | null };
  window: { hours: number; since: string; until: string };
  last_run: LastRunProof | null;
  integrations: IntegrationProof[];
  /** every blocked attempt of the bot in the window, all integrations, newest first */
  blocked_attempts: Array<ReasonCount & { integration: string }>;
}

function assertBotId(botId: string): void {
  if (!isUuid(botId)) throw new UsageError('bot id must be a UUID', 'pass the bot id, or resolve a name with resolveBot()');
}

/**
 * A bot id from its id or its name (`observatory proof es-momentum`, see botsNamed); null when
 * no bot matches; AmbiguousBotError (exit 64) with the candidates when several do.
 */
export async function resolveBot(pool: pg.Pool, idOrName: string): Promise<string | null> {
  const found = await botsNamed(pool, idOrName);
  if (found.length > 1) throw new AmbiguousBotError(idOrName, found);
  return found[0]?.bot_id ?? null;
}

/** A window in whole hours, 1 h to 90 days (24 by default). */
export function windowHours(h: number | undefined): number {
  const n = Math.trunc(h ?? 24);
  return Math.max(1, Math.min(24 * 90, n));
}

export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

interface RollupGroup {
  integration: string;
  operation: string;
  status: 'OK' | 'ERROR' | 'BLOCKED';
  detail: string;
  calls: number;
  records: number;
  last_at: string;
  last_trace_id: string;
}

/**
 * One bot's rollup groups over the window ($1 bot id, $2 hours): a range scan of the rollup
 * key (bot_id, hour, …) that reads the window's rows only, however long the bot's history
 * (migrations/011). @internal exported for the plan test
 */
export const PROOF_GROUPS_SQL = `
select integration, operation, status, detail,
       sum(calls)::float8 as calls, sum(records)::float8 as records, max(last_at) as last_at,
       (array_agg(last_trace_id order by last_at desc))[1] as last_trace_id
  from usage_rollups
 where bot_id = $1 and hour >= date_trunc('hour', now() - make_interval(hours => $2), 'UTC')
 group by integration, operation, status, detail`;

/**
 * Panel B's whole read in one statement and one round trip ($1 bot id, $2 hours): the window, the
 * bot row, its last run (run_* columns) and one row per rollup group (a single row with null
 * group columns when there is none). Under CPU contention every round trip is one more wait to
 * be scheduled: three queries in parallel had twice this one's p95 while the bench loads events.
 */
const PROOF_SQL = `
select w.since, w.until, b.id as bot_row_id, b.name as bot_name, b.last_seen_at as bot_last_seen_at,
       r.id as run_id, r.bot_id as run_bot_id, r.user_id as run_user_id, r.mode as run_mode, r.job_kind as run_job_kind,
       r.status as run_status, r.started_at as run_started_at, r.heartbeat_at as run_heartbeat_at,
       r.heartbeat_age_s as run_heartbeat_age_s, r.ended_at as run_ended_at, r.terminal_state as run_terminal_state,
       r.reason_code as run_reason_code, r.trace_id as run_trace_id,
       g.integration, g.operation, g.status, g.detail, g.calls, g.records, g.last_at, g.last_trace_id
  from (select date_trunc('hour', now() - make_interval(hours => $2), 'UTC') as since, now() as until) w
  left join bots b on b.id = $1
  left join lateral (${LAST_RUN_SQL}) r on true
  left join lateral (${PROOF_GROUPS_SQL}) g on true`;

/** Panel B for one bot, or null when the bot is unknown (no bot row and no usage). */
export async function botProof(pool: pg.Pool, botId: string, opts: { sinceHours?: number } = {}): Promise<BotProof | null> {
  assertBotId(botId);
  const hours = windowHours(opts.sinceHours);
  const { rows } = await pool.query(PROOF_SQL, [botId, hours]);
  const b = rows[0];
  const run = b.run_id ? toRunView(Object.fromEntries(Object.entries(b).flatMap(([k, v]) => (k.startsWith('run_') ? [[k.slice(4), v]] : [])))) : null;
  const groups: RollupGroup[] = rows
    .filter((r) => r.integration !== null)
    .map((r) => ({
      integration: r.integration,
      operation: r.operation,
      status: r.status,
      detail: r.detail,
      calls: Number(r.calls),
      records: Number(r.records),
      last_at: iso(r.last_at),
      last_trace_id: r.last_trace_id,
    }));
  if (!b.bot_row_id && groups.length === 0 && !run) return null;

  const byIntegration = new Map<string, RollupGroup[]>();
  for (const g of groups) byIntegration.set(g.integration, [...(byIntegration.get(g.integration) ?? []), g]);
  const integrations = [...byIntegration.entries()]
    .map(([name, gs]) => summarize(name, gs))
    .sort((x, y) => y.calls - x.calls || x.integration.localeCompare(y.integration));
  const blocked = integrations
    .flatMap((i) => i.blocked_attempts.map((a) => ({ integration: i.integration, ...a })))
    .sort((x, y) => y.last_at.localeCompare(x.last_at));

  return {
    bot: { id: botId, name: b.bot_name ?? null, last_seen_at: b.bot_last_seen_at ? iso(b.bot_last_seen_at) : null },
    window: { hours, since: iso(b.since), until: iso(b.until) },
    last_run: run
      ? {
          id: run.id,
          mode: run.mode,
          job_kind: run.job_kind,
          status: run.status,
          started_at: run.started_at,
          heartbeat_at: run.heartbeat_at,
          heartbeat_age_s: run.heartbeat_age_s,
          ended_at: run.ended_at,
          terminal_state: run.terminal_state,
          reason_code: run.reason_code,
          trace_id: run.trace_id,
        }
      : null,
    integrations,
    blocked_attempts: blocked,
  };
}

const sum = (gs: RollupGroup[], f: (g: RollupGroup) => number = (g) => g.calls) => gs.reduce((a, g) => a + f(g), 0);

function latest(gs: RollupGroup[]): RollupGroup | undefined {
  return gs.reduce<RollupGroup | undefined>((a, g) => (!a || g.last_at > a.last_at ? g : a), undefined);
}

function reasons(gs: RollupGroup[]): ReasonCount[] {
  const m = new Map<string, ReasonCount>();
  for (const g of gs) {
    const code = g.detail || 'UNSPECIFIED';
    const cur = m.get(code);
    if (!cur) m.set(code, { reason_code: code, count: g.calls, last_at: g.last_at, last_trace_id: g.last_trace_id });
    else {
      cur.count += g.calls;
      if (g.last_at > cur.last_at) Object.assign(cur, { last_at: g.last_at, last_trace_id: g.last_trace_id });
    }
  }
  return [...m.values()].sort((a, b) => b.count - a.count || b.last_at.localeCompare(a.last_at));
}

function summarize(integration: string, gs: RollupGroup[]): IntegrationProof {
  const okG = gs.filter((g) => g.status === 'OK');
  const errG = gs.filter((g) => g.status === 'ERROR');
  const blkG = gs.filter((g) => g.status === 'BLOCKED');
  const last = latest(gs)!;
  const lastOk = latest(okG);

  const opNames = [...new Set(gs.map((g) => g.operation))].sort();
  const operations = opNames.map((op): OperationProof => {
    const o = gs.filter((g) => g.operation === op);
    return {
      operation: op,
      calls: sum(o),
      ok: sum(o.filter((g) => g.status === 'OK')),
      error: sum(o.filter((g) => g.status === 'ERROR')),
      blocked: sum(o.filter((g) => g.status === 'BLOCKED')),
      records: sum(
        o.filter((g) => g.status === 'OK'),
        (g) => g.records,
      ),
    };
  });

  const mdG = gs.filter((g) => g.operation.startsWith('marketdata.'));
  const brokerG = gs.filter((g) => g.operation.startsWith('broker.'));
  const aiG = gs.filter((g) => g.operation.startsWith('llm.'));
  const riskG = gs.filter((g) => g.operation === 'risk.check');

  let broker: IntegrationProof['broker'] = null;
  if (brokerG.length) {
    const intents = brokerG.filter((g) => (ORDER_INTENT_OPS as readonly string[]).includes(g.operation));
    const fillsOk = brokerG.filter((g) => g.operation === 'broker.fill' && g.status === 'OK');
    const fill = (p: string) => sum(fillsOk.filter((g) => g.detail === p));
    const fills = { LIVE: fill('LIVE'), PAPER: fill('PAPER'), SIM: fill('SIM') };
    broker = {
      order_intents: {
        total: sum(intents),
        ok: sum(intents.filter((g) => g.status === 'OK')),
        error: sum(intents.filter((g) => g.status === 'ERROR')),
        blocked: sum(intents.filter((g) => g.status === 'BLOCKED')),
        place: sum(intents.filter((g) => g.operation === 'broker.place_order')),
        modify: sum(intents.filter((g) => g.operation === 'broker.modify_order')),
        cancel: sum(intents.filter((g) => g.operation === 'broker.cancel_order')),
      },
      fills,
      // only a broker's own LIVE/PAPER fills prove use; the simulator never does
      used_live_or_paper: integration !== SIMULATOR && fills.LIVE + fills.PAPER > 0,
    };
  }

  let ai: IntegrationProof['ai'] = null;
  if (aiG.length) {
    const models = new Map<string, number>();
    for (const g of aiG) if (g.status === 'OK' && g.detail) models.set(g.detail, (models.get(g.detail) ?? 0) + g.calls);
    ai = {
      calls: sum(aiG),
      models: [...models.entries()].map(([model, calls]) => ({ model, calls })).sort((a, b) => b.calls - a.calls || a.model.localeCompare(b.model)),
    };
  }

  return {
    integration,
    simulated: integration === SIMULATOR,
    // simulated activity (shadow intents, SIM fills) is never proof that an integration was used
    used: okG.some((g) => g.detail !== 'SIM'),
    calls: sum(gs),
    ok: sum(okG),
    error: sum(errG),
    blocked: sum(blkG),
    records: sum(okG, (g) => g.records),
    last_at: last.last_at,
    last_trace_id: last.last_trace_id,
    last_ok_at: lastOk?.last_at ?? null,
    last_ok_trace_id: lastOk?.last_trace_id ?? null,
    operations,
    market_data: mdG.length
      ? {
          calls: sum(mdG),
          bars: sum(
            mdG.filter((g) => g.status === 'OK'),
            (g) => g.records,
          ),
        }
      : null,
    broker,
    ai,
    risk: riskG.length ? { checks: sum(riskG), violations: sum(riskG.filter((g) => g.status !== 'OK')) } : null,
    errors: reasons(errG),
    blocked_attempts: reasons(blkG),
  };
}
