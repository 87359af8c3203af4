/**
 * The reference bot (src/runner) end to end on real Postgres, against vendor stand-ins that
 * speak Polygon / Databento / OpenAI / Tradovate / Ironbeam wire formats. The gate is made
 * healthy the way the daemon would: a fresh daemon heartbeat row plus real probes recorded
 * through probeAndRecord. Every credential is a canary; every output is scanned for them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { canaryEnv, findLeaks } from './standins/fixtures.js';
import type { Standin } from './standins/server.js';
import { databentoData, ironbeamPaper, openaiData, polygonData, tradovatePaper, type PaperOrders } from './standins/trading-data.js';
import { loadConfig, type Config } from '../src/core/config.js';
import { getSpec, loadRegistry } from '../src/core/vendors/registry.js';
import { probeAndRecord } from '../src/core/prober.js';
import { frontMonth } from '../src/core/calendar/index.js';
import { TokenCache } from '../src/core/vendors/session.js';
import { markStopped, writeHeartbeat } from '../src/core/db/heartbeats.js';
import { createUsageRecorder } from '../src/sdk/index.js';
import { createLogger } from '../src/core/log.js';
import { listEvents, listSightings, type EventView } from '../src/core/db/usage-events.js';
import { botProof } from '../src/core/db/proof.js';
import { botProofView } from '../src/core/views.js';
import { botBlockers } from '../src/core/autonomy.js';
import { getRun } from '../src/core/db/runs.js';
import { clearFaults, injectFault } from '../src/core/db/faults.js';
import { CATALOG_NAMES } from '../src/core/catalog.js';
import { VERSION } from '../src/core/version.js';
import { botIdForName, runReferenceBot, type BotRunOptions, type RunSummary } from '../src/runner/index.js';
import { ExitCode, UsageError } from '../src/core/errors.js';

const quiet = createLogger('silent');
const CANARIES = canaryEnv();
const SECRETS = Object.values(CANARIES);
const DAEMON = 'runner-test-daemon';
const LIMITS = { max_contracts: 5, max_daily_loss: 5000, max_drawdown_pct: 10, max_position_per_symbol: 3 };

let db: TestDb;
let poly: Standin;
let dbn: Standin;
let oai: Standin;
let tv: Standin & PaperOrders;
let ib: Standin & PaperOrders;
const outputs: string[] = [];
/** temp dirs (spools, a config), removed after the file: nothing left in /tmp */
const dirs: string[] = [];
const tmp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  db = await freshDatabase();
  poly = await polygonData(CANARIES.POLYGON_API_KEY).start();
  dbn = await databentoData(CANARIES.DATABENTO_API_KEY).start();
  oai = await openaiData(CANARIES.OPENAI_API_KEY).start();
  tv = await tradovatePaper({
    name: CANARIES.TRADOVATE_USERNAME,
    password: CANARIES.TRADOVATE_PASSWORD,
    cid: CANARIES.TRADOVATE_CID,
    sec: CANARIES.TRADOVATE_SECRET,
  }).start();
  ib = await ironbeamPaper({ username: CANARIES.IRONBEAM_USERNAME, password: CANARIES.IRONBEAM_PASSWORD, apiKey: CANARIES.IRONBEAM_API_KEY }).start();
});

afterAll(async () => {
  for (const s of [poly, dbn, oai, tv, ib]) await s?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  for (const s of [poly, dbn, oai, tv, ib]) {
    s.requests.length = 0;
    s.set({ kind: 'normal' });
  }
});

const polygonEnv = () => ({ POLYGON_API_KEY: CANARIES.POLYGON_API_KEY, POLYGON_BASE_URL: poly.baseUrl });
const openaiEnv = () => ({ OPENAI_API_KEY: CANARIES.OPENAI_API_KEY, OPENAI_BASE_URL: oai.baseUrl });
const databentoEnv = () => ({ DATABENTO_API_KEY: CANARIES.DATABENTO_API_KEY, DATABENTO_BASE_URL: dbn.baseUrl });
const tradovateEnv = () => ({
  TRADOVATE_USERNAME: CANARIES.TRADOVATE_USERNAME,
  TRADOVATE_PASSWORD: CANARIES.TRADOVATE_PASSWORD,
  TRADOVATE_CID: CANARIES.TRADOVATE_CID,
  TRADOVATE_SECRET: CANARIES.TRADOVATE_SECRET,
  TRADOVATE_BASE_URL: tv.baseUrl,
});
const ironbeamEnv = () => ({
  IRONBEAM_USERNAME: CANARIES.IRONBEAM_USERNAME,
  IRONBEAM_PASSWORD: CANARIES.IRONBEAM_PASSWORD,
  IRONBEAM_API_KEY: CANARIES.IRONBEAM_API_KEY,
  IRONBEAM_BASE_URL: ib.baseUrl,
});

