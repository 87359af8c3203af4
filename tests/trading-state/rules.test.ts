/** core/trading-state.ts: scopes, states, what an order may do, and the input rules (pure). */
import { describe, expect, it } from 'vitest';
import {
  decideOrder,
  effectiveState,
  normalizeReason,
  normalizeTarget,
  reducesExposure,
  resumeCommand,
  type ScopeInForce,
} from '../../src/core/trading-state.js';
import { tradingStateBlockers } from '../../src/core/autonomy.js';
import { loadConfig } from '../../src/core/config.js';
import { loadRegistry } from '../../src/core/vendors/registry.js';

const BOT = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const USER = '33333333-3333-4333-8333-333333333333';
const s = (scope: ScopeInForce['scope'], target: string, state: ScopeInForce['state']): ScopeInForce => ({
  scope,
  target,
  state,
  actor: 'alice',
  reason: 'drill',
  since: '2026-01-01T00:00:00Z',
  expires_at: null,
  trace_id: 'a'.repeat(32),
  change_id: '1',
});
const order = { integration: 'tradovate', side: 'buy' as const, qty: 1, position: 0, botId: BOT, userId: USER };

describe('effective state: most restrictive over the order’s scopes', () => {
  it.each([
    ['global', '*'],
    ['account', USER],
    ['bot', BOT],
    ['integration', 'tradovate'],
  ] as const)('a HALTED %s scope covers the order; the same scope on another target does not', (scope, target) => {
    expect(effectiveState([s(scope, target, 'HALTED')], order).state).toBe('HALTED');
    if (scope !== 'global') {
      const other = scope === 'integration' ? 'ironbeam' : OTHER;
      expect(effectiveState([s(scope, other, 'HALTED')], order).state).toBe('ACTIVE');
    }
  });

  it('HALTED beats REDUCING whichever scope holds it; the cause is the deciding scope', () => {
    const e = effectiveState([s('global', '*', 'REDUCING'), s('integration', 'tradovate', 'HALTED')], order);
    expect(e.state).toBe('HALTED');
    expect(e.cause?.scope).toBe('integration');
    expect(e.covering).toHaveLength(2);
    expect(effectiveState([s('bot', BOT, 'REDUCING')], order).state).toBe('REDUCING');
    expect(effectiveState([], order)).toEqual({ state: 'ACTIVE', cause: null, covering: [] });
  });
});

describe('what an order may do', () => {
  it('ACTIVE: anything', () => {
    expect(decideOrder([], order)).toMatchObject({ allowed: true, state: 'ACTIVE', reason_code: null });
  });
  it('HALTED: no new orders, no modifications, even reducing ones; cancels allowed', () => {
    const h = [s('global', '*', 'HALTED')];
    expect(decideOrder(h, order)).toMatchObject({ allowed: false, reason_code: 'HALTED' });
    expect(decideOrder(h, { ...order, side: 'sell', position: 2 })).toMatchObject({ allowed: false, reason_code: 'HALTED' });
    expect(decideOrder(h, { ...order, action: 'modify' })).toMatchObject({ allowed: false, reason_code: 'HALTED' });
    expect(decideOrder(h, { ...order, action: 'cancel' })).toMatchObject({ allowed: true });
    expect(decideOrder(h, order).message).toContain('by alice (global): drill');
  });
  it('REDUCING: only orders that reduce exposure, never past flat; cancels allowed', () => {
    const r = [s('account', USER, 'REDUCING')];
    expect(decideOrder(r, { ...order, side: 'sell', qty: 2, position: 2 })).toMatchObject({ allowed: true, state: 'REDUCING' });
    expect(decideOrder(r, { ...order, side: 'buy', qty: 1, position: -3 })).toMatchObject({ allowed: true });
    expect(decideOrder(r, { ...order, side: 'buy', qty: 1, position: 2 })).toMatchObject({ allowed: false, reason_code: 'REDUCING' });
    expect(decideOrder(r, { ...order, side: 'sell', qty: 3, position: 2 })).toMatchObject({ allowed: false, reason_code: 'REDUCING' });
    expect(decideOrder(r, { ...order, position: 0 })).toMatchObject({ allowed: false, reason_code: 'REDUCING' });
    expect(decideOrder(r, { ...order, action: 'cancel' })).toMatchObject({ allowed: true });
  });
  it('reducesExposure', () => {
    expect(reducesExposure('sell', 1, 1)).toBe(true);
    expect(reducesExposure('sell', 0, 1)).toBe(false);
    expect(reducesExposure('buy', 1, 1)).toBe(false);
  });
});

