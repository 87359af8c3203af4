/** Pure parts of the reference bot: features, vendor parsing, the risk check, the book, options. */
import { describe, expect, it } from 'vitest';
import { CATALOG_NAMES } from '../src/core/catalog.js';
import { computeFeatures, FEATURE_NAMES, normalizeBars, signalOf, type Bar } from '../src/runner/features.js';
import { databentoPrice, databentoStype, databentoTime } from '../src/core/vendors/databento.js';
import { Book, checkOrder, RISK_FEATURES } from '../src/runner/risk.js';
import { liveHostReason } from '../src/runner/brokers.js';
import { botIdForName, normalizeOptions } from '../src/runner/options.js';
import { UsageError } from '../src/core/errors.js';

const bar = (i: number, o: number, h: number, l: number, c: number, v: number): Bar => ({
  t: 1_700_000_000_000 + i * 60_000,
  open: o,
  high: h,
  low: l,
  close: c,
  volume: v,
});
const LIMITS = { max_contracts: 4, max_daily_loss: 1000, max_drawdown_pct: 10, max_position_per_symbol: 2 };

describe('features', () => {
  it('every feature name is a catalog variable', () => {
    for (const n of Object.values(FEATURE_NAMES)) expect(CATALOG_NAMES.has(n)).toBe(true);
    for (const n of RISK_FEATURES) expect(CATALOG_NAMES.has(n)).toBe(true);
  });

  it('computes OHLCV, VWAP, ATR, returns and volatility of the latest bar', () => {
    const bars = [bar(0, 10, 11, 9, 10, 100), bar(1, 10, 12, 10, 11, 200), bar(2, 11, 12, 10.5, 12, 100)];
    const f = computeFeatures(bars)!;
    expect(f.values).toMatchObject({ open: 11, high: 12, low: 10.5, close: 12, volume: 100 });
    const tp = [(11 + 9 + 10) / 3, (12 + 10 + 11) / 3, (12 + 10.5 + 12) / 3];
    expect(f.values.vwap).toBeCloseTo((tp[0] * 100 + tp[1] * 200 + tp[2] * 100) / 400, 10);
    // true ranges: max(2, |12-10|, |10-10|) = 2; max(1.5, |12-11|, |10.5-11|) = 1.5
    expect(f.values.atr).toBeCloseTo(1.75, 10);
    expect(f.values.returns).toBeCloseTo(12 / 11 - 1, 12);
    expect(f.values.log_returns).toBeCloseTo(Math.log(12 / 11), 12);
    const r = [11 / 10 - 1, 12 / 11 - 1];
    const mean = (r[0] + r[1]) / 2;
    expect(f.values.volatility).toBeCloseTo(Math.sqrt(((r[0] - mean) ** 2 + (r[1] - mean) ** 2) / 1), 12);
    expect(f.values.range_pct).toBeCloseTo(1.5 / 12, 12);
    expect(f.keys).toEqual(Object.values(FEATURE_NAMES));
  });

  it('one bar: only what one bar can give; no bars: nothing', () => {
    const f = computeFeatures([bar(0, 10, 11, 9, 10, 0)])!;
    expect(f.keys).not.toContain('md.atr');
    expect(f.keys).not.toContain('md.returns');
    expect(f.values.vwap).toBe(10); // no volume: mean close
    expect(computeFeatures([])).toBeNull();
  });

  it('VWAP restarts after a session gap; invalid and duplicate bars are dropped', () => {
    const bars = [bar(0, 100, 101, 99, 100, 1000), { ...bar(120, 10, 11, 9, 10, 100) }, bar(121, 10, 10, 10, 10, 100), { ...bar(122, 10, 9, 11, 10, 1) }];
    expect(normalizeBars(bars)).toHaveLength(3);
    expect(computeFeatures(bars)!.values.vwap).toBeCloseTo((10 * 100 + 10 * 100) / 200, 10);
  });

  it('signal: with VWAP and the last return, otherwise none', () => {
    const base = { open: 1, high: 1, low: 1, volume: 1, bar_time: '', range_pct: 0 };
    expect(signalOf({ ...base, close: 11, vwap: 10, returns: 0.01 })).toBe('buy');
    expect(signalOf({ ...base, close: 9, vwap: 10, returns: -0.01 })).toBe('sell');
    expect(signalOf({ ...base, close: 11, vwap: 10, returns: -0.01 })).toBeNull();
  });
});

describe('Databento parsing', () => {
  it('prices: pretty decimals, fixed-point 1e-9 integers, undefined sentinel', () => {
    expect(databentoPrice('5001.250000000')).toBe(5001.25);
    expect(databentoPrice('5001250000000')).toBe(5001.25);
    expect(databentoPrice('9223372036854775807')).toBeUndefined();
    expect(databentoPrice('x')).toBeUndefined();
  });
  it('times: ISO with nanoseconds or nanosecond strings', () => {
    expect(databentoTime('2024-01-02T14:30:00.000000000Z')).toBe(Date.parse('2024-01-02T14:30:00Z'));
    expect(databentoTime('1704205800000000000')).toBe(Date.parse('2024-01-02T14:30:00Z'));
    expect(databentoTime('soon')).toBeUndefined();
  });
  it('symbology from the symbol', () => {
    expect(databentoStype('ES.FUT')).toBe('parent');
    expect(databentoStype('ES.c.0')).toBe('continuous');
    expect(databentoStype('ESZ5')).toBe('raw_symbol');
  });
});

