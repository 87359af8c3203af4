/**
 * Proof-of-use reads (brief Panel B) and per-bot blockers (Panel D, Phase 5). Counts come
 * from usage_rollups only — never from a scan of raw events — so their cost does not grow
 * with event volume. Windows are hour-aligned: "last 24 h" is every rollup hour from the
 * start of the hour 24 h ago up to now (so 24–25 h of events); `window.since` says which.
 *
 * Counting rules (one place):
 *  - calls = attempts of every status; ok / error / blocked split them; records = OK rows only.
 *  - market data (marketdata.*): calls, bars = records of OK calls.
 *  - broker (broker.*): order intents = broker.place_order | modify_order | cancel_order by
 *    status; fills = OK broker.fill events (one event per fill) by provenance LIVE/PAPER/SIM.
 *    `used_live_or_paper` is true only with a LIVE or PAPER fill: SIM fills and accepted
 *    order intents alone never prove the broker was used.
 *  - AI (llm.*): calls, and models of OK calls with their call counts.
 *  - risk (risk.check): checks = all calls; violations = ERROR + BLOCKED checks.
 *  - errors / blocked attempts by reason code (exact: the rollup splits non-OK rows by reason).
 */
import type pg from 'pg';
import { UsageError } from '../errors.js';
import type { Blocker } from '../types.js';
import { lastRun, runningRunsWithStaleHeartbeat, unresolvedBadRun, type RunView } from './runs.js';
import type { Mode } from '../types.js';
import { isUuid } from '../trace.js';

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

export interface TopBot {
  bot_id: string;
  name: string | null;
  calls: number;
  ok: number;
  error: number;
  blocked: number;
  records: number;
  integrations: string[];
  last_at: string;
}

function assertBotId(botId: string): void {
  if (!isUuid(botId)) throw new UsageError('bot id must be a UUID', 'pass the bot id, or resolve a name with resolveBot()');
}

/** A bot id from its id or its name (`observatory proof es-momentum`); null when unknown. */
export async function resolveBot(pool: pg.Pool, idOrName: string): Promise<string | null> {
  const { rows } = isUuid(idOrName)
    ? await pool.query('select id from bots where id = $1', [idOrName])
    : await pool.query('select id from bots where name = $1', [idOrName]);
  return rows[0]?.id ?? null;
}