function configOf(env: Record<string, string>, riskLimits: Record<string, unknown> | null = LIMITS): Config {
  const c = loadConfig({ env: { PATH: process.env.PATH, ...env } });
  return { ...c, riskLimits: riskLimits ?? undefined };
}

/** What the daemon would have done: a fresh heartbeat and real probes recorded. */
async function healthy(config: Config, names: string[]): Promise<void> {
  await writeHeartbeat(db.pool, {
    daemonId: DAEMON,
    version: VERSION,
    hostname: hostname(),
    pid: process.pid,
    startedAt: new Date(),
    leader: true,
    liveTradingEnabled: config.liveTradingEnabled,
  });
  const registry = loadRegistry(config);
  const tokenCache = new TokenCache();
  for (const n of names) {
    // a state recovering from a failure needs successesBeforeOk probes in a row
    let r = await probeAndRecord(getSpec(registry, n)!, { pool: db.pool, env: config.env, riskLimits: config.riskLimits, tokenCache, daemonId: DAEMON });
    for (let i = 0; i < 3 && r.state.status !== 'OK'; i++)
      r = await probeAndRecord(getSpec(registry, n)!, { pool: db.pool, env: config.env, riskLimits: config.riskLimits, tokenCache, daemonId: DAEMON });
    expect(r.state.status, `${n} probe: ${r.result.message ?? ''}`).toBe('OK');
  }
}

async function botRun(config: Config, opts: BotRunOptions): Promise<{ summary: RunSummary; lines: string[] }> {
  const usage = createUsageRecorder({ pool: db.pool, spoolPath: join(tmp('obs-runner-'), 'usage-1-1.jsonl'), log: quiet, exitHooks: false });
  const lines: string[] = [];
  try {
    const summary = await runReferenceBot({ config, usage, out: (l) => lines.push(l) }, { intervalMs: 0, ...opts });
    outputs.push(JSON.stringify(summary), ...lines);
    return { summary, lines };
  } finally {
    await usage.close();
  }
}

/** The run's stored events, in the order the runner wrote them (created_at ties at ms resolution). */
async function eventsOf(summary: RunSummary): Promise<EventView[]> {
  const stored = await listEvents(db.pool, { runId: summary.run!.id, limit: 1000 });
  expect(stored.map((e) => e.id).sort()).toEqual([...summary.events].sort());
  return summary.events.map((id) => stored.find((e) => e.id === id)!);
}

const ops = (evs: EventView[]) => evs.map((e) => `${e.integration}:${e.operation}:${e.status}${e.reason_code ? `:${e.reason_code}` : ''}`);

