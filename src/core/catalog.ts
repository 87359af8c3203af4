/**
 * The variable catalog (brief Panel C): the signals/features the platform can hand to bots.
 * The list is canonical and lives in code; it is an inventory, not a promise of profitability,
 * and it never carries values — only names, types, sources, availability and last sighting.
 *
 * Availability needs two things, and says which one is missing (availability_reason):
 *  - a producer: something computes the variable — a registered producer (producers.ts, e.g.
 *    the reference bot) or a bot that reported it (a sighting). Neither ⇒ BLOCKED NO_PRODUCER,
 *    whatever its sources' health: a healthy vendor does not make an uncomputed variable usable;
 *  - a healthy source, from the sources' current integration status (Panel A):
 *    OK if at least one source integration is OK (any one vendor can supply it); DEGRADED
 *    (SOURCE_DEGRADED) if none is OK but one is DEGRADED; BLOCKED (SOURCE_BLOCKED) otherwise —
 *    including a source missing from the status map (never probed, not configured, or
 *    removed): unknown is never shown as available (fail-closed).
 * Last seen (bot, trace) comes from variable_sightings, fed by events' metadata.feature_keys_used.
 */
import type pg from 'pg';
import { listSightings, type SightingView } from './db/usage-events.js';
import type { Status } from './types.js';
import { producersOf } from './vendors/index.js';
import { producersOfVariable } from './producers.js';

export type VariableType = 'number' | 'bool' | 'string';
export const VARIABLE_GROUPS = ['market_data', 'order_execution', 'risk', 'ai'] as const;
export type VariableGroup = (typeof VARIABLE_GROUPS)[number];

export interface VariableDef {
  /** snake_case with a group prefix: md., exec., risk., ai. */
  name: string;
  type: VariableType;
  group: VariableGroup;
  /** integrations whose data the variable is computed from (any one suffices) */
  sources: string[];
  definition: string;
}

// sources: the integration modules that declare they produce the group (vendors/index.ts)
const MD = producersOf('market_data');
const BROKER = producersOf('order_execution');
const RISK = producersOf('risk');
const AI = producersOf('ai');

const md = (name: string, type: VariableType, definition: string): VariableDef => ({ name: `md.${name}`, type, group: 'market_data', sources: MD, definition });
const ex = (name: string, type: VariableType, definition: string): VariableDef => ({
  name: `exec.${name}`,
  type,
  group: 'order_execution',
  sources: BROKER,
  definition,
});
const rk = (name: string, type: VariableType, definition: string): VariableDef => ({ name: `risk.${name}`, type, group: 'risk', sources: RISK, definition });
const ai = (name: string, type: VariableType, definition: string): VariableDef => ({ name: `ai.${name}`, type, group: 'ai', sources: AI, definition });

export const CATALOG: readonly VariableDef[] = Object.freeze([
  // Market data: OHLCV bars and what is derived from them
  md('open', 'number', 'Bar open price (OHLCV)'),
  md('high', 'number', 'Bar high price (OHLCV)'),
  md('low', 'number', 'Bar low price (OHLCV)'),
  md('close', 'number', 'Bar close price (OHLCV)'),
  md('volume', 'number', 'Contracts/shares traded in the bar (OHLCV)'),
  md('bar_time', 'string', 'Bar start time, ISO 8601 UTC'),
  md('vwap', 'number', 'Volume-weighted average price since the session open'),
  md('atr', 'number', 'Average true range over the configured lookback (default 14 bars)'),
  md('returns', 'number', 'Close-to-close return of the latest bar'),
  md('log_returns', 'number', 'Natural-log close-to-close return of the latest bar'),
  md('volatility', 'number', 'Realized volatility: standard deviation of returns over the lookback'),
  md('range_pct', 'number', 'Bar high-low range as a fraction of the close'),
  md('session_open', 'bool', 'True while the CME Globex session is open (session calendar: holidays, early closes, the daily break)'),
  md('session_phase', 'string', 'Session marker from the session calendar: open, break (daily maintenance) or closed'),
  md('minutes_to_close', 'number', 'Minutes until the current CME Globex session closes (early closes included)'),
  md('gap_pct', 'number', 'Opening gap versus the previous session close, as a fraction'),
  // Order / execution: from broker acknowledgements and fills
  ex('fill_latency_ms', 'number', 'Time from order submission to the fill the broker reports, as the bot observed it (simulated fills have none)'),
  ex(
    'slippage_estimate',
    'number',
    'Broker fill price minus the intended price (last close), in price points, signed against the order side (positive = worse)',
  ),
  ex('position_state', 'string', 'Current position: flat, long or short'),
  ex('position_qty', 'number', 'Signed open position size in contracts'),
  ex('exposure', 'number', 'Open notional exposure at the last close, in account currency (|position| × price × point value)'),
  ex('open_orders', 'number', 'Working (unfilled) orders at the broker'),
  ex('fill_provenance', 'string', 'Where the latest fill came from: LIVE, PAPER or SIM'),
  ex('order_rejected', 'bool', 'True when the latest order was rejected by the broker'),
  ex('unrealized_pnl', 'number', 'Unrealized profit/loss of the open position'),
  // Risk engine
  rk('max_contracts', 'number', 'Maximum position size the risk limits allow'),
  rk('drawdown', 'number', "Drawdown of the run's P&L (realized + unrealized at the last close) from its peak, in account currency"),
  rk('daily_loss', 'number', 'Realized plus unrealized loss since the session start'),
  rk('daily_loss_limit', 'number', 'Daily loss at which trading is halted'),
  rk('violation_flag', 'bool', 'True when the latest risk check found a limit violation'),
  rk('violation_code', 'string', 'Reason code of the latest risk violation'),
  rk('kill_switch', 'bool', 'True when the risk engine has halted trading'),
  // AI
  ai('sentiment_tag', 'string', 'Sentiment label from news/text: bullish, bearish or neutral'),
  ai('regime_classification', 'string', 'Market regime label: trending, ranging, volatile or quiet'),
  ai('strategy_commentary', 'string', 'Short model commentary on the current strategy decision'),
  ai('signal_confidence', 'number', 'Model confidence (0–1) attached to the latest AI signal'),
]);