describe('risk check', () => {
  const intent = (side: 'buy' | 'sell' | null, qty: number) => ({ symbol: 'ESZ5', side, qty });
  it('not configured, invalid', () => {
    expect(checkOrder(undefined, intent('buy', 1), { position: 0, dailyLoss: 0 })).toMatchObject({ ok: false, code: 'RISK_LIMITS_NOT_CONFIGURED' });
    expect(checkOrder({}, intent('buy', 1), { position: 0, dailyLoss: 0 })).toMatchObject({ ok: false, code: 'RISK_LIMITS_NOT_CONFIGURED' });
    const bad = checkOrder({ max_contracts: -1 }, intent('buy', 1), { position: 0, dailyLoss: 0 });
    expect(bad).toMatchObject({ ok: false, code: 'RISK_LIMITS_INVALID' });
    expect((bad as { message: string }).message).toMatch(/max_contracts/);
  });
  it('order size, position caps, daily loss', () => {
    expect(checkOrder(LIMITS, intent('buy', 5), { position: 0, dailyLoss: 0 })).toMatchObject({ ok: false, code: 'RISK_LIMIT_MAX_CONTRACTS' });
    expect(checkOrder(LIMITS, intent('buy', 1), { position: 2, dailyLoss: 0 })).toMatchObject({ ok: false, code: 'RISK_LIMIT_MAX_POSITION' });
    expect(checkOrder(LIMITS, intent('sell', 1), { position: 2, dailyLoss: 0 })).toMatchObject({ ok: true, positionAfter: 1 });
    expect(checkOrder(LIMITS, intent('buy', 1), { position: 0, dailyLoss: 1000 })).toMatchObject({ ok: false, code: 'RISK_LIMIT_DAILY_LOSS' });
    expect(checkOrder(LIMITS, intent('sell', 1), { position: 1, dailyLoss: 1000 })).toMatchObject({ ok: true });
    expect(checkOrder(LIMITS, intent(null, 0), { position: 1, dailyLoss: 2000 })).toMatchObject({ ok: false, code: 'RISK_LIMIT_DAILY_LOSS' });
    expect(checkOrder(LIMITS, intent(null, 0), { position: 1, dailyLoss: 0 })).toMatchObject({ ok: true });
  });
  it('the book marks P&L to market', () => {
    const b = new Book();
    b.fill(2, 100);
    expect(b.loss(99, 50)).toBe(100);
    b.fill(-3, 98); // closes 2 at a loss of 4 points, opens 1 short at 98
    expect(b.position).toBe(-1);
    expect(b.loss(98, 1)).toBe(4);
    expect(b.loss(90, 1)).toBe(0); // the short gained 8 > realized 4
  });
});

describe('options and safety', () => {
  it('live is refused, bad flags are usage errors', () => {
    expect(() => normalizeOptions({ mode: 'live' })).toThrow(UsageError);
    expect(() => normalizeOptions({ mode: 'shadow', iterations: 'x' })).toThrow(/--iterations/);
    expect(() => normalizeOptions({ mode: 'shadow', intervalMs: '-1' })).toThrow(/--interval-ms/);
    expect(() => normalizeOptions({ mode: 'paper', qty: 0 })).toThrow(/--qty/);
    expect(() => normalizeOptions({ mode: 'paper', model: 'a b' })).toThrow(/--model/);
    expect(normalizeOptions({ mode: 'SHADOW' })).toMatchObject({
      mode: 'shadow',
      iterations: 3,
      intervalMs: 1000,
      qty: 1,
      bars: 120,
      model: 'gpt-4o-mini',
      botName: 'reference-bot',
      botId: botIdForName('reference-bot'),
    });
  });
  it('bot ids are stable UUIDs per name', () => {
    expect(botIdForName('a')).toBe(botIdForName('a'));
    expect(botIdForName('a')).not.toBe(botIdForName('b'));
    expect(botIdForName('a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it('paper never goes to a live broker host', () => {
    expect(liveHostReason('tradovate', 'https://demo.tradovateapi.com/v1', {})).toBeNull();
    expect(liveHostReason('tradovate', 'https://live.tradovateapi.com/v1', {})).toMatch(/live host/);
    expect(liveHostReason('ironbeam', 'https://demo.ironbeamapi.com/v2', { IRONBEAM_ENV: 'live' })).toMatch(/IRONBEAM_ENV=live/);
    expect(liveHostReason('ironbeam', 'http://127.0.0.1:9/v2', {})).toBeNull();
  });
});

describe('vendorRequest', () => {
  it('a call the operator stops (Ctrl-C) is CANCELLED, not the vendor timing out; a real deadline is still UPSTREAM_TIMEOUT', async () => {
    const { createServer } = await import('node:http');
    const { vendorRequest } = await import('../src/core/vendors/http.js');
    const srv = createServer(() => undefined); // never answers
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    const call = (signal?: AbortSignal, timeoutMs = 10_000) =>
      vendorRequest({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/v1/x`), what: 'test call', traceId: 'a'.repeat(32), timeoutMs, signal });
    try {
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 50);
      await expect(call(stop.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
      await expect(call(undefined, 100)).rejects.toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });
});
