/**
 * Features the reference bot computes from real 1-minute bars. Values live in memory only:
 * they are never stored, logged or printed. What leaves this module for the usage event is
 * the list of catalog names (`md.*`) that were actually computed from the bars at hand.
 */

import type { OhlcvBar } from '../core/vendors/module.js';

/** One OHLCV bar, time = bar start (ms since epoch, UTC): the vendor clients' shape. */
export type Bar = OhlcvBar;

export interface Features {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  bar_time: string;
  vwap: number;
  range_pct: number;
  /** the rest need at least two bars */
  atr?: number;
  returns?: number;
  log_returns?: number;
  volatility?: number;
}

/** feature → catalog variable name (src/core/catalog.ts). */
export const FEATURE_NAMES: Readonly<Record<keyof Features, string>> = {
  open: 'md.open',
  high: 'md.high',
  low: 'md.low',
  close: 'md.close',
  volume: 'md.volume',
  bar_time: 'md.bar_time',
  vwap: 'md.vwap',
  range_pct: 'md.range_pct',
  atr: 'md.atr',
  returns: 'md.returns',
  log_returns: 'md.log_returns',
  volatility: 'md.volatility',
};

export const ATR_PERIOD = 14;
export const VOLATILITY_LOOKBACK = 30;
/** a gap this long between bars starts a new session (VWAP resets) */
export const SESSION_GAP_MS = 60 * 60_000;

export function isValidBar(b: Bar): boolean {
  return [b.t, b.open, b.high, b.low, b.close, b.volume].every((x) => Number.isFinite(x)) && b.high >= b.low && b.close > 0 && b.open > 0 && b.volume >= 0;
}

/** Sorted ascending by time, one bar per timestamp (the last wins), invalid bars dropped. */
export function normalizeBars(bars: Bar[]): Bar[] {
  const byT = new Map<number, Bar>();
  for (const b of bars) if (isValidBar(b)) byT.set(b.t, b);
  return [...byT.values()].sort((a, b) => a.t - b.t);
}

/**
 * Features of the latest bar. Null when there is no bar. With one bar only the bar's own
 * values (OHLCV, VWAP, range) exist; returns, ATR and volatility need a previous close.
 */
export function computeFeatures(input: Bar[]): { values: Features; keys: string[] } | null {
  const bars = normalizeBars(input);
  const n = bars.length;
  if (n === 0) return null;
  const last = bars[n - 1];

  // VWAP since the session open: the latest run of bars without a session-sized gap
  let start = n - 1;
  while (start > 0 && bars[start].t - bars[start - 1].t < SESSION_GAP_MS) start--;
  let pv = 0;
  let vol = 0;
  for (let i = start; i < n; i++) {
    const typical = (bars[i].high + bars[i].low + bars[i].close) / 3;
    pv += typical * bars[i].volume;
    vol += bars[i].volume;
  }
  const vwap = vol > 0 ? pv / vol : bars.slice(start).reduce((s, b) => s + b.close, 0) / (n - start);

  const values: Features = {
    open: last.open,
    high: last.high,
    low: last.low,
    close: last.close,
    volume: last.volume,
    bar_time: new Date(last.t).toISOString(),
    vwap,
    range_pct: (last.high - last.low) / last.close,
  };

  if (n >= 2) {
    const prev = bars[n - 2];
    values.returns = last.close / prev.close - 1;
    values.log_returns = Math.log(last.close / prev.close);
    const trs: number[] = [];
    for (let i = Math.max(1, n - ATR_PERIOD); i < n; i++) {
      const pc = bars[i - 1].close;
      trs.push(Math.max(bars[i].high - bars[i].low, Math.abs(bars[i].high - pc), Math.abs(bars[i].low - pc)));
    }
    values.atr = trs.reduce((s, x) => s + x, 0) / trs.length;
    const rets: number[] = [];
    for (let i = Math.max(1, n - VOLATILITY_LOOKBACK); i < n; i++) rets.push(bars[i].close / bars[i - 1].close - 1);
    const mean = rets.reduce((s, x) => s + x, 0) / rets.length;
    values.volatility = rets.length > 1 ? Math.sqrt(rets.reduce((s, x) => s + (x - mean) ** 2, 0) / (rets.length - 1)) : 0;
  }

  const keys = (Object.keys(FEATURE_NAMES) as Array<keyof Features>).filter((k) => values[k] !== undefined).map((k) => FEATURE_NAMES[k]);
  return { values, keys };
}

export type Side = 'buy' | 'sell';

/**
 * The reference strategy, deliberately simple (an inventory of the plumbing, not a promise of
 * profit): long when the close is at/above VWAP and the last return is non-negative, short
 * when below VWAP and the last return is non-positive, otherwise no view (keep the position).
 */
export function signalOf(f: Features): Side | null {
  const r = f.returns ?? 0;
  if (f.close >= f.vwap && r >= 0) return 'buy';
  if (f.close < f.vwap && r <= 0) return 'sell';
  return null;
}
