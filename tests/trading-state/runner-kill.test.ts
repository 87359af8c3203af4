/**
 * The reference bot obeys the kill switch (src/runner/kill.ts), paper against the Tradovate and
 * Ironbeam stand-ins and shadow: on HALTED it cancels its working orders and stops (a cancel the
 * broker refuses is reported as such, never as cancelled); on REDUCING it only flattens, then
 * stops; an order under a halted integration is refused as BLOCKED HALTED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { waitFor } from '../helpers/wait.js';
import { canaryEnv } from '../standins/fixtures.js';
import type { Standin } from '../standins/server.js';
import { ironbeamPaper, polygonData, tradovatePaper, type PaperOrders } from '../standins/trading-data.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { getSpec, loadRegistry } from '../../src/core/vendors/registry.js';
import { probeAndRecord } from '../../src/core/prober.js';
import { TokenCache } from '../../src/core/vendors/session.js';
import { writeHeartbeat } from '../../src/core/db/heartbeats.js';
import { listEvents } from '../../src/core/db/usage-events.js';
import { createUsageRecorder } from '../../src/sdk/index.js';
import { createLogger } from '../../src/core/log.js';
import { VERSION } from '../../src/core/version.js';
import { botIdForName, runReferenceBot, type BotRunOptions, type RunSummary } from '../../src/runner/index.js';
import { applyTradingChange } from '../../src/core/views.js';
import type { TradingCommandInput } from '../../src/core/db/trading-state.js';
import { newTraceId } from '../../src/core/trace.js';

const C = canaryEnv();
const LIMITS = { max_contracts: 5, max_daily_loss: 5000, max_drawdown_pct: 10, max_position_per_symbol: 3 };
let db: TestDb;
let poly: Standin;
let tv: Standin & PaperOrders;
let ib: Standin & PaperOrders;
/** an Ironbeam demo account that refuses every cancel (the order filled as the cancel arrived) */
let ibRefuses: Standin & PaperOrders;
let dir: string;

