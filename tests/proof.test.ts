/** Proof-of-use (Panel B) and per-bot blockers on real rows written through the SDK. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { createUsageRecorder, type UsageRecorder } from '../src/sdk/index.js';
import { botBlockers, botProof, refreshBotRanking, resolveBot, topBots } from '../src/core/db/proof.js';
import { finishRun, startRun } from '../src/core/db/runs.js';
import { createLogger } from '../src/core/log.js';

let db: TestDb;
const dirs: string[] = [];
const tmpDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'obs-proof-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const quiet = createLogger('silent');
const recorder = (botId: string): UsageRecorder =>
  createUsageRecorder({ pool: db.pool, botId, spoolPath: join(tmpDir(), 'usage-1-1.jsonl'), log: quiet, exitHooks: false });

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR = 3_600_000;

const active = randomUUID();
const simOnly = randomUUID();
const quietBot = randomUUID();
const recovered = randomUUID();
const traces: Record<string, string> = {};

beforeAll(async () => {
  db = await freshDatabase();
  const u = recorder(active);
  const run = await u.runs.start({ botName: 'es-momentum', mode: 'paper', jobKind: 'session' });
  const ctx = { runId: run.id };
  for (let i = 0; i < 3; i++)
    await u.track({ ...ctx, integration: 'databento', operation: 'marketdata.bars', symbol: 'ESZ5', timeframe: '1m', records: 100, featureKeysUsed: ['md.close', 'md.vwap'] }, async () => null);
  await u.track({ ...ctx, integration: 'polygon', operation: 'marketdata.bars', records: 10 }, () => null);
  await u.track({ ...ctx, integration: 'ironbeam', operation: 'broker.place_order', symbol: 'ESZ5' }, () => null);
  await u.track({ ...ctx, integration: 'ironbeam', operation: 'broker.cancel_order' }, () => null);
  u.record({ run_id: run.id, integration: 'ironbeam', operation: 'broker.fill', status: 'OK', records: 1, metadata: { provenance: 'PAPER' } });
  u.record({ run_id: run.id, integration: 'ironbeam', operation: 'broker.fill', status: 'OK', records: 1, metadata: { provenance: 'SIM' } });
  u.record({ run_id: run.id, integration: 'ironbeam', operation: 'broker.fill', status: 'OK', records: 1, metadata: { provenance: 'SIM' } });
  traces.blockedOld = u.recordBlocked({ ...ctx, integration: 'ironbeam', operation: 'broker.place_order' }, 'MISSING_CREDENTIALS').trace_id;
  await new Promise((r) => setTimeout(r, 5)); // distinct timestamps: "last" must be well defined
  traces.blocked = u.recordBlocked({ ...ctx, integration: 'ironbeam', operation: 'broker.place_order' }, 'MISSING_CREDENTIALS').trace_id;
  await u.track({ ...ctx, integration: 'openai', operation: 'llm.chat', model: 'gpt-4o-mini', purpose: 'coaching' }, () => 'ok');
  await u.track({ ...ctx, integration: 'openai', operation: 'llm.chat', model: 'gpt-4o-mini' }, () => 'ok');
  await u.track({ ...ctx, integration: 'openai', operation: 'llm.chat', model: 'gpt-4.1' }, () => 'ok');
  await u.track({ ...ctx, integration: 'openai', operation: 'llm.chat', model: 'gpt-4.1' }, () => Promise.reject(Object.assign(new Error('x'), { code: 'RATE_LIMITED' }))).catch(() => undefined);
  await u.track({ ...ctx, integration: 'risk_engine', operation: 'risk.check' }, () => true);
  await u.track({ ...ctx, integration: 'risk_engine', operation: 'risk.check' }, () => true);
  await new Promise((r) => setTimeout(r, 5));
  traces.risk = u.recordBlocked({ ...ctx, integration: 'risk_engine', operation: 'risk.check' }, 'MAX_CONTRACTS_EXCEEDED').trace_id;
  // outside the 24 h window: never counted
  u.record({ integration: 'databento', operation: 'marketdata.bars', status: 'OK', records: 5000, created_at: ago(30 * HOUR) });
  await u.runs.finish(run.id, 'BLOCKED', 'MISSING_CREDENTIALS');
  await u.close();
  traces.run = run.trace_id;

  const s = recorder(simOnly);
  for (let i = 0; i < 4; i++) s.record({ integration: 'tradovate', operation: 'broker.fill', status: 'OK', metadata: { provenance: 'SIM' } });
  s.record({ integration: 'tradovate', operation: 'broker.place_order', status: 'OK', metadata: { provenance: 'SIM', action: 'place' } });
  // a blocked attempt 2 h ago: in the proof window, but too old to block the bot now
  s.record({ integration: 'tradovate', operation: 'broker.place_order', status: 'BLOCKED', reason_code: 'LIVE_TRADING_DISABLED', created_at: ago(2 * HOUR) });
  const r2 = await s.runs.start({ mode: 'shadow' });
  traces.stale = r2.trace_id;
  await s.close();
  await db.pool.query(`update bot_runs set heartbeat_at = now() - interval '10 minutes' where id = $1`, [r2.id]);

  // blocked, then the cause fixed and a run succeeded: the old attempts no longer block
  const rc = recorder(recovered);
  rc.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order' }, 'MISSING_CREDENTIALS');
  rc.recordBlocked({ integration: 'observatory', operation: 'gate.check' }, 'DAEMON_STALE');
  await rc.flush();
  traces.recoveredBefore = JSON.stringify(await botBlockers(db.pool, recovered, 60_000));
  const okRun = await rc.runs.start({ mode: 'paper' });
  await new Promise((r) => setTimeout(r, 5));
  await okRun.finish('SUCCEEDED');
  await rc.close();

  const q = recorder(quietBot);
  q.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 });
  const r3 = await q.runs.start({ mode: 'paper' });
  await r3.finish('SUCCEEDED');
  await q.close();
});

describe('botProof', () => {
  it('gives Panel B for a busy bot: last run, per-integration counts, models, fills by provenance, blocked reasons', async () => {
    const p = (await botProof(db.pool, active))!;
    expect(p.bot).toMatchObject({ id: active, name: 'es-momentum' });
    expect(p.window.hours).toBe(24);
    expect(new Date(p.window.since).getTime()).toBeLessThanOrEqual(Date.now() - 24 * HOUR);
    expect(p.last_run).toMatchObject({ mode: 'paper', job_kind: 'session', status: 'BLOCKED', terminal_state: 'BLOCKED', reason_code: 'MISSING_CREDENTIALS', trace_id: traces.run });
    expect(p.last_run!.ended_at).not.toBeNull();
    expect(p.last_run!.heartbeat_age_s).toBeGreaterThanOrEqual(0);

    const by = Object.fromEntries(p.integrations.map((i) => [i.integration, i]));
    expect(Object.keys(by).sort()).toEqual(['databento', 'ironbeam', 'openai', 'polygon', 'risk_engine']);

    expect(by.databento).toMatchObject({ used: true, calls: 3, ok: 3, error: 0, blocked: 0, records: 300, market_data: { calls: 3, bars: 300 }, broker: null, ai: null, risk: null });
    expect(by.polygon.market_data).toEqual({ calls: 1, bars: 10 });

    expect(by.ironbeam.broker).toEqual({
      order_intents: { total: 4, ok: 2, error: 0, blocked: 2, place: 3, modify: 0, cancel: 1 },
      fills: { LIVE: 0, PAPER: 1, SIM: 2 },
      used_live_or_paper: true,
    });
    expect(by.ironbeam.blocked_attempts).toEqual([{ reason_code: 'MISSING_CREDENTIALS', count: 2, last_at: expect.any(String), last_trace_id: traces.blocked }]);
    expect(by.ironbeam).toMatchObject({ calls: 7, ok: 5, blocked: 2 });

    expect(by.openai.ai).toEqual({ calls: 4, models: [{ model: 'gpt-4o-mini', calls: 2 }, { model: 'gpt-4.1', calls: 1 }] });
    expect(by.openai.errors).toEqual([{ reason_code: 'RATE_LIMITED', count: 1, last_at: expect.any(String), last_trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) }]);
    expect(by.openai.last_ok_trace_id).toMatch(/^[0-9a-f]{32}$/);

    expect(by.risk_engine.risk).toEqual({ checks: 3, violations: 1 });
    expect(by.risk_engine.last_trace_id).toBe(traces.risk);

    expect(p.blocked_attempts.map((b) => [b.integration, b.reason_code, b.count])).toEqual([
      ['risk_engine', 'MAX_CONTRACTS_EXCEEDED', 1],
      ['ironbeam', 'MISSING_CREDENTIALS', 2],
    ]);
    for (const i of p.integrations) expect(i.last_trace_id).toMatch(/^[0-9a-f]{32}$/);
    // one JSON shape, snake_case keys, no values beyond counts and names
    expect(JSON.stringify(p)).not.toMatch(/"[a-z]+[A-Z][a-zA-Z]*":/);
  });

  it('SIM fills never prove broker use; accepted order intents alone neither', async () => {
    const p = (await botProof(db.pool, simOnly))!;
    const t = p.integrations.find((i) => i.integration === 'tradovate')!;
    expect(t.broker).toMatchObject({ fills: { LIVE: 0, PAPER: 0, SIM: 4 }, used_live_or_paper: false, order_intents: { total: 2, ok: 1, blocked: 1 } });
    expect(t.used).toBe(false); // simulated intents and fills are activity, not use
    expect(p.last_run).toMatchObject({ status: 'RUNNING', ended_at: null, terminal_state: null });
    expect(p.last_run!.heartbeat_age_s).toBeGreaterThanOrEqual(590);
  });

  it('a wider window includes older rollups; an unknown bot is null', async () => {
    const p = (await botProof(db.pool, active, { sinceHours: 48 }))!;
    // the event stamped 30 h ago now counts
    expect(p.integrations.find((i) => i.integration === 'databento')!.market_data).toEqual({ calls: 4, bars: 5300 });
    const all = (await botProof(db.pool, active, { sinceHours: 72 }))!;
    expect(all.window.hours).toBe(72);
    expect(await botProof(db.pool, randomUUID())).toBeNull();
    await expect(botProof(db.pool, 'not-a-uuid')).rejects.toMatchObject({ code: 'USAGE', exitCode: 64 });
  });

  it('resolveBot accepts an id or a name', async () => {
    expect(await resolveBot(db.pool, 'es-momentum')).toBe(active);
    expect(await resolveBot(db.pool, active)).toBe(active);
    expect(await resolveBot(db.pool, 'nobody')).toBeNull();
    expect(await resolveBot(db.pool, randomUUID())).toBeNull();
  });
});

describe('topBots', () => {
  it('ranks bots by calls in the window with their integrations', async () => {
    const top = await topBots(db.pool);
    expect(top.map((b) => b.bot_id)).toEqual([active, simOnly, recovered, quietBot]);
    expect(top[0]).toMatchObject({ name: 'es-momentum', calls: 18, ok: 14, error: 1, blocked: 3, integrations: ['databento', 'ironbeam', 'openai', 'polygon', 'risk_engine'] });
    expect((await topBots(db.pool, { limit: 1 })).length).toBe(1);
  });
});

describe('topBots from the ranking table', () => {
  it('a fresh ranking gives the same answer as the live aggregation; a stale one is ignored', async () => {
    const live = await topBots(db.pool);
    expect(await refreshBotRanking(db.pool)).toEqual({ bots: live.length });
    expect(await topBots(db.pool)).toEqual(live);
    // the ranking decides the order; totals stay live
    await db.pool.query(`update bot_activity_ranking set calls = 1000 where bot_id = $1`, [quietBot]);
    const ranked = await topBots(db.pool, { limit: 1 });
    expect(ranked.map((b) => b.bot_id)).toEqual([quietBot]);
    expect(ranked[0].calls).toBe(live.find((b) => b.bot_id === quietBot)!.calls);
    // a bot that became active after the refresh is never missing
    const newcomer = randomUUID();
    const n = recorder(newcomer);
    for (let i = 0; i < 40; i++) n.record({ integration: 'polygon', operation: 'marketdata.bars', status: 'OK', records: 1 });
    await n.close();
    expect((await topBots(db.pool, { limit: 1 })).map((b) => b.bot_id)).toEqual([newcomer]);
    // stale (older than the bound): the live aggregation answers again
    await db.pool.query(`update bot_activity_ranking set refreshed_at = now() - interval '1 minute'`);
    expect((await topBots(db.pool)).map((b) => b.bot_id)).toEqual([newcomer, ...live.map((b) => b.bot_id)].slice(0, 10));
    await db.pool.query(`delete from bot_activity_ranking`);
  });
});

describe('botBlockers', () => {
  it('last run BLOCKED and recent BLOCKED attempts block the bot, each with a trace_id', async () => {
    const b = await botBlockers(db.pool, active, 60_000);
    expect(b.map((x) => x.code).sort()).toEqual(['BOT_BLOCKED_ATTEMPT', 'BOT_BLOCKED_ATTEMPT', 'BOT_RUN_BLOCKED']);
    expect(b.find((x) => x.code === 'BOT_RUN_BLOCKED')).toMatchObject({ trace_id: traces.run, message: expect.stringContaining('MISSING_CREDENTIALS') });
    expect(b.find((x) => x.integration === 'ironbeam')).toMatchObject({ code: 'BOT_BLOCKED_ATTEMPT', trace_id: traces.blocked });
    expect(b.find((x) => x.integration === 'risk_engine')).toMatchObject({ trace_id: traces.risk });
    for (const x of b) expect(x.fix.length).toBeGreaterThan(10);
  });

  it('a RUNNING run with a stale heartbeat blocks; an old blocked attempt does not', async () => {
    const b = await botBlockers(db.pool, simOnly, 60_000);
    expect(b).toEqual([expect.objectContaining({ code: 'BOT_HEARTBEAT_STALE', trace_id: traces.stale, integration: null })]);
    expect(await botBlockers(db.pool, simOnly, 3_600_000)).toEqual([]);
  });

  it('a gate refusal recorded by the bot never blocks it by itself; a run that succeeded since clears old attempts', async () => {
    const before = JSON.parse(traces.recoveredBefore) as Array<{ code: string; integration: string }>;
    expect(before.map((b) => `${b.code}@${b.integration}`)).toEqual(['BOT_BLOCKED_ATTEMPT@ironbeam']);
    expect(await botBlockers(db.pool, recovered, 60_000)).toEqual([]);
  });

  it('overlapping runs: an older run ending BLOCKED blocks until a run starts after it; only a success in the gate\'s mode clears an attempt', async () => {
    const bot = randomUUID();
    const u = recorder(bot);
    const codes = async (mode?: 'live' | 'paper' | 'shadow') => (await botBlockers(db.pool, bot, 60_000, mode)).map((b) => b.code);
    const tick = () => new Promise((r) => setTimeout(r, 5));
    const r1 = await u.runs.start({ mode: 'paper' });
    await tick();
    const r2 = await u.runs.start({ mode: 'paper' });
    await tick();
    await r1.finish('BLOCKED', 'MAX_DRAWDOWN');
    expect(await codes()).toEqual(['BOT_RUN_BLOCKED']); // the latest-started run is still RUNNING
    await tick();
    await r2.finish('SUCCEEDED');
    expect(await codes()).toEqual(['BOT_RUN_BLOCKED']); // it started before r1 ended: no evidence the cause is fixed
    await tick();
    const r3 = await u.runs.start({ mode: 'paper' });
    expect(await codes()).toEqual([]);
    await r3.finish('SUCCEEDED');
    u.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order' }, 'MISSING_CREDENTIALS');
    await u.flush();
    await tick();
    const backtest = await u.runs.start({ mode: 'shadow', jobKind: 'backtest' });
    await backtest.finish('SUCCEEDED');
    expect(await codes('live')).toEqual(['BOT_BLOCKED_ATTEMPT']);
    expect(await codes('shadow')).toEqual([]);
    await u.close();
  });

  it('a run lost without a word (kill -9) is ended HEARTBEAT_LOST when the bot starts again; a new run is the retry of a blocked attempt', async () => {
    const bot = randomUUID();
    const codes = async (mode?: 'live' | 'paper' | 'shadow') => (await botBlockers(db.pool, bot, 60_000, mode)).map((b) => b.code);
    const lost = await startRun(db.pool, { botId: bot, mode: 'paper' });
    await db.pool.query(`update bot_runs set heartbeat_at = now() - interval '10 minutes' where id = $1`, [lost.id]);
    expect(await codes('paper')).toEqual(['BOT_HEARTBEAT_STALE']);
    const next = await startRun(db.pool, { botId: bot, mode: 'paper' });
    const { rows } = await db.pool.query('select status, reason_code from bot_runs where id = $1', [lost.id]);
    expect(rows[0]).toEqual({ status: 'FAILED', reason_code: 'HEARTBEAT_LOST' });
    expect(await codes('paper')).toEqual([]); // the new run started after the lost one ended
    // a blocked attempt in this run blocks; the next run (the retry) clears it, and a repeat of the cause blocks again
    const u = recorder(bot);
    u.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order', runId: next.id }, 'MISSING_CREDENTIALS');
    await u.flush();
    expect(await codes('paper')).toEqual(['BOT_BLOCKED_ATTEMPT']);
    await new Promise((r) => setTimeout(r, 5));
    await finishRun(db.pool, next.id, 'CANCELLED');
    const retry = await startRun(db.pool, { botId: bot, mode: 'paper' });
    expect(await codes('paper')).toEqual([]);
    u.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order', runId: retry.id }, 'MISSING_CREDENTIALS');
    await u.close();
    expect(await codes('paper')).toEqual(['BOT_BLOCKED_ATTEMPT']);
  });

  it('a healthy bot has none; an unknown bot is BOT_UNKNOWN (fail-closed)', async () => {
    expect(await botBlockers(db.pool, quietBot, 60_000)).toEqual([]);
    expect((await botBlockers(db.pool, randomUUID(), 60_000)).map((x) => x.code)).toEqual(['BOT_UNKNOWN']);
  });
});
