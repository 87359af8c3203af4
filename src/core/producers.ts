/**
 * Who computes each catalog variable in this codebase (the catalog's "registered producers").
 * A variable nobody produces is never shown as available, whatever its sources' health
 * (catalog.ts): availability needs a healthy source *and* a producer — one registered here, or a
 * bot that reported it (a sighting in usage events' feature_keys_used).
 *
 * The reference bot's list is checked against the names the runner itself emits
 * (src/runner/metrics-vars.ts REFERENCE_BOT_VARIABLES; tests/catalog.test.ts), so the two
 * cannot drift apart.
 */

/** The reference paper/shadow bot (src/runner). */
export const REFERENCE_BOT = 'reference_bot';

const REFERENCE_BOT_VARIABLES: readonly string[] = [
  // computed from the bars of every marketdata.bars call (runner/features.ts)
  'md.open',
  'md.high',
  'md.low',
  'md.close',
  'md.volume',
  'md.bar_time',
  'md.vwap',
  'md.atr',
  'md.returns',
  'md.log_returns',
  'md.volatility',
  'md.range_pct',
  // the pre-trade risk check (runner/risk.ts)
  'risk.max_contracts',
  'risk.daily_loss',
  'risk.daily_loss_limit',
  'risk.violation_flag',
  'risk.violation_code',
  // the book and fills (runner/bot.ts, runner/metrics-vars.ts)
  'exec.position_qty',
  'exec.position_state',
  'exec.fill_provenance',
  'exec.fill_latency_ms',
  'exec.slippage_estimate',
  'exec.exposure',
  'exec.unrealized_pnl',
  'risk.drawdown',
  // one chat completion per iteration when OpenAI is configured (runner/llm.ts)
  'ai.regime_classification',
];

/** producer name → the catalog variables it computes. */
export const VARIABLE_PRODUCERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  [REFERENCE_BOT]: Object.freeze([...REFERENCE_BOT_VARIABLES]),
});

/** The registered producers of `variable` (empty: nothing in this codebase computes it). */
export function producersOfVariable(variable: string): string[] {
  return Object.entries(VARIABLE_PRODUCERS)
    .filter(([, vars]) => vars.includes(variable))
    .map(([p]) => p);
}