describe('shadow run (Polygon)', () => {
  it('records market data, risk checks, simulated intents and SIM fills, AI usage and the run — visible in proof', async () => {
    const config = configOf({ ...polygonEnv(), ...openaiEnv() });
    await healthy(config, ['postgres', 'polygon', 'risk_engine', 'openai']);
    const { summary, lines } = await botRun(config, { mode: 'shadow', botName: 'shadow-polygon', iterations: 2 });

    expect(summary.status).toBe('SUCCEEDED');
    expect(summary.exit_code).toBe(0);
    expect(summary.iterations).toEqual({ requested: 2, completed: 2 });
    const run = await getRun(db.pool, summary.run!.id);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      terminal_state: 'SUCCEEDED',
      mode: 'shadow',
      job_kind: 'reference',
      bot_id: botIdForName('shadow-polygon'),
    });

    const evs = await eventsOf(summary);
    expect(evs.map((e) => e.id).sort()).toEqual([...summary.events].sort());
    // iteration 1 opens the position (intent + SIM fill); iteration 2 holds it
    // the run itself is a usage event at both ends; simulated orders and fills are the simulator's, never a broker's
    expect(ops(evs)).toEqual([
      'runner:run.start:OK',
      'polygon:marketdata.bars:OK',
      'risk_engine:risk.check:OK',
      'simulator:broker.place_order:OK',
      'simulator:broker.fill:OK',
      'openai:llm.chat:OK',
      'polygon:marketdata.bars:OK',
      'risk_engine:risk.check:OK',
      'openai:llm.chat:OK',
      'runner:run.finish:OK',
    ]);
    expect(evs[0]).toMatchObject({ bot_id: run!.bot_id, run_id: run!.id, trace_id: run!.trace_id, metadata: { mode: 'shadow', job_kind: 'reference' } });
    expect(evs.at(-1)).toMatchObject({ run_id: run!.id, metadata: { terminal_state: 'SUCCEEDED', iterations_completed: 2 } });
    expect(evs.filter((e) => e.simulated).map((e) => e.operation)).toEqual(['broker.place_order', 'broker.fill']);
    const bars = evs.find((e) => e.operation === 'marketdata.bars')!;
    expect(bars).toMatchObject({ symbol: 'SPY', timeframe: '1m', records: 120, bot_id: run!.bot_id, run_id: run!.id });
    const keys = bars.metadata.feature_keys_used as string[];
    for (const k of ['md.open', 'md.high', 'md.low', 'md.close', 'md.volume', 'md.vwap', 'md.atr', 'md.returns', 'md.volatility']) expect(keys).toContain(k);
    for (const k of keys) expect(CATALOG_NAMES.has(k)).toBe(true);
    expect(JSON.stringify(bars.metadata)).not.toMatch(/\d{4}\.\d/); // names, never values

    const risk = evs.find((e) => e.operation === 'risk.check')!;
    expect(risk.metadata).toMatchObject({ action: 'place', side: 'buy', qty: 1 });
    for (const k of risk.metadata.feature_keys_used as string[]) expect(CATALOG_NAMES.has(k)).toBe(true);
    expect(evs.filter((e) => e.operation === 'risk.check')[1].metadata).toMatchObject({ action: 'hold' });
    expect(evs.find((e) => e.operation === 'broker.place_order')!.metadata).toMatchObject({
      action: 'place',
      side: 'buy',
      qty: 1,
      provenance: 'SIM',
      sent: false,
    });
    const simFill = evs.find((e) => e.operation === 'broker.fill')!;
    expect(simFill).toMatchObject({ records: 1, metadata: { provenance: 'SIM' } });
    // the book is marked (exposure, P&L, drawdown); a simulated fill has no latency and no slippage to report
    expect(simFill.metadata.feature_keys_used).toEqual(expect.arrayContaining(['exec.exposure', 'exec.unrealized_pnl', 'risk.drawdown']));
    expect(simFill.metadata.feature_keys_used).not.toContain('exec.fill_latency_ms');
    expect(simFill.metadata.feature_keys_used).not.toContain('exec.slippage_estimate');
    const llm = evs.find((e) => e.operation === 'llm.chat')!;
    expect(llm.metadata).toMatchObject({ model: 'gpt-4o-mini', purpose: 'regime_classification', prompt_tokens: 57, completion_tokens: 2, regime: 'trending' });
    expect(Object.keys(llm.metadata).some((k) => /^(prompt|completion|messages|content)$/.test(k))).toBe(false);

    // the vendor saw the bearer header (never an apiKey query) and the event's trace id
    // the bot's minute bars (the probe's previous-day call is /v2/aggs/ticker/…/prev)
    const aggs = poly.requests.filter((r) => r.path.startsWith('/v2/aggs/') && r.path.includes('/range/'));
    expect(aggs).toHaveLength(2);
    expect(aggs[0].query).not.toMatch(/apiKey/i);
    expect(aggs[0].headers.traceparent).toContain(bars.trace_id);
    expect(oai.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(2);

    // proof of use, from rollups
    const proof = (await botProof(db.pool, run!.bot_id, { sinceHours: 24 }))!;
    expect(proof.last_run).toMatchObject({ id: run!.id, status: 'SUCCEEDED' });
    const by = Object.fromEntries(proof.integrations.map((i) => [i.integration, i]));
    expect(by.polygon.market_data).toEqual({ calls: 2, bars: 240 });
    expect(by.risk_engine.risk).toEqual({ checks: 2, violations: 0 });
    expect(by.simulator).toMatchObject({ simulated: true, used: false, broker: { fills: { LIVE: 0, PAPER: 0, SIM: 1 }, used_live_or_paper: false } });
    // no broker shows activity it never had
    expect(by.ironbeam).toBeUndefined();
    expect(by.tradovate).toBeUndefined();
    expect(by.runner.operations.map((o) => o.operation)).toEqual(['run.finish', 'run.start']);
    expect(by.openai.ai?.models).toEqual([{ model: 'gpt-4o-mini', calls: 2 }]);
    const sightings = await listSightings(db.pool);
    expect(sightings.map((s) => s.variable)).toEqual(
      expect.arrayContaining(['md.vwap', 'risk.max_contracts', 'exec.fill_provenance', 'ai.regime_classification']),
    );
    // the catalog says where a sighting came from: the fill variables from the simulator, the bars from a vendor
    const sighting = (v: string) => sightings.find((s) => s.variable === v)!;
    expect(sighting('exec.fill_provenance').last_simulated).toBe(true);
    expect(sighting('md.vwap').last_simulated).toBe(false);
    expect(await botBlockers(db.pool, run!.bot_id, 30_000)).toEqual([]);

    // one line per step, each with a trace id
    expect(lines.filter((l) => / — trace_id [0-9a-f]{32}$/.test(l)).length).toBeGreaterThanOrEqual(evs.length);
  });

  it('Databento: timeseries.get_range as a POST form with basic auth, JSON lines parsed', async () => {
    const config = configOf({ ...databentoEnv() });
    await healthy(config, ['postgres', 'databento', 'risk_engine']);
    const { summary } = await botRun(config, { mode: 'shadow', botName: 'shadow-databento', iterations: 1, bars: 60 });
    expect(summary.status).toBe('SUCCEEDED');
    const evs = await eventsOf(summary);
    // the ES front month (session calendar), as a Databento raw_symbol on GLBX.MDP3
    const front = frontMonth('ES', Date.now()).symbol;
    expect(evs[1]).toMatchObject({ integration: 'databento', operation: 'marketdata.bars', status: 'OK', symbol: front, timeframe: '1m', records: 60 });
    expect(evs[1].metadata.feature_keys_used).toEqual(expect.arrayContaining(['md.vwap', 'md.session_open', 'md.session_phase']));
    expect(evs[1].metadata).toMatchObject({ endpoint: 'timeseries.get_range', dataset: 'GLBX.MDP3' });
    const get = dbn.requests.find((r) => r.path === '/v0/timeseries.get_range')!;
    expect(get.method).toBe('POST');
    const form = new URLSearchParams(get.body);
    expect(Object.fromEntries(form)).toMatchObject({ dataset: 'GLBX.MDP3', symbols: front, stype_in: 'raw_symbol', schema: 'ohlcv-1m', encoding: 'json' });
    expect(get.body).not.toContain(CANARIES.DATABENTO_API_KEY);
  });
});

