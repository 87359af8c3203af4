/** Symbol → group map, ES front month and roll, and the shared session view shape. */
import { describe, expect, it } from 'vitest';
import { contractOf, frontMonth, groupOfSymbol, parseCalendarConfig, rootOfSymbol, sessionView } from '../../src/core/calendar/index.js';
import { UsageError } from '../../src/core/errors.js';

const Z = (s: string) => Date.parse(s);

describe('symbols', () => {
  it('maps roots and contract symbols to their group', () => {
    for (const s of ['ES', 'es', '/ES', 'ESZ5', 'ESZ25', 'ES.c.0', 'ES.FUT', 'MES', 'MESH6', 'NQ', 'MNQU5', 'YM', 'RTY', 'M2KZ5'])
      expect(groupOfSymbol(s), s).toBe('equity_index');
    for (const s of ['CL', 'ESX', 'ESZ', 'ZN', '', 'SPY']) expect(groupOfSymbol(s), s).toBeUndefined();
    expect(rootOfSymbol('MESZ25')).toBe('MES');
    expect(rootOfSymbol('ESZ5')).toBe('ES');
  });
});

describe('front month', () => {
  it('ES Dec 2025: expires Fri 2025-12-19 08:30 CST, rolls to March on Thu 2025-12-11', () => {
    expect(frontMonth('ES', Z('2025-12-10T12:00:00Z'))).toEqual({
      root: 'ES',
      year: 2025,
      month: 12,
      code: 'Z',
      symbol: 'ESZ5',
      lastTradeDate: '2025-12-19',
      expiresAt: Z('2025-12-19T14:30:00Z'),
      rollDate: '2025-12-11',
    });
    // Wednesday's session (until 16:00 CST) is the last before the roll; from the 16:00 close on,
    // instants belong to trade date Thursday 12-11, the roll date
    expect(frontMonth('ES', Z('2025-12-10T21:59:00Z')).symbol).toBe('ESZ5');
    expect(frontMonth('ES', Z('2025-12-10T22:00:00Z')).symbol).toBe('ESH6');
  });

  it('walks the quarterly cycle through a year', () => {
    const at = (s: string) => frontMonth('ESZ5', Z(s)).symbol;
    expect(at('2026-01-15T15:00:00Z')).toBe('ESH6');
    expect(at('2026-03-11T15:00:00Z')).toBe('ESH6');
    expect(at('2026-03-12T15:00:00Z')).toBe('ESM6');
    expect(at('2026-06-10T15:00:00Z')).toBe('ESM6');
    expect(at('2026-06-11T15:00:00Z')).toBe('ESU6');
    expect(at('2026-09-10T15:00:00Z')).toBe('ESZ6');
    expect(at('2026-12-10T15:00:00Z')).toBe('ESH7');
    expect(frontMonth('NQ', Z('2029-01-10T15:00:00Z')).symbol).toBe('NQH9');
  });

  it('an expiry day with no session moves to the trade date before', () => {
    const c = parseCalendarConfig({ groups: { equity_index: { closures: [{ date: '2026-03-20', name: 'test closure' }] } } }, 'x');
    expect(contractOf('ES', 2026, 3, c.overrides)).toMatchObject({ lastTradeDate: '2026-03-19', expiresAt: Z('2026-03-19T13:30:00Z') });
    expect(contractOf('ES', 2026, 3)).toMatchObject({ lastTradeDate: '2026-03-20', expiresAt: Z('2026-03-20T13:30:00Z') });
  });

  it('an unknown root is a usage error', () => {
    expect(() => frontMonth('CL', Z('2026-01-15T15:00:00Z'))).toThrow(UsageError);
  });
});

describe('session view (observatory session --json, TUI header, HTTP)', () => {
  it('has the documented fields and values', () => {
    const v = sessionView('equity_index', Z('2025-11-28T17:00:00Z'));
    expect(v).toEqual({
      group: 'equity_index',
      at: '2025-11-28T17:00:00.000Z',
      time_zone: 'America/Chicago',
      state: 'open',
      reason: { kind: 'session', name: null },
      trade_date: '2025-11-28',
      session_open: '2025-11-27T23:00:00.000Z',
      session_close: '2025-11-28T18:15:00.000Z',
      early_close: { kind: 'early_close', name: 'Day after Thanksgiving' },
      next_open: '2025-11-30T23:00:00.000Z',
      next_close: '2025-11-28T18:15:00.000Z',
      seconds_to_next_change: 4500,
      summary: 'open (early close: Day after Thanksgiving); closes Fri 2025-11-28 12:15 CST, in 1h 15m',
    });
  });

  it('counts down to the next open when closed, and survives a JSON round trip', () => {
    const v = sessionView('equity_index', Z('2025-01-14T22:15:30Z'));
    expect(v).toMatchObject({ state: 'break', reason: { kind: 'maintenance', name: null }, seconds_to_next_change: 2670, trade_date: null });
    expect(v.summary).toBe('break (daily maintenance); opens Tue 2025-01-14 17:00 CST, in 44m 30s');
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });
});
