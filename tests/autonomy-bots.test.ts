/** The per-bot gate rules (core/autonomy.ts botBlockers) on real rows written through the SDK. */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { seedBots, type SeededBots } from './helpers/bot-fixtures.js';
import { botBlockers } from '../src/core/autonomy.js';
import { finishRun, startRun } from '../src/core/db/runs.js';

let db: TestDb;
let active: string, simOnly: string, quietBot: string, recovered: string;
let traces: Record<string, string>;
let recorder: SeededBots['recorder'];

beforeAll(async () => {
  db = await freshDatabase();
  ({ active, simOnly, quietBot, recovered, traces, recorder } = await seedBots(db));
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

  it("overlapping runs: an older run ending BLOCKED blocks until a run starts after it; only a success in the gate's mode clears an attempt", async () => {
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