describe('input rules', () => {
  it('scope and target', () => {
    expect(normalizeTarget('global', undefined)).toEqual({ scope: 'global', target: '*' });
    expect(normalizeTarget('bot', BOT.toUpperCase())).toEqual({ scope: 'bot', target: BOT });
    expect(() => normalizeTarget('desk', 'x')).toThrow(/unknown scope/);
    expect(() => normalizeTarget('bot', 'not-a-uuid')).toThrow(/UUID/);
    expect(() => normalizeTarget('account', '')).toThrow(/target is required/);
    expect(() => normalizeTarget('integration', 'Trado vate')).toThrow(/integration name/);
  });
  it('reason: required, one line', () => {
    expect(() => normalizeReason('   ')).toThrow(/must not be empty/);
    expect(normalizeReason(' runaway\norders ')).toBe('runaway orders');
  });
  it('the fix is the resume command for the scope', () => {
    expect(resumeCommand(s('bot', BOT, 'HALTED'))).toBe(`observatory resume --bot ${BOT} --reason "<why it is safe again>"`);
    expect(resumeCommand(s('global', '*', 'HALTED'))).toContain('--global');
  });
});

describe('gate rules (autonomy.tradingStateBlockers)', () => {
  const registry = loadRegistry(loadConfig({ env: { OBSERVATORY_HOME: '/nonexistent-obs-home' } }));
  const gate = (inForce: ScopeInForce[], mode: 'live' | 'paper' = 'paper', bot?: string, accounts: string[] = []) =>
    tradingStateBlockers({ mode, registry, inForce, botId: bot, accounts, traceId: 'b'.repeat(32) });

  it('HALTED global: TRADING_HALTED with actor, reason, since, the halt’s trace_id and the resume command', () => {
    const { blockers } = gate([s('global', '*', 'HALTED')]);
    expect(blockers).toHaveLength(1);
    expect(blockers[0]).toMatchObject({
      code: 'TRADING_HALTED',
      fix: 'observatory resume --global --reason "<why it is safe again>"',
      trace_id: 'a'.repeat(32),
      trading_state: { scope: 'global', actor: 'alice', reason: 'drill', since: '2026-01-01T00:00:00Z' },
    });
    expect(blockers[0].message).toContain('by alice since 2026-01-01T00:00:00Z: drill');
  });
  it('REDUCING blocks starting a new run (TRADING_REDUCING)', () => {
    expect(gate([s('global', '*', 'REDUCING')]).blockers[0].code).toBe('TRADING_REDUCING');
  });
  it('bot and account scopes cover only that bot / the bot’s accounts', () => {
    expect(gate([s('bot', BOT, 'HALTED')], 'paper', BOT).blockers).toHaveLength(1);
    expect(gate([s('bot', BOT, 'HALTED')], 'paper', OTHER).blockers).toHaveLength(0);
    expect(gate([s('bot', BOT, 'HALTED')], 'paper').blockers).toHaveLength(0);
    expect(gate([s('account', USER, 'HALTED')], 'paper', BOT, [USER]).blockers).toHaveLength(1);
    expect(gate([s('account', USER, 'HALTED')], 'paper', BOT, []).blockers).toHaveLength(0);
  });
  it('integration scope: blocks a mode that cannot do without it, warns where the mode routes around it', () => {
    // risk_engine is required in paper by itself
    expect(gate([s('integration', 'risk_engine', 'HALTED')]).blockers[0]).toMatchObject({ code: 'TRADING_HALTED', integration: 'risk_engine' });
    // live needs one broker: one halted broker is a warning, both halted block
    const one = gate([s('integration', 'tradovate', 'HALTED')], 'live');
    expect(one.blockers).toHaveLength(0);
    expect(one.warnings[0].code).toBe('TRADING_HALTED');
    expect(gate([s('integration', 'tradovate', 'HALTED'), s('integration', 'ironbeam', 'HALTED')], 'live').blockers).toHaveLength(2);
  });
});
