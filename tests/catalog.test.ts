/** Variable catalog (Panel C): canonical list, availability from sources, last seen from real events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { availabilityOf, CATALOG, catalogView, VARIABLE_GROUPS } from '../src/core/catalog.js';
import { REFERENCE_BOT, VARIABLE_PRODUCERS } from '../src/core/producers.js';
import { REFERENCE_BOT_VARIABLES, RunMetrics } from '../src/runner/metrics-vars.js';
import { Book } from '../src/runner/risk.js';
import { VARIABLE_NAME_RE } from '../src/core/events-schema.js';
import { BUILTIN_NAMES } from '../src/core/vendors/registry.js';
import { createUsageRecorder } from '../src/sdk/index.js';
import { createLogger } from '../src/core/log.js';

let db: TestDb;
const dirs: string[] = [];
const tmpDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'obs-cat-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeAll(async () => {
  db = await freshDatabase();
});

describe('catalog', () => {
  it('lists every variable the brief names, each well-formed', () => {
    const names = new Set(CATALOG.map((v) => v.name));
    const brief = [
      // Market data: OHLCV bars, VWAP, ATR, returns, volatility, session markers
      'md.open',
      'md.high',
      'md.low',
      'md.close',
      'md.volume',
      'md.vwap',
      'md.atr',
      'md.returns',
      'md.volatility',
      'md.session_open',
      'md.session_phase',
      // Order/execution: fill latency, slippage estimates, position state, exposure
      'exec.fill_latency_ms',
      'exec.slippage_estimate',
      'exec.position_state',
      'exec.exposure',
      // Risk: max contracts, drawdown, violation flags
      'risk.max_contracts',
      'risk.drawdown',
      'risk.violation_flag',
      // AI: sentiment tags, regime classification outputs, strategy commentary
      'ai.sentiment_tag',
      'ai.regime_classification',
      'ai.strategy_commentary',
    ];
    for (const n of brief) expect(names, n).toContain(n);
    expect(names.size).toBe(CATALOG.length);
    for (const v of CATALOG) {
      expect(v.name).toMatch(VARIABLE_NAME_RE);
      expect(['number', 'bool', 'string']).toContain(v.type);
      expect(VARIABLE_GROUPS).toContain(v.group);
      expect(v.sources.length).toBeGreaterThan(0);
      for (const s of v.sources) expect(BUILTIN_NAMES as readonly string[]).toContain(s);
      expect(v.definition.length).toBeGreaterThan(10);
      expect(v.definition).not.toMatch(/\n/);
    }
    for (const g of VARIABLE_GROUPS) expect(CATALOG.some((v) => v.group === g)).toBe(true);
  });

  it('availability: OK if any source OK, else DEGRADED if any DEGRADED, else BLOCKED (unknown = BLOCKED)', () => {
    expect(availabilityOf(['databento', 'polygon'], { databento: 'BLOCKED', polygon: 'OK' })).toBe('OK');
    expect(availabilityOf(['databento', 'polygon'], { databento: 'DEGRADED', polygon: 'BLOCKED' })).toBe('DEGRADED');
    expect(availabilityOf(['databento', 'polygon'], { databento: 'BLOCKED' })).toBe('BLOCKED');
    expect(availabilityOf(['openai'], {})).toBe('BLOCKED');
  });

  it('catalogView: availability per variable and last seen from feature_keys_used, never values', async () => {
    const empty = await catalogView(db.pool, {});
    expect(empty.variables.every((v) => v.availability === 'BLOCKED' && v.last_seen_at === null && v.sightings === 0)).toBe(true);

    const botA = randomUUID();
    const botB = randomUUID();
    const mk = (bot: string) =>
      createUsageRecorder({ pool: db.pool, botId: bot, spoolPath: join(tmpDir(), 'usage-1-1.jsonl'), log: createLogger('silent'), exitHooks: false });
    const a = mk(botA);
    a.record({
      integration: 'databento',
      operation: 'marketdata.bars',
      status: 'OK',
      created_at: new Date(Date.now() - 60_000).toISOString(),
      metadata: { feature_keys_used: ['md.vwap', 'md.atr'] },
    });
    await a.close();
    const b = mk(botB);
    const later = b.record({
      integration: 'databento',
      operation: 'marketdata.bars',
      status: 'OK',
      metadata: { feature_keys_used: ['md.vwap', 'custom.my_signal'] },
    });
    // an older sighting arriving later (e.g. replayed from a spool) must not move last_seen back
    b.record({
      integration: 'polygon',
      operation: 'marketdata.bars',
      status: 'OK',
      created_at: new Date(Date.now() - 3_600_000).toISOString(),
      metadata: { feature_keys_used: ['md.vwap'] },
    });
    await b.close();

    const view = await catalogView(db.pool, { databento: 'BLOCKED', polygon: 'DEGRADED', ironbeam: 'OK', risk_engine: 'OK' });
    const v = Object.fromEntries(view.variables.map((x) => [x.name, x]));
    expect(v['md.vwap']).toMatchObject({
      type: 'number',
      group: 'market_data',
      sources: ['databento', 'polygon'],
      availability: 'DEGRADED',
      source_status: { databento: 'BLOCKED', polygon: 'DEGRADED' },
      last_bot_id: botB,
      last_trace_id: later.trace_id,
      last_seen_at: later.created_at.toISOString(),
      sightings: 3,
    });
    expect(v['md.atr']).toMatchObject({ last_bot_id: botA, sightings: 1 });
    expect(v['md.vwap'].availability_reason).toBe('SOURCE_DEGRADED');
    expect(v['exec.exposure']).toMatchObject({
      availability: 'OK',
      availability_reason: null,
      produced_by: [REFERENCE_BOT],
      source_status: { ironbeam: 'OK', tradovate: null },
      last_seen_at: null,
    });
    expect(v['ai.sentiment_tag']).toMatchObject({ availability: 'BLOCKED', availability_reason: 'NO_PRODUCER', produced_by: [] });
    expect(v['risk.drawdown'].availability).toBe('OK');
    expect(view.uncatalogued).toEqual([expect.objectContaining({ name: 'custom.my_signal', last_bot_id: botB, sightings: 1 })]);
    for (const x of view.variables) expect(Object.keys(x)).not.toContain('value');
  });

  it('shows no availability it cannot back: every source OK, a variable nothing produces is BLOCKED NO_PRODUCER until a bot reports it', async () => {
    const allOk = Object.fromEntries(BUILTIN_NAMES.map((n) => [n, 'OK' as const]));
    const fresh = await freshDatabase();
    {
      const view = await catalogView(fresh.pool, allOk);
      const unproduced = view.variables.filter((x) => x.availability_reason === 'NO_PRODUCER');
      for (const x of unproduced) expect(x).toMatchObject({ availability: 'BLOCKED', produced_by: [], sightings: 0 });
      // what nothing in this codebase computes (session markers come with the market calendar; AI tags beyond the regime)
      expect(unproduced.map((x) => x.name).sort()).toEqual(
        [
          'md.session_open',
          'md.session_phase',
          'md.minutes_to_close',
          'md.gap_pct',
          'exec.open_orders',
          'exec.order_rejected',
          'risk.kill_switch',
          'ai.sentiment_tag',
          'ai.strategy_commentary',
          'ai.signal_confidence',
        ].sort(),
      );
      for (const x of view.variables.filter((y) => y.availability_reason !== 'NO_PRODUCER')) expect(x.availability).toBe('OK');
      // a bot that reports it is a producer: then its sources decide
      const bot = randomUUID();
      const r = createUsageRecorder({
        pool: fresh.pool,
        botId: bot,
        spoolPath: join(tmpDir(), 'usage-1-1.jsonl'),
        log: createLogger('silent'),
        exitHooks: false,
      });
      r.record({ integration: 'openai', operation: 'llm.chat', status: 'OK', metadata: { feature_keys_used: ['ai.sentiment_tag'] } });
      await r.close();
      const after = Object.fromEntries((await catalogView(fresh.pool, allOk)).variables.map((x) => [x.name, x]));
      expect(after['ai.sentiment_tag']).toMatchObject({ availability: 'OK', availability_reason: null, produced_by: [], last_bot_id: bot });
      expect((await catalogView(fresh.pool, { ...allOk, openai: 'BLOCKED' })).variables.find((x) => x.name === 'ai.sentiment_tag')).toMatchObject({
        availability: 'BLOCKED',
        availability_reason: 'SOURCE_BLOCKED',
      });
    }
  });

  it("the reference bot's registered variables are exactly the names the runner emits, all catalogued", () => {
    expect([...VARIABLE_PRODUCERS[REFERENCE_BOT]].sort()).toEqual([...new Set(REFERENCE_BOT_VARIABLES)].sort());
    const names = new Set(CATALOG.map((v) => v.name));
    for (const n of REFERENCE_BOT_VARIABLES) expect(names, n).toContain(n);
  });

  it('execution metrics: latency and slippage only for broker fills, exposure/P&L/drawdown from the marked book', () => {
    const book = new Book();
    const m = new RunMetrics(50);
    book.fill(1, 100);
    expect(m.fill(book, { side: 'buy', qty: 1, intendedPrice: 100 })).not.toContain('exec.fill_latency_ms');
    expect(m.values).toMatchObject({ exposure: 5_000, unrealized_pnl: 0, drawdown: 0 });
    expect(m.values.slippage_estimate).toBeUndefined();
    book.fill(1, 101);
    const keys = m.fill(book, { side: 'buy', qty: 1, intendedPrice: 100.5, fillPrice: 101, latencyMs: 812.4 });
    expect(keys).toEqual(expect.arrayContaining(['exec.fill_latency_ms', 'exec.slippage_estimate', 'exec.exposure', 'risk.drawdown']));
    expect(m.values).toMatchObject({ fill_latency_ms: 812, slippage_estimate: 0.5 });
    // a sell filled below the intended price is worse: positive slippage
    m.fill(book, { side: 'sell', qty: 1, intendedPrice: 100, fillPrice: 99.75, latencyMs: 5 });
    expect(m.values.slippage_estimate).toBe(0.25);
    // peak P&L then a fall: drawdown from the peak, in account currency
    m.mark(book, 110);
    const peak = m.values.unrealized_pnl!;
    m.mark(book, 105);
    expect(m.values.drawdown).toBeCloseTo(peak - m.values.unrealized_pnl!, 9);
    expect(m.values.drawdown).toBeGreaterThan(0);
  });
});