describe('paper runs', () => {
  it('without a broker: the paper gate refuses (a broker on its demo host is required), no order, no fill, run BLOCKED (exit 2)', async () => {
    const config = configOf({ ...polygonEnv() });
    await healthy(config, ['postgres', 'polygon', 'risk_engine']);
    // healthy() probed Polygon (GET /v2/aggs/ticker/{T}/prev); only the bot's own calls count from here
    poly.requests.length = 0;
    const { summary, lines } = await botRun(config, { mode: 'paper', botName: 'paper-no-broker' });
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'REQUIREMENT_UNMET', exit_code: ExitCode.GATE_BLOCKED });
    const evs = await eventsOf(summary);
    expect(ops(evs)).toEqual(['runner:run.start:OK', 'ironbeam:gate.check:BLOCKED:REQUIREMENT_UNMET', 'runner:run.finish:BLOCKED:REQUIREMENT_UNMET']);
    expect(evs.some((e) => e.operation.startsWith('broker.'))).toBe(false);
    expect(String(evs[1].metadata.reason_message)).toMatch(/paper needs one of group broker \[ironbeam, tradovate\]: ironbeam BLOCKED MISSING_CREDENTIALS/);
    expect(lines.join('\n')).toMatch(/REQUIREMENT_UNMET \[ironbeam\]: .*IRONBEAM_API_KEY/);
    // no market-data call of any kind once the gate refused
    expect(poly.requests).toHaveLength(0);
    const run = await getRun(db.pool, summary.run!.id);
    expect(run).toMatchObject({ status: 'BLOCKED', reason_code: 'REQUIREMENT_UNMET' });
    const proof = (await botProof(db.pool, run!.bot_id))!;
    expect(proof.blocked_attempts[0]).toMatchObject({ reason_code: 'REQUIREMENT_UNMET' });
    expect((await botBlockers(db.pool, run!.bot_id, 30_000)).map((b) => b.code)).toEqual(['BOT_RUN_BLOCKED']);
  });

  it('with Tradovate: a market order at the demo host and a PAPER fill the broker reported', async () => {
    const config = configOf({ ...polygonEnv(), ...tradovateEnv() });
    await healthy(config, ['postgres', 'polygon', 'risk_engine', 'tradovate']);
    const { summary } = await botRun(config, { mode: 'paper', botName: 'paper-tradovate', iterations: 1, brokerSymbol: 'ESZ5' });
    expect(summary.status).toBe('SUCCEEDED');
    const evs = await eventsOf(summary);
    expect(ops(evs)).toEqual([
      'runner:run.start:OK',
      'polygon:marketdata.bars:OK',
      'risk_engine:risk.check:OK',
      'tradovate:broker.place_order:OK',
      'tradovate:broker.order_status:OK',
      'tradovate:broker.fill:OK',
      'runner:run.finish:OK',
    ]);
    expect(evs[5]).toMatchObject({ symbol: 'ESZ5', records: 1, metadata: { provenance: 'PAPER', side: 'buy', qty: 1 } });
    // a broker fill with a price: latency and slippage measured, the book marked (names only, never values)
    expect(evs[5].metadata.feature_keys_used).toEqual(
      expect.arrayContaining(['exec.fill_latency_ms', 'exec.slippage_estimate', 'exec.exposure', 'exec.unrealized_pnl', 'risk.drawdown']),
    );
    expect(evs[2].metadata.feature_keys_used).toEqual(expect.arrayContaining(['exec.exposure', 'risk.drawdown']));
    expect(tv.orders).toHaveLength(1);
    expect(tv.orders[0].body).toMatchObject({
      accountSpec: 'DEMO7001',
      accountId: 7001,
      action: 'Buy',
      symbol: 'ESZ5',
      orderQty: 1,
      orderType: 'Market',
      isAutomated: true,
    });
    const proof = (await botProof(db.pool, botIdForName('paper-tradovate')))!;
    expect(proof.integrations.find((i) => i.integration === 'tradovate')!.broker).toMatchObject({ fills: { PAPER: 1, SIM: 0 }, used_live_or_paper: true });
  });

  it("Polygon's SPY at a futures broker: refused before anything is sent — BLOCKED SYMBOL_UNSUPPORTED with the fix, never FAILED at the broker", async () => {
    const config = configOf({ ...polygonEnv(), ...tradovateEnv() });
    await healthy(config, ['postgres', 'polygon', 'risk_engine', 'tradovate']);
    const before = tv.orders.length;
    const { summary, lines } = await botRun(config, { mode: 'paper', botName: 'paper-spy', iterations: 1 });
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'SYMBOL_UNSUPPORTED', exit_code: ExitCode.GATE_BLOCKED });
    expect(tv.orders).toHaveLength(before);
    const evs = await eventsOf(summary);
    expect(ops(evs)).toEqual([
      'runner:run.start:OK',
      'polygon:marketdata.bars:OK',
      'risk_engine:risk.check:OK',
      'tradovate:broker.place_order:BLOCKED:SYMBOL_UNSUPPORTED',
      'runner:run.finish:BLOCKED:SYMBOL_UNSUPPORTED',
    ]);
    // the stand-ins are not the vendors: every line that names one says so
    expect(lines.join('\n')).toMatch(/marketdata\.bars polygon \[endpoint: custom\] SPY 1m: OK/);
    expect(lines.join('\n')).toMatch(/broker\.place_order tradovate \[endpoint: custom\] buy 1 SPY: BLOCKED SYMBOL_UNSUPPORTED/);
    // Panel B (and proof --json) name them too
    const view = await botProofView(db.pool, botIdForName('paper-spy'), { registry: loadRegistry(config), config });
    expect(view?.custom_endpoints?.sort()).toEqual(['polygon', 'tradovate']);
    expect((await botProofView(db.pool, botIdForName('paper-spy')))?.custom_endpoints).toBeUndefined();
    expect(lines.join('\n')).toMatch(/SPY is not a contract tradovate trades .*--broker-symbol \(e\.g\. ES[FGHJKMNQUVXZ]\d\)/);
  });

  it('with Ironbeam and no fill reported: the order is recorded, no fill is invented', async () => {
    const quietIb = await ironbeamPaper(
      { username: CANARIES.IRONBEAM_USERNAME, password: CANARIES.IRONBEAM_PASSWORD, apiKey: CANARIES.IRONBEAM_API_KEY },
      { fill: false },
    ).start();
    try {
      const config = configOf({ ...polygonEnv(), ...ironbeamEnv(), IRONBEAM_BASE_URL: quietIb.baseUrl });
      await healthy(config, ['postgres', 'polygon', 'risk_engine', 'ironbeam']);
      const { summary, lines } = await botRun(config, {
        mode: 'paper',
        botName: 'paper-ironbeam',
        iterations: 1,
        brokerSymbol: 'XCME:ES.Z25',
        fillWaitMs: 300,
      });
      expect(summary.status).toBe('SUCCEEDED');
      const evs = await eventsOf(summary);
      expect(ops(evs)).toEqual([
        'runner:run.start:OK',
        'polygon:marketdata.bars:OK',
        'risk_engine:risk.check:OK',
        'ironbeam:broker.place_order:OK',
        'ironbeam:broker.order_status:OK',
        'runner:run.finish:OK',
      ]);
      expect(evs[4].records).toBe(0);
      expect(quietIb.orders[0].body).toMatchObject({ exchSym: 'XCME:ES.Z25', side: 'BUY', quantity: 1, orderType: '1', duration: '0' });
      expect(lines.join('\n')).toMatch(/no fill reported within 300 ms — none recorded/);
    } finally {
      await quietIb.close();
    }
  });

  it('never sends an order through a broker the observatory has BLOCKED (here: a drill answering 401), even in paper mode', async () => {
    const config = configOf({ ...polygonEnv(), ...tradovateEnv() });
    await injectFault(db.pool, { integration: 'tradovate', httpStatus: 401, ttlMs: 60_000, createdBy: 'test', traceId: 'b'.repeat(32) });
    try {
      await healthy(config, ['postgres', 'polygon', 'risk_engine']);
      const tradovate = getSpec(loadRegistry(config), 'tradovate')!;
      const probed = await probeAndRecord(tradovate, {
        pool: db.pool,
        env: config.env,
        riskLimits: config.riskLimits,
        tokenCache: new TokenCache(),
        daemonId: DAEMON,
      });
      expect(probed.state.status).toBe('BLOCKED');
      const before = tv.orders.length;
      const { summary } = await botRun(config, { mode: 'paper', botName: 'paper-blocked-broker', iterations: 1, brokerSymbol: 'ESZ5' });
      expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'INTEGRATION_BLOCKED', exit_code: 2 });
      expect(tv.orders).toHaveLength(before);
      expect(ops(await eventsOf(summary))).toContain('tradovate:broker.place_order:BLOCKED:INTEGRATION_BLOCKED');
    } finally {
      await clearFaults(db.pool, 'tradovate');
    }
  });

  it('refuses a live broker host for paper orders', async () => {
    const config = configOf({ ...polygonEnv(), ...tradovateEnv(), TRADOVATE_BASE_URL: 'https://live.tradovateapi.com/v1' });
    await healthy(config, ['postgres', 'polygon', 'risk_engine']);
    const { summary } = await botRun(config, { mode: 'paper', botName: 'paper-live-host', iterations: 1 });
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'BROKER_LIVE_HOST', exit_code: 2 });
    expect(tv.requests).toHaveLength(0);
  });
});

