/**
 * Execution and risk variables the reference bot computes from its own book and the fills it
 * sees: fill latency, slippage estimate, exposure, unrealized P&L and drawdown. Values stay in
 * memory (like features.ts): what leaves this module for a usage event is the list of catalog
 * names actually computed, so a sighting means "this run computed it", never a placeholder.
 *
 * Measured only where there is something to measure: a simulated fill (shadow) has no broker
 * latency and no slippage (it is priced at the intended price by construction), so neither
 * name is reported for it; a broker fill without a price has no slippage.
 */
import { FEATURE_NAMES } from './features.js';
import { RISK_FEATURES, signedQty, type Book } from './risk.js';
import type { Side } from './features.js';

export const METRIC_NAMES = {
  fillLatency: 'exec.fill_latency_ms',
  slippage: 'exec.slippage_estimate',
  exposure: 'exec.exposure',
  unrealizedPnl: 'exec.unrealized_pnl',
  drawdown: 'risk.drawdown',
} as const;

/** What every fill event names (the book after the fill). */
export const FILL_FEATURES = ['exec.fill_provenance', 'exec.position_qty', 'exec.position_state'] as const;

/** Every catalog name the reference bot can report (core/producers.ts registers the same list). */
export const REFERENCE_BOT_VARIABLES: readonly string[] = Object.freeze([
  ...Object.values(FEATURE_NAMES),
  ...RISK_FEATURES,
  'risk.violation_code',
  ...FILL_FEATURES,
  ...Object.values(METRIC_NAMES),
  'ai.regime_classification',
]);

export interface MetricValues {
  fill_latency_ms?: number;
  slippage_estimate?: number;
  exposure?: number;
  unrealized_pnl?: number;
  drawdown?: number;
}

export interface FillFacts {
  side: Side;
  qty: number;
  /** the price the order was decided at (the last close) */
  intendedPrice: number;
  /** the broker's fill price; null when it reported none; undefined for a simulated fill */
  fillPrice?: number | null;
  /** ms from submission to the fill report, as measured by the bot; undefined for a simulated fill */
  latencyMs?: number;
}

/** One run's execution metrics: the latest values (in memory) and the P&L peak for drawdown. */
export class RunMetrics {
  readonly values: MetricValues = {};
  private peak = 0;

  constructor(private readonly pointValue: number) {}

  /** Marks the book at `mark`: exposure, unrealized P&L, drawdown. Returns the names computed. */
  mark(book: Book, mark: number): string[] {
    if (!Number.isFinite(mark) || mark <= 0) return [];
    const { realized, unrealized } = book.pnl(mark, this.pointValue);
    const total = realized + unrealized;
    this.peak = Math.max(this.peak, total);
    this.values.exposure = Math.abs(book.position) * mark * this.pointValue;
    this.values.unrealized_pnl = unrealized;
    this.values.drawdown = this.peak - total;
    return [METRIC_NAMES.exposure, METRIC_NAMES.unrealizedPnl, METRIC_NAMES.drawdown];
  }

  /** A fill already applied to `book`: the fill's own measures, then the book marked at the intended price. */
  fill(book: Book, f: FillFacts): string[] {
    const names: string[] = [...FILL_FEATURES];
    if (f.latencyMs !== undefined && Number.isFinite(f.latencyMs)) {
      this.values.fill_latency_ms = Math.max(0, Math.round(f.latencyMs));
      names.push(METRIC_NAMES.fillLatency);
    }
    if (typeof f.fillPrice === 'number' && Number.isFinite(f.fillPrice)) {
      // positive = worse than intended: paid more on a buy, received less on a sell
      this.values.slippage_estimate = (f.fillPrice - f.intendedPrice) * Math.sign(signedQty(f.side, f.qty));
      names.push(METRIC_NAMES.slippage);
    }
    return [...names, ...this.mark(book, f.intendedPrice)];
  }
}