beforeAll(async () => {
  db = await freshDatabase();
  dir = mkdtempSync(join(tmpdir(), 'obs-kill-bot-'));
  poly = await polygonData(C.POLYGON_API_KEY).start();
  tv = await tradovatePaper(
    { name: C.TRADOVATE_USERNAME, password: C.TRADOVATE_PASSWORD, cid: C.TRADOVATE_CID, sec: C.TRADOVATE_SECRET },
    { fill: false },
  ).start();
  const ibCreds = { username: C.IRONBEAM_USERNAME, password: C.IRONBEAM_PASSWORD, apiKey: C.IRONBEAM_API_KEY };
  ib = await ironbeamPaper(ibCreds, { fill: false }).start();
  ibRefuses = await ironbeamPaper(ibCreds, { fill: false, rejectCancel: true }).start();
});
afterAll(async () => {
  for (const s of [poly, tv, ib, ibRefuses]) await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cmd = (over: Partial<TradingCommandInput>): TradingCommandInput => ({
  command: 'halt',
  scope: 'global',
  target: '*',
  reason: 'kill drill',
  actor: 'oncall',
  twoPerson: false,
  requestTtlMs: 60_000,
  knownIntegrations: ['tradovate', 'ironbeam', 'polygon'],
  traceId: newTraceId(),
  ...over,
});

/** Tradovate as the broker, or (`ironbeam`: its base URL) Ironbeam alone. */
function configOf(broker: { ironbeam?: string } = {}): Config {
  const brokerEnv = broker.ironbeam
    ? {
        IRONBEAM_USERNAME: C.IRONBEAM_USERNAME,
        IRONBEAM_PASSWORD: C.IRONBEAM_PASSWORD,
        IRONBEAM_API_KEY: C.IRONBEAM_API_KEY,
        IRONBEAM_BASE_URL: broker.ironbeam,
      }
    : {
        TRADOVATE_USERNAME: C.TRADOVATE_USERNAME,
        TRADOVATE_PASSWORD: C.TRADOVATE_PASSWORD,
        TRADOVATE_CID: C.TRADOVATE_CID,
        TRADOVATE_SECRET: C.TRADOVATE_SECRET,
        TRADOVATE_BASE_URL: tv.baseUrl,
      };
  const c = loadConfig({
    env: { PATH: process.env.PATH, POLYGON_API_KEY: C.POLYGON_API_KEY, POLYGON_BASE_URL: poly.baseUrl, ...brokerEnv, OBSERVATORY_HOME: dir },
  });
  return { ...c, riskLimits: LIMITS };
}

async function healthy(config: Config, broker = 'tradovate'): Promise<void> {
  await writeHeartbeat(db.pool, {
    daemonId: 'kill-test',
    version: VERSION,
    hostname: hostname(),
    pid: process.pid,
    startedAt: new Date(),
    leader: true,
    liveTradingEnabled: false,
  });
  const registry = loadRegistry(config);
  const tokenCache = new TokenCache();
  for (const n of ['postgres', 'polygon', 'risk_engine', broker]) {
    let r = await probeAndRecord(getSpec(registry, n)!, { pool: db.pool, env: config.env, riskLimits: config.riskLimits, tokenCache, daemonId: 'kill-test' });
    for (let i = 0; i < 3 && r.state.status !== 'OK'; i++)
      r = await probeAndRecord(getSpec(registry, n)!, { pool: db.pool, env: config.env, riskLimits: config.riskLimits, tokenCache, daemonId: 'kill-test' });
    expect(r.state.status).toBe('OK');
  }
}

function startBot(config: Config, opts: BotRunOptions) {
  const usage = createUsageRecorder({ pool: db.pool, spoolPath: join(dir, `usage-${Math.random()}.jsonl`), log: createLogger('silent'), exitHooks: false });
  const lines: string[] = [];
  const done: Promise<RunSummary> = runReferenceBot({ config, usage, out: (l) => lines.push(l) }, { fillWaitMs: 200, ...opts }).finally(() => usage.close());
  return { lines, done };
}

describe('reference bot under the kill switch', () => {
  it('HALTED: cancels its working orders (Tradovate cancelorder) and stops BLOCKED TRADING_HALTED, woken mid-pause', async () => {
    const config = configOf();
    await healthy(config);
    const bot = startBot(config, { mode: 'paper', botName: 'kill-halt', iterations: 50, intervalMs: 60_000, brokerSymbol: 'ESZ5' });
    await waitFor(() => bot.lines.some((l) => l.includes('is working')), 20_000, 'a working order');
    const orderId = tv.orders.at(-1)!.id;
    const halt = await applyTradingChange(db.pool, cmd({ scope: 'bot', target: botIdForName('kill-halt') }));
    const t0 = Date.now();
    const summary = await bot.done;
    expect(Date.now() - t0).toBeLessThan(10_000); // woken from a 60 s pause
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'TRADING_HALTED', exit_code: 2 });
    expect(tv.cancelled).toEqual([orderId]);
    const evs = await listEvents(db.pool, { runId: summary.run!.id, limit: 100 });
    expect(evs.find((e) => e.operation === 'broker.cancel_order')).toMatchObject({ status: 'OK', integration: 'tradovate' });
    expect(bot.lines.join('\n')).toMatch(/trading HALTED: 1 working order\(s\) cancelled, 0 left; stopping/);
    await applyTradingChange(db.pool, cmd({ command: 'resume', scope: 'bot', target: botIdForName('kill-halt'), traceId: newTraceId() }));
    expect(halt.change.state).toBe('HALTED');
  });

  it('HALTED against Ironbeam: the working order is cancelled (DELETE /order/{acct}/cancel/{id}) and the bot stops', async () => {
    const config = configOf({ ironbeam: ib.baseUrl });
    await healthy(config, 'ironbeam');
    const bot = startBot(config, { mode: 'paper', botName: 'kill-halt-ib', iterations: 50, intervalMs: 60_000, brokerSymbol: 'XCME:ES.Z25' });
    await waitFor(() => bot.lines.some((l) => l.includes('is working')), 20_000, 'a working order');
    const orderId = ib.orders.at(-1)!.id;
    await applyTradingChange(db.pool, cmd({ scope: 'bot', target: botIdForName('kill-halt-ib') }));
    const t0 = Date.now();
    const summary = await bot.done;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'TRADING_HALTED', exit_code: 2 });
    expect(ib.cancelled).toEqual([orderId]);
    expect(ib.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/v2/order/5123345/cancel/${orderId}`]);
    const evs = await listEvents(db.pool, { runId: summary.run!.id, limit: 100 });
    expect(evs.find((e) => e.operation === 'broker.cancel_order')).toMatchObject({ status: 'OK', integration: 'ironbeam', reason_code: null });
    expect(bot.lines.join('\n')).toMatch(new RegExp(`broker\\.cancel_order ironbeam \\[endpoint: custom\\] ${orderId}: OK \\(cancelled\\)`));
    expect(bot.lines.join('\n')).toMatch(/trading HALTED: 1 working order\(s\) cancelled, 0 left; stopping/);
    await applyTradingChange(db.pool, cmd({ command: 'resume', scope: 'bot', target: botIdForName('kill-halt-ib'), traceId: newTraceId() }));
  });

  it('HALTED, Ironbeam refuses the cancel: reported as CANCEL_REJECTED (an ERROR event), the order still counted as working; the bot stops', async () => {
    const config = configOf({ ironbeam: ibRefuses.baseUrl });
    await healthy(config, 'ironbeam');
    const bot = startBot(config, { mode: 'paper', botName: 'kill-refused-ib', iterations: 50, intervalMs: 60_000, brokerSymbol: 'XCME:ES.Z25' });
    await waitFor(() => bot.lines.some((l) => l.includes('is working')), 20_000, 'a working order');
    const orderId = ibRefuses.orders.at(-1)!.id;
    await applyTradingChange(db.pool, cmd({ scope: 'bot', target: botIdForName('kill-refused-ib') }));
    const summary = await bot.done;
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'TRADING_HALTED' });
    // the broker saw the cancel and refused it
    expect(ibRefuses.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/v2/order/5123345/cancel/${orderId}`]);
    expect(ibRefuses.cancelled).toEqual([]);
    const evs = await listEvents(db.pool, { runId: summary.run!.id, limit: 100 });
    expect(evs.find((e) => e.operation === 'broker.cancel_order')).toMatchObject({ status: 'ERROR', integration: 'ironbeam', reason_code: 'CANCEL_REJECTED' });
    const out = bot.lines.join('\n');
    expect(out).toMatch(new RegExp(`broker\\.cancel_order ironbeam \\[endpoint: custom\\] ${orderId}: ERROR CANCEL_REJECTED`));
    expect(out).toMatch(/trading HALTED: 0 working order\(s\) cancelled, 1 left; stopping/);
    expect(out).not.toMatch(/OK \(cancelled\)/);
    await applyTradingChange(db.pool, cmd({ command: 'resume', scope: 'bot', target: botIdForName('kill-refused-ib'), traceId: newTraceId() }));
  });

  it('an order under a halted integration is refused as BLOCKED HALTED with the halt’s facts; nothing is sent', async () => {
    const config = configOf();
    await healthy(config);
    const halt = await applyTradingChange(db.pool, cmd({ scope: 'integration', target: 'tradovate' }));
    const before = tv.orders.length;
    const bot = startBot(config, { mode: 'paper', botName: 'kill-int', iterations: 1, brokerSymbol: 'ESZ5' });
    const summary = await bot.done;
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'TRADING_HALTED' });
    expect(tv.orders.length).toBe(before);
    const evs = await listEvents(db.pool, { runId: summary.run!.id, limit: 100 });
    const refused = evs.find((e) => e.operation === 'broker.place_order');
    expect(refused).toMatchObject({ status: 'BLOCKED', reason_code: 'HALTED', integration: 'tradovate' });
    expect(refused!.metadata).toMatchObject({ scope: 'integration', state_actor: 'oncall', state_trace_id: halt.change.trace_id });
    await applyTradingChange(db.pool, cmd({ command: 'resume', scope: 'integration', target: 'tradovate', traceId: newTraceId() }));
  });

  it('REDUCING: the bot only flattens (a reducing order passes), then stops BLOCKED TRADING_REDUCING', async () => {
    const config = configOf();
    await healthy(config);
    const bot = startBot(config, { mode: 'shadow', botName: 'kill-reduce', iterations: 50, intervalMs: 60_000 });
    await waitFor(() => bot.lines.some((l) => /broker\.fill .* SIM buy 1/.test(l)), 20_000, 'a long position');
    await applyTradingChange(db.pool, cmd({ command: 'reduce', scope: 'bot', target: botIdForName('kill-reduce') }));
    const summary = await bot.done;
    expect(summary).toMatchObject({ status: 'BLOCKED', reason_code: 'TRADING_REDUCING' });
    const evs = (await listEvents(db.pool, { runId: summary.run!.id, limit: 100 })).filter((e) => e.operation === 'broker.place_order');
    expect(evs.map((e) => e.metadata.side)).toEqual(expect.arrayContaining(['buy', 'sell']));
    expect(bot.lines.join('\n')).toMatch(/REDUCING: flat \(position 0\)/);
    await applyTradingChange(db.pool, cmd({ command: 'resume', scope: 'bot', target: botIdForName('kill-reduce'), traceId: newTraceId() }));
  });
});
