/**
 * What the per-bot gate needs to know about one bot, read in one round: whether the bot is
 * known, its unresolved bad run, its RUNNING runs with a stale heartbeat and its recent BLOCKED
 * attempts. The rules that turn these facts into blockers live in core/autonomy.ts.
 */
import type pg from 'pg';
import type { Mode } from '../types.js';
import { RUN_EVENTS } from '../event-rules.js';
import { runningRunsWithStaleHeartbeat, unresolvedBadRun, type RunView } from './runs.js';

export interface BlockedAttempt {
  integration: string;
  /** '' when the event carried no reason code */
  reason_code: string;
  last_at: string;
  last_trace_id: string;
}

export interface BotGateFacts {
  /** a bots row exists (the bot started a run or wrote a usage event) */
  known: boolean;
  /** the latest run ended BLOCKED or FAILED and no run has started since */
  badRun: RunView | null;
  /** RUNNING runs whose heartbeat is older than staleMs */
  staleRuns: RunView[];
  /** BLOCKED attempts inside the window not followed by a run of the mode, one per integration and reason, newest first */
  blockedAttempts: BlockedAttempt[];
  /** the newest RUNNING run (null when the bot is not running); read only when market-data facts are asked for */
  runningRun?: { id: string; started_at: string; trace_id: string } | null;
  /** the bot's last OK market-data event within the lookback (null: none) */
  lastMarketData?: LastMarketData | null;
  /** the database's clock when the facts were read (ISO) */
  now?: string;
}

export interface LastMarketData {
  at: string;
  integration: string;
  trace_id: string;
  /** the event's symbol, when it named one (decides the product group) */
  symbol: string | null;
}

/**
 * How far back the last OK market-data event is looked for (rollup hours; the bound is at most a
 * day of open-market time, and 8 calendar days always hold more than that — the longest CME
 * closure is a holiday weekend). Older than this reads as none: stale whenever the market is open.
 */
const MARKET_DATA_LOOKBACK = '8 days';

/** The bot's newest RUNNING run and last OK market-data event (rollups; the symbol from that one event). */
export async function readMarketDataFacts(
  pool: pg.Pool,
  botId: string,
  integrations: readonly string[],
): Promise<Pick<BotGateFacts, 'runningRun' | 'lastMarketData' | 'now'>> {
  const [run, md] = await Promise.all([
    pool.query(
      `select id, started_at, trace_id, clock_timestamp() as db_now from (select 1) one
         left join lateral (select id, started_at, trace_id from bot_runs where bot_id = $1 and status = 'RUNNING'
                             order by started_at desc limit 1) r on true`,
      [botId],
    ),
    pool.query(
      `with last as (
         select integration, last_at, last_trace_id from usage_rollups
          where bot_id = $1 and status = 'OK' and integration = any($2::text[])
            and hour >= date_trunc('hour', now() - interval '${MARKET_DATA_LOOKBACK}', 'UTC')
          order by last_at desc limit 1)
       select l.integration, l.last_at, l.last_trace_id,
              (select e.symbol from integration_usage_events e
                where e.bot_id = $1 and e.created_at = l.last_at and e.integration = l.integration and e.status = 'OK'
                  and e.trace_id = l.last_trace_id
                limit 1) as symbol
         from last l`,
      [botId, integrations],
    ),
  ]);
  const r = run.rows[0];
  const m = md.rows[0];
  return {
    now: iso(r.db_now),
    runningRun: r.id ? { id: r.id, started_at: iso(r.started_at), trace_id: r.trace_id } : null,
    lastMarketData: m ? { at: iso(m.last_at), integration: m.integration, trace_id: m.last_trace_id, symbol: m.symbol ?? null } : null,
  };
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

export async function readBotGateFacts(
  pool: pg.Pool,
  botId: string,
  opts: { staleMs: number; blockedWindowMs: number; mode?: Mode; marketDataIntegrations?: readonly string[] },
): Promise<BotGateFacts> {
  const [botRes, badRun, staleRuns, blockedRes, market] = await Promise.all([
    pool.query('select id from bots where id = $1', [botId]),
    unresolvedBadRun(pool, botId),
    runningRunsWithStaleHeartbeat(pool, { botId, staleMs: opts.staleMs }),
    pool.query(
      `select integration, detail as reason_code, max(last_at) as last_at,
              (array_agg(last_trace_id order by last_at desc))[1] as last_trace_id
         from usage_rollups
        where bot_id = $1 and status = 'BLOCKED'
          -- the runner's own record of a gate refusal is a consequence, not a cause: counting it
          -- would keep a bot blocked by its own retries after the cause is fixed
          and operation <> 'gate.check'
          -- a run's own terminal event restates its bot_runs row (BOT_RUN_BLOCKED covers it)
          and not (integration = '${RUN_EVENTS.integration}' and operation = '${RUN_EVENTS.finish}')
          and hour >= date_trunc('hour', now() - make_interval(secs => $2::float8 / 1000), 'UTC')
          and last_at >= now() - make_interval(secs => $2::float8 / 1000)
          -- a run started after the attempt clears it, as for a run that ended BLOCKED: the new run
          -- is the retry, and if the cause persists it records a new attempt at once. Only a run
          -- of the gate's mode counts (a shadow backtest says nothing about a live broker refusal)
          and last_at > coalesce((select max(r.started_at) from bot_runs r
                                   where r.bot_id = $1 and ($3::text is null or r.mode = $3)), '-infinity')
        group by integration, detail
        order by max(last_at) desc`,
      [botId, opts.blockedWindowMs, opts.mode ?? null],
    ),
    opts.marketDataIntegrations ? readMarketDataFacts(pool, botId, opts.marketDataIntegrations) : Promise.resolve({}),
  ]);
  return {
    known: (botRes.rowCount ?? 0) > 0,
    badRun,
    staleRuns,
    blockedAttempts: blockedRes.rows.map((r) => ({
      integration: r.integration,
      reason_code: r.reason_code ?? '',
      last_at: iso(r.last_at),
      last_trace_id: r.last_trace_id,
    })),
    ...market,
  };
}