function hoursOf(h: number | undefined): number {
  const n = Math.trunc(h ?? 24);
  return Math.max(1, Math.min(24 * 90, n));
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/** The window the ranking table serves, and how old a refresh may be before readers ignore it. */
export const RANKING_WINDOW_HOURS = 24;
export const RANKING_MAX_AGE_MS = 15_000;

/**
 * Recomputes the ranking for the default window from usage_bot_hours (the leading daemon runs
 * this every few seconds). One transaction: readers see the old ranking or the new, never half.
 */
export async function refreshBotRanking(pool: pg.Pool): Promise<{ bots: number }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('delete from bot_activity_ranking where window_hours = $1', [RANKING_WINDOW_HOURS]);
    const res = await client.query(
      `insert into bot_activity_ranking (window_hours, since, bot_id, calls, last_at, refreshed_at)
       select $1, w.since, h.bot_id, sum(h.calls), max(h.last_at), now()
         from usage_bot_hours h,
              (select date_trunc('hour', now() - make_interval(hours => $1), 'UTC') as since) w
        where h.hour >= w.since
        group by w.since, h.bot_id`,
      [RANKING_WINDOW_HOURS],
    );
    await client.query('commit');
    return { bots: res.rowCount ?? 0 };
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Candidate bot ids from the ranking table, or null when it is stale or for another window: its
 * top `limit`, plus the bots active since it was refreshed (their current hour, most calls
 * first), so a bot that just became active is never missing. The caller ranks the candidates by
 * live totals.
 */
async function rankedCandidates(pool: pg.Pool, hours: number, limit: number): Promise<string[] | null> {
  if (hours !== RANKING_WINDOW_HOURS) return null;
  const { rows } = await pool.query<{ bot_id: string; fresh: boolean; refreshed_at: Date }>(
    `select r.bot_id, r.refreshed_at,
            r.refreshed_at > now() - make_interval(secs => $3::float8 / 1000)
              and r.since = date_trunc('hour', now() - make_interval(hours => $1), 'UTC') as fresh
       from bot_activity_ranking r
      where r.window_hours = $1
      order by r.calls desc, r.last_at desc, r.bot_id
      limit $2`,
    [hours, limit, RANKING_MAX_AGE_MS],
  );
  if (rows.length === 0 || !rows[0].fresh) return null;
  const recent = await pool.query<{ bot_id: string }>(
    `select bot_id from usage_bot_hours
      where hour >= date_trunc('hour', $1::timestamptz, 'UTC') and last_at > $1
      order by calls desc, bot_id
      limit $2`,
    [rows[0].refreshed_at, limit],
  );
  return [...new Set([...rows.map((r) => r.bot_id), ...recent.rows.map((r) => r.bot_id)])];
}

/**
 * The most active bots in the window, by calls (bot-less events excluded). Candidates come from
 * the ranking table when it is fresh (≤ 15 s old, same hour window) plus the bots active since its
 * refresh, else from the live aggregation; the totals and the final order are always live.
 */
export async function topBots(pool: pg.Pool, opts: { sinceHours?: number; limit?: number } = {}): Promise<TopBot[]> {
  const limit = Math.max(1, Math.min(1000, Math.trunc(opts.limit ?? 10)));
  const hours = hoursOf(opts.sinceHours);
  const ids = (await rankedCandidates(pool, hours, limit)) ?? (await liveTop(pool, hours, limit));
  return (await totalsFor(pool, ids, hours)).slice(0, limit);
}

/**
 * The live ranking: usage_bot_hours (migrations/002) holds one row per bot and hour, so this sums
 * ≤ bots × hours rows, reading only calls and last_at (int4 sums).
 */
async function liveTop(pool: pg.Pool, hours: number, limit: number): Promise<string[]> {
  const { rows } = await pool.query<{ bot_id: string }>(
    `select h.bot_id
       from usage_bot_hours h
      where h.hour >= date_trunc('hour', now() - make_interval(hours => $1), 'UTC')
      group by h.bot_id
      order by sum(h.calls) desc, max(h.last_at) desc, h.bot_id
      limit $2`,
    [hours, limit],
  );
  return rows.map((r) => r.bot_id);
}

/** Live totals, names and integrations for the given bots only (by primary key), most calls first. */
async function totalsFor(pool: pg.Pool, ids: string[], hours: number): Promise<TopBot[]> {
  if (ids.length === 0) return [];
  const { rows } = await pool.query(
    `with w as (select date_trunc('hour', now() - make_interval(hours => $1), 'UTC') as since)
     select t.bot_id, b.name, s.calls::float8 as calls, s.ok::float8 as ok, s.error::float8 as error,
            s.blocked::float8 as blocked, s.records::float8 as records, s.last_at, s.integrations
       from unnest($2::uuid[]) as t(bot_id)
       cross join w
       cross join lateral (
         select sum(h2.calls) as calls, sum(h2.ok) as ok, sum(h2.error) as error, sum(h2.blocked) as blocked,
                sum(h2.records) as records, max(h2.last_at) as last_at,
                array(select distinct x from usage_bot_hours h3, unnest(h3.integrations) x
                       where h3.bot_id = t.bot_id and h3.hour >= w.since order by x) as integrations
           from usage_bot_hours h2
          where h2.bot_id = t.bot_id and h2.hour >= w.since
       ) s
       left join bots b on b.id = t.bot_id
      where s.calls is not null
      order by s.calls desc, s.last_at desc, t.bot_id`,
    [hours, ids],
  );
  return rows.map((r) => ({
    bot_id: r.bot_id,
    name: r.name ?? null,
    calls: Number(r.calls),
    ok: Number(r.ok),
    error: Number(r.error),
    blocked: Number(r.blocked),
    records: Number(r.records),
    integrations: r.integrations,
    last_at: iso(r.last_at),
  }));
}

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

/** Panel B for one bot, or null when the bot is unknown (no bot row and no usage). */
export async function botProof(pool: pg.Pool, botId: string, opts: { sinceHours?: number } = {}): Promise<BotProof | null> {
  assertBotId(botId);
  const hours = hoursOf(opts.sinceHours);
  const [botRes, groupsRes, run] = await Promise.all([
    pool.query(
      `select b.id, b.name, b.last_seen_at,
              date_trunc('hour', now() - make_interval(hours => $2), 'UTC') as since, now() as until
         from (select 1) one left join bots b on b.id = $1`,
      [botId, hours],
    ),
    pool.query(
      `select integration, operation, status, detail,
              sum(calls)::float8 as calls, sum(records)::float8 as records, max(last_at) as last_at,
              (array_agg(last_trace_id order by last_at desc))[1] as last_trace_id
         from usage_rollups
        where bot_id = $1 and hour >= date_trunc('hour', now() - make_interval(hours => $2), 'UTC')
        group by integration, operation, status, detail`,
      [botId, hours],
    ),
    lastRun(pool, botId),
  ]);
  const b = botRes.rows[0];
  const groups: RollupGroup[] = groupsRes.rows.map((r) => ({
    integration: r.integration,
    operation: r.operation,
    status: r.status,
    detail: r.detail,
    calls: Number(r.calls),
    records: Number(r.records),
    last_at: iso(r.last_at),
    last_trace_id: r.last_trace_id,
  }));
  if (!b.id && groups.length === 0 && !run) return null;

  const byIntegration = new Map<string, RollupGroup[]>();
  for (const g of groups) byIntegration.set(g.integration, [...(byIntegration.get(g.integration) ?? []), g]);
  const integrations = [...byIntegration.entries()]
    .map(([name, gs]) => summarize(name, gs))
    .sort((x, y) => y.calls - x.calls || x.integration.localeCompare(y.integration));
  const blocked = integrations
    .flatMap((i) => i.blocked_attempts.map((a) => ({ integration: i.integration, ...a })))
    .sort((x, y) => y.last_at.localeCompare(x.last_at));

  return {
    bot: { id: botId, name: b.name ?? null, last_seen_at: b.last_seen_at ? iso(b.last_seen_at) : null },
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
      records: sum(o.filter((g) => g.status === 'OK'), (g) => g.records),
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
      used_live_or_paper: fills.LIVE + fills.PAPER > 0,
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
    market_data: mdG.length ? { calls: sum(mdG), bars: sum(mdG.filter((g) => g.status === 'OK'), (g) => g.records) } : null,
    broker,
    ai,
    risk: riskG.length ? { checks: sum(riskG), violations: sum(riskG.filter((g) => g.status !== 'OK')) } : null,
    errors: reasons(errG),
    blocked_attempts: reasons(blkG),
  };
}

/** How recent a BLOCKED event must be to block the bot (brief Phase 5). */
export const BLOCKED_ATTEMPT_WINDOW_MS = 60 * 60_000;

/**
 * The bot's own blockers for the per-bot gate: unknown bot; latest run ended BLOCKED or FAILED;
 * a RUNNING run whose heartbeat is older than staleMs; BLOCKED events in the last hour (one
 * blocker per integration and reason, with the latest trace_id).
 */
export async function botBlockers(pool: pg.Pool, botId: string, staleMs: number, mode?: Mode): Promise<Blocker[]> {
  assertBotId(botId);
  const [botRes, run, stale, blockedRes] = await Promise.all([
    pool.query('select id from bots where id = $1', [botId]),
    unresolvedBadRun(pool, botId),
    runningRunsWithStaleHeartbeat(pool, { botId, staleMs }),
    pool.query(
      `select integration, detail as reason_code, max(last_at) as last_at,
              (array_agg(last_trace_id order by last_at desc))[1] as last_trace_id
         from usage_rollups
        where bot_id = $1 and status = 'BLOCKED'
          -- the runner's own record of a gate refusal is a consequence, not a cause: counting it
          -- would keep a bot blocked by its own retries after the cause is fixed
          and operation <> 'gate.check'
          and hour >= date_trunc('hour', now() - make_interval(secs => $2::float8 / 1000), 'UTC')
          and last_at >= now() - make_interval(secs => $2::float8 / 1000)
          -- a run started after the attempt clears it, as for a run that ended BLOCKED: the new run
          -- is the retry, and if the cause persists it records a new attempt at once. Only a run
          -- of the gate's mode counts (a shadow backtest says nothing about a live broker refusal)
          and last_at > coalesce((select max(r.started_at) from bot_runs r
                                   where r.bot_id = $1 and ($3::text is null or r.mode = $3)), '-infinity')
        group by integration, detail
        order by max(last_at) desc`,
      [botId, BLOCKED_ATTEMPT_WINDOW_MS, mode ?? null],
    ),
  ]);
  const out: Blocker[] = [];
  if (botRes.rowCount === 0) {
    out.push({
      code: 'BOT_UNKNOWN',
      message: `bot ${botId} has never started a run or written a usage event`,
      fix: 'Check the bot id; a bot becomes known when it starts a run (runs.start) or records a usage event',
      integration: null,
      trace_id: null,
    });
    return out;
  }
  if (run && (run.status === 'BLOCKED' || run.status === 'FAILED')) {
    const why = run.reason_code ? ` (${run.reason_code})` : '';
    out.push({
      code: run.status === 'BLOCKED' ? 'BOT_RUN_BLOCKED' : 'BOT_RUN_FAILED',
      message: `${run.mode} run ${run.id} ended ${run.status}${why}, and no run has started since`,
      fix: `Fix the cause${why} and start a new run; the gate clears once a run starts after it`,
      integration: null,
      trace_id: run.trace_id,
    });
  }
  for (const r of stale) {
    out.push({
      code: 'BOT_HEARTBEAT_STALE',
      message: `run ${r.id} is RUNNING but its last heartbeat was ${Math.round(r.heartbeat_age_s)} s ago (limit ${Math.round(staleMs / 1000)} s)`,
      fix: 'Check the bot process is alive and calling runs.heartbeat(); if it died, starting a new run for this bot ends the lost one (FAILED HEARTBEAT_LOST)',
      integration: null,
      trace_id: r.trace_id,
    });
  }
  for (const r of blockedRes.rows) {
    out.push({
      code: 'BOT_BLOCKED_ATTEMPT',
      // the rollup hour may hold older attempts too, so say "latest at", not an exact hourly count
      message: `${r.integration} attempt blocked (${r.reason_code || 'UNSPECIFIED'}) at ${iso(r.last_at)}, within the last hour`,
      fix: `Resolve ${r.reason_code || 'the blocking condition'} for ${r.integration} (see \`observatory gate check\` and the integration's fix), then start a new run`,
      integration: r.integration,
      trace_id: r.last_trace_id,
    });
  }
  return out;
}