export const CATALOG_NAMES: ReadonlySet<string> = new Set(CATALOG.map((v) => v.name));

export function availabilityOf(sources: readonly string[], statusByIntegration: Readonly<Record<string, Status>>): Status {
  const s = sources.map((n) => statusByIntegration[n]);
  if (s.includes('OK')) return 'OK';
  if (s.includes('DEGRADED')) return 'DEGRADED';
  return 'BLOCKED';
}

/**
 * Why a variable is not OK (null when it is): NO_PRODUCER (nothing registered computes it and no
 * bot has reported it), SOURCE_DEGRADED / SOURCE_BLOCKED (its best source integration's status).
 */
export const AVAILABILITY_REASONS = ['NO_PRODUCER', 'SOURCE_DEGRADED', 'SOURCE_BLOCKED'] as const;
export type AvailabilityReason = (typeof AVAILABILITY_REASONS)[number];

/** A variable's availability: a producer first, then its sources' health (see the header). */
export function variableAvailability(
  v: Pick<VariableDef, 'name' | 'sources'>,
  statusByIntegration: Readonly<Record<string, Status>>,
  sightings: number,
): { availability: Status; availability_reason: AvailabilityReason | null } {
  if (producersOfVariable(v.name).length === 0 && sightings === 0) return { availability: 'BLOCKED', availability_reason: 'NO_PRODUCER' };
  const a = availabilityOf(v.sources, statusByIntegration);
  return { availability: a, availability_reason: a === 'OK' ? null : a === 'DEGRADED' ? 'SOURCE_DEGRADED' : 'SOURCE_BLOCKED' };
}

/** One variable as every reader shows it (CLI --json, API, TUI). */
export interface VariableView {
  name: string;
  type: VariableType;
  group: VariableGroup;
  sources: string[];
  definition: string;
  availability: Status;
  /** why it is not OK (null when OK): NO_PRODUCER, SOURCE_DEGRADED or SOURCE_BLOCKED */
  availability_reason: AvailabilityReason | null;
  /** registered producers (producers.ts); empty with sightings = produced by a bot outside this codebase */
  produced_by: string[];
  /** each source's status; null = unknown (counts as BLOCKED) */
  source_status: Record<string, Status | null>;
  last_seen_at: string | null;
  last_bot_id: string | null;
  last_trace_id: string | null;
  sightings: number;
  /** the latest sighting came from simulated activity (shadow fills under `simulator`), not a vendor */
  last_seen_simulated: boolean;
}

export interface CatalogView {
  variables: VariableView[];
  /** names bots reported in feature_keys_used that the catalog does not define */
  uncatalogued: Array<Omit<SightingView, 'variable'> & { name: string }>;
}

export async function catalogView(pool: pg.Pool, statusByIntegration: Readonly<Record<string, Status>>): Promise<CatalogView> {
  const sightings = await listSightings(pool);
  const byName = new Map(sightings.map((s) => [s.variable, s]));
  const variables = CATALOG.map((v): VariableView => {
    const seen = byName.get(v.name);
    return {
      name: v.name,
      type: v.type,
      group: v.group,
      sources: [...v.sources],
      definition: v.definition,
      ...variableAvailability(v, statusByIntegration, seen?.sightings ?? 0),
      produced_by: producersOfVariable(v.name),
      source_status: Object.fromEntries(v.sources.map((n) => [n, statusByIntegration[n] ?? null])),
      last_seen_at: seen?.last_seen_at ?? null,
      last_bot_id: seen?.last_bot_id ?? null,
      last_trace_id: seen?.last_trace_id ?? null,
      sightings: seen?.sightings ?? 0,
      last_seen_simulated: seen?.last_simulated ?? false,
    };
  });
  const uncatalogued = sightings.filter((s) => !CATALOG_NAMES.has(s.variable)).map(({ variable, ...rest }) => ({ name: variable, ...rest }));
  return { variables, uncatalogued };
}
