/**
 * The pre-trade risk check of the reference bot: the intended order against the platform's
 * configured `risk_limits` (validated by the same schema the risk_engine probe uses). A real
 * check with real inputs — the order, the bot's position and its loss since the run started —
 * whose verdict is recorded as a `risk.check` usage event (OK, or BLOCKED with the code).
 *
 * Codes: RISK_LIMITS_NOT_CONFIGURED, RISK_LIMITS_INVALID, RISK_LIMIT_MAX_CONTRACTS,
 * RISK_LIMIT_MAX_POSITION, RISK_LIMIT_DAILY_LOSS. `max_drawdown_pct` needs account equity,
 * which the reference bot does not have: it is validated, not applied.
 */
import { checkRiskLimits, type RiskLimits } from '../core/vendors/risk_engine.js';
import type { Side } from './features.js';

export interface Intent {
  symbol: string;
  /** null: no order (hold); the position is still checked */
  side: Side | null;
  qty: number;
}

export interface RiskState {
  /** signed open position in contracts */
  position: number;
  /** loss since the run started, in account currency (≥ 0; gains count as 0) */
  dailyLoss: number;
}

export type RiskDecision =
  { ok: true; limits: RiskLimits; checks: string[]; positionAfter: number } | { ok: false; code: string; message: string; checks: string[] };

/** Catalog variables a risk check reads or produces (names only). */
export const RISK_FEATURES = ['risk.max_contracts', 'risk.daily_loss', 'risk.daily_loss_limit', 'risk.violation_flag', 'exec.position_qty'] as const;

export function signedQty(side: Side | null, qty: number): number {
  return side === 'buy' ? qty : side === 'sell' ? -qty : 0;
}

/** Multiplier from price points to account currency (`risk_limits.point_value`, default 1). */
export function pointValueOf(limits: Record<string, unknown> | undefined): number {
  const v = limits?.point_value;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 1;
}

export function checkOrder(rawLimits: Record<string, unknown> | undefined, intent: Intent, state: RiskState): RiskDecision {
  const checked = checkRiskLimits(rawLimits);
  if (!checked.ok) {
    const notConfigured = rawLimits === undefined || rawLimits === null || Object.keys(rawLimits).length === 0;
    return notConfigured
      ? {
          ok: false,
          code: 'RISK_LIMITS_NOT_CONFIGURED',
          message: 'risk limits not configured (risk_limits in the config file): no order may be sized',
          checks: [],
        }
      : { ok: false, code: 'RISK_LIMITS_INVALID', message: checked.message, checks: [] };
  }
  const l = checked.limits;
  const delta = signedQty(intent.side, intent.qty);
  const after = state.position + delta;
  const increases = Math.abs(after) > Math.abs(state.position);
  const checks = ['max_contracts', 'max_position_per_symbol', 'max_daily_loss'];
  if (intent.side && intent.qty > l.max_contracts)
    return { ok: false, code: 'RISK_LIMIT_MAX_CONTRACTS', message: `order size exceeds max_contracts for ${intent.symbol}`, checks };
  if (Math.abs(after) > l.max_contracts && increases)
    return { ok: false, code: 'RISK_LIMIT_MAX_CONTRACTS', message: `resulting position would exceed max_contracts for ${intent.symbol}`, checks };
  if (Math.abs(after) > l.max_position_per_symbol && increases)
    return { ok: false, code: 'RISK_LIMIT_MAX_POSITION', message: `resulting position would exceed max_position_per_symbol for ${intent.symbol}`, checks };
  // past the daily loss limit only exposure-reducing orders pass; a held position is checked too
  if (state.dailyLoss >= l.max_daily_loss && (increases || !intent.side))
    return { ok: false, code: 'RISK_LIMIT_DAILY_LOSS', message: 'loss since the session start reached max_daily_loss', checks };
  return { ok: true, limits: l, checks, positionAfter: after };
}

/** The bot's book: position, average price and P&L in price points, marked to the last close. */
export class Book {
  position = 0;
  private avg = 0;
  private realized = 0;

  /** Applies a fill (signed qty at price). */
  fill(signed: number, price: number): void {
    if (signed === 0) return;
    const pos = this.position;
    if (pos === 0 || Math.sign(pos) === Math.sign(signed)) {
      this.avg = (this.avg * Math.abs(pos) + price * Math.abs(signed)) / (Math.abs(pos) + Math.abs(signed));
      this.position = pos + signed;
      return;
    }
    const closing = Math.min(Math.abs(pos), Math.abs(signed));
    this.realized += closing * (price - this.avg) * Math.sign(pos);
    const after = pos + signed;
    if (after === 0) this.avg = 0;
    else if (Math.sign(after) !== Math.sign(pos)) this.avg = price;
    this.position = after;
  }

  /** Loss (≥ 0) in account currency at `mark`. */
  loss(mark: number, pointValue: number): number {
    const { realized, unrealized } = this.pnl(mark, pointValue);
    return Math.max(0, -(realized + unrealized));
  }

  /** Realized and unrealized P&L in account currency, the open position marked at `mark`. */
  pnl(mark: number, pointValue: number): { realized: number; unrealized: number } {
    const unrealized = this.position === 0 ? 0 : (mark - this.avg) * this.position;
    return { realized: this.realized * pointValue, unrealized: unrealized * pointValue };
  }
}
