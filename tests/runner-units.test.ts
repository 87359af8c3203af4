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

describe('runner clients tell the truth (issue 9, vendor side)', async () => {
  const { databento, MAX_RECORDS } = await import('../src/core/vendors/databento.js');
  const { polygon } = await import('../src/core/vendors/polygon.js');
  const { openai } = await import('../src/core/vendors/openai.js');
  const { ironbeam, ironbeamSymbol, IRONBEAM_ORDER_WAIT_MS, IRONBEAM_PLACE_TIMEOUT_MS } = await import('../src/core/vendors/ironbeam.js');
  const { tradovate } = await import('../src/core/vendors/tradovate.js');
  const { runnerHolds, VendorError } = await import('../src/core/vendors/http.js');
  const data = await import('./standins/trading-data.js');
  const standins = await import('./standins/vendors.js');
  const { canaryEnv } = await import('./standins/fixtures.js');
  const env = canaryEnv();
  const call = { traceId: 'b'.repeat(32), timeoutMs: 3_000 };
  const closers: Array<() => Promise<void>> = [];
  const up = async <T extends { start(): Promise<unknown>; close(): Promise<void> }>(s: T): Promise<T> => {
    await s.start();
    closers.push(() => s.close());
    return s;
  };
  const { afterAll, beforeEach } = await import('vitest');
  afterAll(async () => {
    for (const c of closers) await c();
  });
  beforeEach(() => runnerHolds.clear());

  it("item 11: Databento bars end at the ohlcv-1m schema's own available end, with a record cap", async () => {
    const schemaEnd = Date.now() - 2 * 3_600_000; // the dataset's other schemas run to now
    const s = await up(data.databentoData(env.DATABENTO_API_KEY, { availableEnd: schemaEnd }));
    const r = await databento.client!.marketdata!.bars(s.baseUrl, env, { ...call, symbol: 'ES.c.0', bars: 30 });
    expect(r.bars.length).toBeGreaterThanOrEqual(30);
    for (const p of s.ranges) {
      expect(Date.parse(p.get('end')!)).toBeLessThanOrEqual(schemaEnd);
      expect(Number(p.get('limit'))).toBe(MAX_RECORDS);
    }
    expect(MAX_RECORDS * 512).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('item 12: a Polygon 200 without status/results is UPSTREAM_BAD_RESPONSE, not 0 bars', async () => {
    const s = await up(data.polygonData(env.POLYGON_API_KEY));
    s.set({ kind: 'wrong_shape' });
    await expect(polygon.client!.marketdata!.bars(s.baseUrl, env, { ...call, symbol: 'SPY', bars: 10 })).rejects.toMatchObject({
      code: 'UPSTREAM_BAD_RESPONSE',
    });
    s.set({ kind: 'normal' });
    expect((await polygon.client!.marketdata!.bars(s.baseUrl, env, { ...call, symbol: 'SPY', bars: 10 })).bars).toHaveLength(10);
  });

  it('item 5: a Polygon 403 NOT_AUTHORIZED in the runner is ENTITLEMENT_DENIED', async () => {
    const s = await up(data.polygonData(env.POLYGON_API_KEY));
    s.set({ kind: 'vendor', name: 'not_authorized' });
    await expect(polygon.client!.marketdata!.bars(s.baseUrl, env, { ...call, symbol: 'SPY', bars: 10 })).rejects.toMatchObject({ code: 'ENTITLEMENT_DENIED' });
  });

  it('items 6 and 7: OpenAI insufficient_quota → QUOTA_EXHAUSTED; a 429 with retry-after holds the host: the next call is not sent', async () => {
    const s = await up(data.openaiData(env.OPENAI_API_KEY));
    const req = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'x' }], maxCompletionTokens: 4 };
    s.set({ kind: 'vendor', name: 'insufficient_quota' });
    await expect(openai.client!.chat!.chat(s.baseUrl, env, req, call)).rejects.toMatchObject({ code: 'QUOTA_EXHAUSTED', status: 429 });
    runnerHolds.clear();
    s.set({ kind: 'vendor', name: 'rate_limit' });
    await expect(openai.client!.chat!.chat(s.baseUrl, env, req, call)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 20_000 });
    s.set({ kind: 'normal' });
    const n = s.requests.length;
    const err = await openai.client!.chat!.chat(s.baseUrl, env, req, call).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    expect((err as Error).message).toMatch(/not sent: .*wait until/);
    expect(s.requests.length).toBe(n);
  });

  it('item 10: Ironbeam symbols in the exchange form', () => {
    const dec2025 = Date.UTC(2025, 9, 1);
    expect(ironbeamSymbol('ESZ5', dec2025)).toBe('XCME:ES.Z25');
    expect(ironbeamSymbol('ESZ25', dec2025)).toBe('XCME:ES.Z25');
    expect(ironbeamSymbol('GCQ6', dec2025)).toBe('XCEC:GC.Q26');
    expect(ironbeamSymbol('ZNH6', dec2025)).toBe('XCBT:ZN.H26');
    expect(ironbeamSymbol('XCME:NQ.H26', dec2025)).toBe('XCME:NQ.H26');
    expect(ironbeamSymbol('ES.c.0', dec2025)).toBeNull();
    expect(ironbeamSymbol('SPY', dec2025)).toBeNull();
  });

  it('Tradovate contract names: root, month code, one-digit year; an equity or a continuous symbol is none', async () => {
    const { tradovateSymbol } = await import('../src/core/vendors/tradovate.js');
    expect(tradovateSymbol('ESZ5')).toBe('ESZ5');
    expect(tradovateSymbol('esz25')).toBe('ESZ5');
    expect(tradovateSymbol('XCME:ES.Z25')).toBe('ESZ5');
    expect(tradovateSymbol('MNQH6')).toBe('MNQH6');
    expect(tradovateSymbol('6EH6')).toBe('6EH6');
    expect(tradovateSymbol('SPY')).toBeNull();
    expect(tradovateSymbol('ES.c.0')).toBeNull();
    expect(tradovateSymbol('ES.FUT')).toBeNull();
    expect(tradovateSymbol('Z5')).toBeNull();
  });

  describe('item 10: Ironbeam orders', () => {
    const ib = { IRONBEAM_USERNAME: env.IRONBEAM_USERNAME, IRONBEAM_API_KEY: env.IRONBEAM_API_KEY };
    const creds = { username: env.IRONBEAM_USERNAME, apiKey: env.IRONBEAM_API_KEY };

    it('username + API key is enough; the order goes out as XCME:ES.Z25 and fills match', async () => {
      const s = await up(data.ironbeamPaper(creds));
      const b = ironbeam.client!.broker!.open(s.baseUrl, ib);
      const { orderId } = await b.placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call);
      expect(s.orders[0].body.exchSym).toMatch(/^XCME:ES\.Z\d\d$/);
      expect(await b.fills(orderId, call)).toEqual([{ qty: 1, price: 5001.25 }]);
      expect(JSON.parse(s.requests.find((r) => r.path === '/v2/auth')!.body)).toEqual({ username: env.IRONBEAM_USERNAME, apikey: env.IRONBEAM_API_KEY });
    });

    it('a symbol that has no exchange form is refused before anything is sent', async () => {
      const s = await up(data.ironbeamPaper(creds));
      const b = ironbeam.client!.broker!.open(s.baseUrl, ib);
      await expect(b.placeOrder({ symbol: 'ES.c.0', side: 'buy', qty: 1 }, call)).rejects.toMatchObject({ code: 'SYMBOL_UNSUPPORTED' });
      expect(s.orders).toHaveLength(0);
    });

    it('an order id that did not arrive within the wait is recovered from the strategy id', async () => {
      const s = await up(data.ironbeamPaper(creds, { lateOrderId: 2 }));
      const b = ironbeam.client!.broker!.open(s.baseUrl, ib);
      const { orderId } = await b.placeOrder({ symbol: 'ESZ5', side: 'sell', qty: 1 }, call);
      expect(orderId).toBe(s.orders[0].id);
    });

    it('an id still pending is never a failure: the strategy names the order and its fills are found', async () => {
      const s = await up(data.ironbeamPaper(creds, { lateOrderId: 99 }));
      const b = ironbeam.client!.broker!.open(s.baseUrl, ib);
      const { orderId } = await b.placeOrder({ symbol: 'ESZ5', side: 'sell', qty: 2 }, call);
      expect(orderId).toMatch(/^strategy:\d+$/);
      expect(await b.fills(orderId, call)).toEqual([{ qty: 2, price: 5001.25 }]);
    });

    it("the place call waits longer than the broker's own wait for the order id", async () => {
      expect(IRONBEAM_PLACE_TIMEOUT_MS).toBeGreaterThan(IRONBEAM_ORDER_WAIT_MS);
      const s = await up(data.ironbeamPaper(creds, { placeDelayMs: 400 }));
      const b = ironbeam.client!.broker!.open(s.baseUrl, ib);
      await b.placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call); // logged in, account known
      // the bot's per-call timeout is shorter than the broker's reply: the order is still recorded
      const { orderId } = await b.placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, { ...call, timeoutMs: 150 });
      expect(orderId).toBe(s.orders[1].id);
    });
  });

  describe('Ironbeam cancel (the kill switch): DELETE /order/{accountId}/cancel/{orderId}, OpenAPI 2.1', () => {
    const ib = { IRONBEAM_USERNAME: env.IRONBEAM_USERNAME, IRONBEAM_API_KEY: env.IRONBEAM_API_KEY };
    const creds = { username: env.IRONBEAM_USERNAME, apiKey: env.IRONBEAM_API_KEY };
    const deletes = (s: { requests: Array<{ method: string; path: string; body: string }> }) => s.requests.filter((r) => r.method === 'DELETE');

    it('a working order: one DELETE without a body; the reply names it CANCELLED', async () => {
      const s = await up(data.ironbeamPaper(creds, { fill: false }));
      const b = ironbeam.client!.broker!.open(s.baseUrl, ib);
      const { orderId } = await b.placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call);
      await expect(b.cancelOrder!(orderId, call)).resolves.toBeUndefined();
      expect(s.cancelled).toEqual([orderId]);
      expect(deletes(s).map((r) => [r.path, r.body])).toEqual([[`/v2/order/5123345/cancel/${orderId}`, '']]);
    });

    it('a refusal is CANCEL_REJECTED, never success: the order filled, or the broker says CANCEL_REJECTED', async () => {
      const filled = await up(data.ironbeamPaper(creds));
      const b = ironbeam.client!.broker!.open(filled.baseUrl, ib);
      const { orderId } = await b.placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call);
      await expect(b.cancelOrder!(orderId, call)).rejects.toMatchObject({
        code: 'CANCEL_REJECTED',
        message: expect.stringMatching(/order CANCEL_REJECTED, error 2/),
      });
      expect(filled.cancelled).toEqual([]);
      expect(deletes(filled)).toHaveLength(1);
      // the documented 400 (an order the broker does not know)
      await expect(b.cancelOrder!('ORD999', call)).rejects.toMatchObject({ code: 'CANCEL_REJECTED', status: 400 });
    });

    it('an OK reply that does not name the order is CANCEL_UNCONFIRMED; an order known only by its strategy is not guessed at', async () => {
      const s = await up(data.ironbeamPaper(creds, { fill: false, cancelUnconfirmed: true }));
      const b = ironbeam.client!.broker!.open(s.baseUrl, ib);
      const { orderId } = await b.placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call);
      await expect(b.cancelOrder!(orderId, call)).rejects.toMatchObject({ code: 'CANCEL_UNCONFIRMED' });
      const late = await up(data.ironbeamPaper(creds, { fill: false, lateOrderId: 99 }));
      const lb = ironbeam.client!.broker!.open(late.baseUrl, ib);
      const pending = await lb.placeOrder({ symbol: 'ESZ5', side: 'sell', qty: 1 }, call);
      expect(pending.orderId).toMatch(/^strategy:\d+$/);
      await expect(lb.cancelOrder!(pending.orderId, call)).rejects.toMatchObject({ code: 'ORDER_STATE_UNKNOWN' });
      expect(deletes(late)).toHaveLength(0);
    });

    it('an order whose id arrived late is cancelled by that id', async () => {
      const s = await up(data.ironbeamPaper(creds, { fill: false, lateOrderId: 4 }));
      const b = ironbeam.client!.broker!.open(s.baseUrl, ib);
      const { orderId } = await b.placeOrder({ symbol: 'ESZ5', side: 'sell', qty: 1 }, call);
      expect(orderId).toMatch(/^strategy:\d+$/);
      await b.cancelOrder!(orderId, call);
      expect(s.cancelled).toEqual([s.orders[0].id]);
    });
  });

  describe('item 9: Tradovate in the runner', () => {
    const tv = () => ({ name: env.TRADOVATE_USERNAME, password: env.TRADOVATE_PASSWORD, cid: env.TRADOVATE_CID, sec: env.TRADOVATE_SECRET });

    it('a 401 on a fresh token is AUTH_REJECTED, with no second login', async () => {
      const s = await up(data.tradovatePaper(tv()));
      s.set({ kind: 'status', status: 401, scope: 'probe' });
      const b = tradovate.client!.broker!.open(s.baseUrl, env);
      await expect(b.placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call)).rejects.toMatchObject({ code: 'AUTH_REJECTED' });
      expect(s.logins).toBe(1);
    });

    it('a 429 lockout stops every further call to the host (VENDOR_PENALTY, ≥ 1 h)', async () => {
      const s = await up(data.tradovatePaper(tv()));
      s.set({ kind: 'vendor', name: 'lockout_429', scope: 'login' });
      const b = tradovate.client!.broker!.open(s.baseUrl, env);
      const err = (await b.placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call).catch((e: unknown) => e)) as InstanceType<typeof VendorError>;
      expect(err).toMatchObject({ code: 'VENDOR_PENALTY' });
      expect(err.retryAfterMs).toBeGreaterThanOrEqual(3_600_000);
      s.set({ kind: 'normal' });
      const n = s.requests.length;
      await expect(tradovate.client!.broker!.open(s.baseUrl, env).placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call)).rejects.toMatchObject({
        code: 'VENDOR_PENALTY',
      });
      expect(s.requests.length).toBe(n);
    });

    it('a login penalty ticket: waits p-time, resends with the ticket, sends the same deviceId', async () => {
      const s = await up(standins.tradovate(tv(), { penalty: { pTime: 1 } }));
      const t0 = Date.now();
      // the probe stand-in has no order routes: the login itself is what is checked
      await tradovate
        .client!.broker!.open(s.baseUrl, env)
        .placeOrder({ symbol: 'ESZ5', side: 'buy', qty: 1 }, call)
        .catch(() => undefined);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
      expect(s.ticketsResent).toBe(1);
      expect(s.deviceIds[0]).toBe(s.deviceIds[1]);
    });
  });
});
