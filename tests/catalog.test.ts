/** Variable catalog (Panel C): canonical list, availability from sources, last seen from real events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { availabilityOf, CATALOG, catalogView, VARIABLE_GROUPS } from '../src/core/catalog.js';
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
    expect(v['exec.exposure']).toMatchObject({ availability: 'OK', source_status: { ironbeam: 'OK', tradovate: null }, last_seen_at: null });
    expect(v['ai.sentiment_tag'].availability).toBe('BLOCKED');
    expect(v['risk.drawdown'].availability).toBe('OK');
    expect(view.uncatalogued).toEqual([expect.objectContaining({ name: 'custom.my_signal', last_bot_id: botB, sightings: 1 })]);
    for (const x of view.variables) expect(Object.keys(x)).not.toContain('value');
  });
});
