/**
 * db/trading-state.ts over a real database: the audit rows, the state derived from them (expiry,
 * most recent wins), the two-person rule, bad input writing nothing, and the database refusing
 * UPDATE / DELETE / TRUNCATE; the views and the gate reading it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { freshDatabase, type TestDb } from '../helpers/db.js';
import { applyTradingChange, autonomyView, tradingStateView } from '../../src/core/views.js';
import type { TradingCommandInput } from '../../src/core/db/trading-state.js';
import { newTraceId } from '../../src/core/trace.js';
import { loadConfig } from '../../src/core/config.js';
import { loadRegistry } from '../../src/core/vendors/registry.js';
import { startRun } from '../../src/core/ingest.js';

let db: TestDb;
const BOT = randomUUID();
const USER = randomUUID();
const config = loadConfig({ env: { OBSERVATORY_HOME: '/nonexistent-obs-home' } });
const registry = loadRegistry(config);

const cmd = (over: Partial<TradingCommandInput>): TradingCommandInput => ({
  command: 'halt',
  scope: 'global',
  target: '*',
  reason: 'drill',
  actor: 'alice',
  twoPerson: false,
  requestTtlMs: 60_000,
  knownIntegrations: registry.integrations.map((s) => s.name),
  traceId: newTraceId(),
  ...over,
});
const rows = async () => (await db.pool.query('select count(*)::int as n from trading_state_changes')).rows[0].n as number;

beforeAll(async () => {
  db = await freshDatabase();
  await startRun(db.pool, { botId: BOT, mode: 'paper', userId: USER });
});

describe('the audit and the state derived from it', () => {
  it('each scope: halt, reduce and resume are rows with previous state, actor, reason, trace_id; the view lists what is in force', async () => {
    for (const [scope, target] of [
      ['global', '*'],
      ['account', USER],
      ['bot', BOT],
      ['integration', 'tradovate'],
    ] as const) {
      const h = await applyTradingChange(db.pool, cmd({ scope, target }));
      expect(h.change).toMatchObject({ scope, target, state: 'HALTED', previous_state: 'ACTIVE', actor: 'alice', reason: 'drill', kind: 'change' });
      expect(h.in_force.find((s) => s.scope === scope)).toMatchObject({ state: 'HALTED', actor: 'alice', trace_id: h.change.trace_id });
      const r = await applyTradingChange(db.pool, cmd({ command: 'reduce', scope, target, actor: 'bob' }));
      expect(r.change).toMatchObject({ state: 'REDUCING', previous_state: 'HALTED', actor: 'bob' });
      const a = await applyTradingChange(db.pool, cmd({ command: 'resume', scope, target }));
      expect(a.change).toMatchObject({ state: 'ACTIVE', previous_state: 'REDUCING' });
      expect(a.in_force.find((s) => s.scope === scope)).toBeUndefined();
    }
    const v = await tradingStateView(db.pool, { recent: 50 });
    expect(v.in_force).toEqual([]);
    expect(v.global).toBe('ACTIVE');
    expect(v.recent).toHaveLength(12);
  });

  it('an expired row stops counting: the newest older row in force applies again', async () => {
    await applyTradingChange(db.pool, cmd({ command: 'reduce', scope: 'bot', target: BOT }));
    await applyTradingChange(db.pool, cmd({ scope: 'bot', target: BOT, ttlMs: 300 }));
    expect((await tradingStateView(db.pool)).in_force.find((s) => s.scope === 'bot')?.state).toBe('HALTED');
    await new Promise((r) => setTimeout(r, 400));
    expect((await tradingStateView(db.pool)).in_force.find((s) => s.scope === 'bot')?.state).toBe('REDUCING');
    await applyTradingChange(db.pool, cmd({ command: 'resume', scope: 'bot', target: BOT }));
  });

  it('the gate: HALTED global blocks every mode with TRADING_HALTED; a halted bot blocks that bot; REDUCING blocks with TRADING_REDUCING', async () => {
    const h = await applyTradingChange(db.pool, cmd({ reason: 'gate drill' }));
    for (const mode of ['paper', 'shadow'] as const) {
      const v = await autonomyView(db.pool, registry, config, { mode });
      const b = v.blockers.find((x) => x.code === 'TRADING_HALTED');
      expect(b).toMatchObject({ trace_id: h.change.trace_id, fix: 'observatory resume --global --reason "<why it is safe again>"' });
      expect(b?.trading_state).toMatchObject({ actor: 'alice', reason: 'gate drill', since: h.change.created_at });
    }
    await applyTradingChange(db.pool, cmd({ command: 'resume' }));
    await applyTradingChange(db.pool, cmd({ scope: 'account', target: USER }));
    const byAccount = await autonomyView(db.pool, registry, config, { mode: 'shadow', botId: BOT });
    expect(byAccount.blockers.map((b) => b.code)).toContain('TRADING_HALTED');
    expect((await autonomyView(db.pool, registry, config, { mode: 'shadow' })).blockers.map((b) => b.code)).not.toContain('TRADING_HALTED');
    await applyTradingChange(db.pool, cmd({ command: 'reduce', scope: 'account', target: USER }));
    const reducing = await autonomyView(db.pool, registry, config, { mode: 'shadow', botId: BOT });
    expect(reducing.blockers.map((b) => b.code)).toContain('TRADING_REDUCING');
    await applyTradingChange(db.pool, cmd({ command: 'resume', scope: 'account', target: USER }));
  });
});

describe('bad input: one clear error, no row written', () => {
  it.each([
    ['unknown bot', { scope: 'bot' as const, target: randomUUID() }, /unknown bot/],
    ['unknown account', { scope: 'account' as const, target: randomUUID() }, /unknown account/],
    ['unknown integration', { scope: 'integration' as const, target: 'nope' }, /unknown integration 'nope'/],
    ['resume with nothing halted', { command: 'resume' as const }, /nothing to resume: global is ACTIVE/],
    ['expiry in the past', { until: new Date(Date.now() - 60_000) }, /in the past/],
    ['resume with a ttl', { command: 'resume' as const, ttlMs: 1000 }, /no --ttl|nothing to resume/],
  ])('%s', async (_name, over, msg) => {
    const before = await rows();
    const err = await applyTradingChange(db.pool, cmd(over)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'USAGE', exitCode: 64 });
    expect(String((err as Error).message)).toMatch(msg);
    expect(await rows()).toBe(before);
  });
});

describe('two-person resume', () => {
  it('a resume is a request until a different actor confirms it (its own row); the same actor is refused, nothing written', async () => {
    await applyTradingChange(db.pool, cmd({ reason: 'two-person drill' }));
    const req = await applyTradingChange(db.pool, cmd({ command: 'resume', twoPerson: true, actor: 'alice' }));
    expect(req.pending).toBe(true);
    expect(req.change).toMatchObject({ kind: 'request', state: 'ACTIVE', previous_state: 'HALTED' });
    expect(req.in_force.find((s) => s.scope === 'global')?.state).toBe('HALTED');
    expect((await tradingStateView(db.pool)).pending.map((p) => p.id)).toEqual([req.change.id]);

    const before = await rows();
    const same = await applyTradingChange(db.pool, cmd({ command: 'resume', twoPerson: true, actor: 'alice' })).catch((e: unknown) => e);
    expect(same).toMatchObject({ exitCode: 64 });
    expect(String((same as Error).message)).toMatch(/second, different actor/);
    expect(await rows()).toBe(before);

    const ok = await applyTradingChange(db.pool, cmd({ command: 'resume', twoPerson: true, actor: 'bob' }));
    expect(ok.pending).toBe(false);
    expect(ok.change).toMatchObject({ kind: 'confirm', confirms: req.change.id, actor: 'bob', state: 'ACTIVE' });
    expect(ok.in_force).toEqual([]);
    expect((await tradingStateView(db.pool)).pending).toEqual([]);
  });
});

describe('append-only in the database', () => {
  it.each(['update trading_state_changes set reason = $$x$$', 'delete from trading_state_changes', 'truncate trading_state_changes'])(
    '%s is refused (OB001)',
    async (sql) => {
      const before = await rows();
      expect(before).toBeGreaterThan(0);
      await expect(db.pool.query(sql)).rejects.toMatchObject({ code: 'OB001' });
      expect(await rows()).toBe(before);
    },
  );
});