describe('fail-closed', () => {
  it('gate BLOCKED (no live daemon): a BLOCKED gate.check event, run BLOCKED, exit 2, no vendor call', async () => {
    const config = configOf({ ...polygonEnv() });
    await healthy(config, ['postgres', 'polygon', 'risk_engine']);
    await markStopped(db.pool, DAEMON);
    poly.requests.length = 0;
    const { summary, lines } = await botRun(config, { mode: 'shadow', botName: 'gate-blocked' });
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'DAEMON_STALE', exit_code: 2, iterations: { completed: 0 } });
    const evs = await eventsOf(summary);
    expect(ops(evs)).toEqual(['runner:run.start:OK', 'observatory:gate.check:BLOCKED:DAEMON_STALE', 'runner:run.finish:BLOCKED:DAEMON_STALE']);
    expect(evs[1].metadata).toMatchObject({ mode: 'shadow', gate_status: 'BLOCKED' });
    expect(await getRun(db.pool, summary.run!.id)).toMatchObject({ status: 'BLOCKED', reason_code: 'DAEMON_STALE' });
    expect(poly.requests).toHaveLength(0);
    expect(lines.join('\n')).toContain('gate BLOCKED (shadow): DAEMON_STALE');
    const proof = (await botProof(db.pool, botIdForName('gate-blocked')))!;
    expect(proof.blocked_attempts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ integration: 'observatory', reason_code: 'DAEMON_STALE' }),
        expect.objectContaining({ integration: 'runner', reason_code: 'DAEMON_STALE' }),
      ]),
    );
  });

  it('gate BLOCKED by an integration: the event names the blocker integration and its probe trace', async () => {
    // both market-data vendors rejected (earlier tests left them OK): the marketdata group is unmet
    const config = configOf({ ...polygonEnv(), ...databentoEnv() });
    await healthy(config, ['postgres', 'risk_engine']);
    poly.set({ kind: 'status', status: 401 });
    dbn.set({ kind: 'status', status: 401 });
    const registry = loadRegistry(config);
    const deps = { pool: db.pool, env: config.env, tokenCache: new TokenCache(), daemonId: DAEMON };
    expect((await probeAndRecord(getSpec(registry, 'databento')!, deps)).state.status).toBe('BLOCKED');
    const probe = await probeAndRecord(getSpec(registry, 'polygon')!, deps);
    expect(probe.state.status).toBe('BLOCKED');
    const { summary } = await botRun(config, { mode: 'shadow', botName: 'gate-polygon-auth' });
    expect(summary.status).toBe('BLOCKED');
    const evs = await eventsOf(summary);
    expect(evs).toHaveLength(3);
    expect(evs[1]).toMatchObject({
      operation: 'gate.check',
      status: 'BLOCKED',
      reason_code: 'REQUIREMENT_UNMET',
      integration: 'polygon',
      trace_id: probe.result.traceId,
    });
  });

  it('a vendor 500 during bars: ERROR event with a sanitized reason, run FAILED, exit 1', async () => {
    const config = configOf({ ...polygonEnv() });
    await healthy(config, ['postgres', 'polygon', 'risk_engine']);
    poly.set({ kind: 'status', status: 500 }); // the stand-in echoes the key back in body and headers
    const { summary, lines } = await botRun(config, { mode: 'shadow', botName: 'vendor-500' });
    expect(summary).toMatchObject({ status: 'FAILED', reason_code: 'UPSTREAM_5XX', exit_code: 1 });
    const evs = await eventsOf(summary);
    expect(ops(evs)).toEqual(['runner:run.start:OK', 'polygon:marketdata.bars:ERROR:UPSTREAM_5XX', 'runner:run.finish:ERROR:UPSTREAM_5XX']);
    expect(evs[1].metadata.error_message).toBe(`Polygon aggregates: HTTP 500 from ${new URL(poly.origin).host}`);
    expect(await getRun(db.pool, summary.run!.id)).toMatchObject({ status: 'FAILED', reason_code: 'UPSTREAM_5XX' });
    expect(lines.join('\n')).toContain('ERROR UPSTREAM_5XX');
  });

  it('risk limits: an order over max_contracts is BLOCKED by risk.check and never reaches a broker', async () => {
    const config = configOf({ ...polygonEnv() }, { ...LIMITS, max_contracts: 1, max_position_per_symbol: 1 });
    await healthy(config, ['postgres', 'polygon', 'risk_engine']);
    const { summary } = await botRun(config, { mode: 'shadow', botName: 'risk-max', qty: 2 });
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'RISK_LIMIT_MAX_CONTRACTS', exit_code: 2 });
    const evs = await eventsOf(summary);
    expect(ops(evs)).toEqual([
      'runner:run.start:OK',
      'polygon:marketdata.bars:OK',
      'risk_engine:risk.check:BLOCKED:RISK_LIMIT_MAX_CONTRACTS',
      'runner:run.finish:BLOCKED:RISK_LIMIT_MAX_CONTRACTS',
    ]);
    expect(evs[2].metadata.feature_keys_used).toContain('risk.violation_code');
    const proof = (await botProof(db.pool, botIdForName('risk-max')))!;
    expect(proof.integrations.find((i) => i.integration === 'risk_engine')!.risk).toEqual({ checks: 1, violations: 1 });
  });

  it('risk limits missing (shadow does not require the risk engine): BLOCKED RISK_LIMITS_NOT_CONFIGURED', async () => {
    const config = configOf({ ...polygonEnv() }, null);
    await healthy(config, ['postgres', 'polygon']);
    const { summary } = await botRun(config, { mode: 'shadow', botName: 'risk-none' });
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'RISK_LIMITS_NOT_CONFIGURED' });
    expect(ops(await eventsOf(summary))).toEqual([
      'runner:run.start:OK',
      'polygon:marketdata.bars:OK',
      'risk_engine:risk.check:BLOCKED:RISK_LIMITS_NOT_CONFIGURED',
      'runner:run.finish:BLOCKED:RISK_LIMITS_NOT_CONFIGURED',
    ]);
  });

  it('live mode and bad flags are usage errors (exit 64) and start nothing', async () => {
    const config = configOf({ ...polygonEnv() });
    const err = await botRun(config, { mode: 'live' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(64);
    for (const bad of [
      { mode: 'paper', iterations: '0' },
      { mode: 'shadow', bot: 'nope' },
      { mode: 'shadow', symbol: 'a b;c' },
      { mode: 'demo' },
    ] as BotRunOptions[])
      await expect(botRun(config, bad)).rejects.toBeInstanceOf(UsageError);
    const { rows } = await db.pool.query(`select count(*)::int as n from bot_runs r join bots b on b.id = r.bot_id where b.name = 'reference-bot'`);
    expect(rows[0].n).toBe(0);
  });
});

describe('observatory bot run (src/cli/bot.ts)', () => {
  it('runs through the command with a CommandContext and prints the JSON summary', async () => {
    const dir = tmp('obs-botcmd-');
    const configPath = join(dir, 'observatory.json');
    writeFileSync(configPath, JSON.stringify({ risk_limits: LIMITS }));
    const saved = { ...process.env };
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      for (const k of Object.keys(process.env)) if (/^(DATABENTO|POLYGON|OPENAI|TRADOVATE|IRONBEAM|OBSERVATORY)_/.test(k)) delete process.env[k];
      Object.assign(process.env, { DATABASE_URL: db.url, OBSERVATORY_HOME: dir, LOG_LEVEL: 'silent', ...polygonEnv() });
      const { makeContext } = await import('../src/cli/context.js');
      const ctx = makeContext({ config: configPath });
      await healthy({ ...ctx.config }, ['postgres', 'polygon', 'risk_engine']);
      const { run } = await import('../src/cli/bot.js');
      const code = await run(ctx, { mode: 'shadow', botName: 'cmd-shadow', iterations: '2', intervalMs: '0', json: true });
      expect(code).toBe(0);
      const stdout = written.filter((w) => w.trimStart().startsWith('{')).join('');
      const summary = JSON.parse(stdout) as RunSummary;
      expect(summary).toMatchObject({ status: 'SUCCEEDED', mode: 'shadow', exit_code: 0, run: { status: 'SUCCEEDED' } });
      expect(summary.events.length).toBe(8);
      const evs = await eventsOf(summary);
      expect(evs.map((e) => e.id).sort()).toEqual([...summary.events].sort());

      const refused = await run(ctx, { mode: 'live' }).catch((e: unknown) => e);
      expect((refused as UsageError).exitCode).toBe(64);
      outputs.push(...written);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe('no secret anywhere', () => {
  it('canaries appear in no output, no event, no run row', async () => {
    expect(outputs.length).toBeGreaterThan(10);
    expect(findLeaks(outputs.join('\n'), SECRETS)).toEqual([]);
    const dump = await db.pool.query(
      `select (select coalesce(json_agg(e), '[]') from integration_usage_events e)::text as events,
              (select coalesce(json_agg(r), '[]') from bot_runs r)::text as runs,
              (select coalesce(json_agg(b), '[]') from bots b)::text as bots,
              (select coalesce(json_agg(u), '[]') from usage_rollups u)::text as rollups`,
    );
    const text = Object.values(dump.rows[0] as Record<string, string>).join('\n');
    expect(text).toContain('UPSTREAM_5XX');
    expect(findLeaks(text, SECRETS)).toEqual([]);
  });
});
