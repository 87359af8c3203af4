/**
 * Weekly sessions of CME Globex equity index futures at their edges: Sunday open, daily break,
 * Friday close, DST changes in Chicago, the dated schedule changes. Expected instants are written
 * in UTC by hand (CST = UTC−6, CDT = UTC−5), not computed with the code under test.
 */
import { describe, expect, it } from 'vitest';
import { isObservatoryError } from '../../src/core/errors.js';
import {
  isOpen,
  notBeforeCalendar,
  openSecondsBetween,
  productGroup,
  sessionAt,
  sessionMarkers,
  sessionsBetween,
  tradeDateOf,
  tradeDay,
  parseDay,
} from '../../src/core/calendar/index.js';

const G = 'equity_index';
const Z = (s: string) => Date.parse(s);
const at = (s: string) => sessionAt(G, Z(s));

describe('weekly session template', () => {
  it('opens Sunday 17:00 CT for Monday’s trade date and closes Monday 16:00 CT', () => {
    expect(at('2025-01-12T22:59:59Z')).toMatchObject({ state: 'closed', reason: { kind: 'weekend' }, nextOpen: Z('2025-01-12T23:00:00Z') });
    const s = at('2025-01-12T23:00:00Z');
    expect(s).toMatchObject({ state: 'open', tradeDate: '2025-01-13', sessionOpen: Z('2025-01-12T23:00:00Z'), sessionClose: Z('2025-01-13T22:00:00Z') });
    expect(s.nextClose).toBe(Z('2025-01-13T22:00:00Z'));
  });

  it('has the daily 16:00–17:00 CT maintenance break Monday–Thursday', () => {
    expect(at('2025-01-14T21:59:59Z').state).toBe('open');
    const b = at('2025-01-14T22:00:00Z');
    expect(b).toMatchObject({ state: 'break', reason: { kind: 'maintenance' }, tradeDate: null });
    expect(b.sessionClose).toBe(Z('2025-01-14T22:00:00Z'));
    expect(b.nextOpen).toBe(Z('2025-01-14T23:00:00Z'));
    expect(b.nextClose).toBe(Z('2025-01-15T22:00:00Z'));
    expect(at('2025-01-14T22:59:59.999Z').state).toBe('break');
    expect(at('2025-01-14T23:00:00Z')).toMatchObject({ state: 'open', tradeDate: '2025-01-15' });
  });

  it('closes Friday 16:00 CT for the weekend and reopens Sunday 17:00 CT', () => {
    expect(at('2025-01-17T21:59:00Z').state).toBe('open');
    const w = at('2025-01-17T22:00:00Z');
    expect(w).toMatchObject({ state: 'closed', reason: { kind: 'weekend' }, nextOpen: Z('2025-01-19T23:00:00Z') });
    expect(at('2025-01-18T12:00:00Z').reason.kind).toBe('weekend');
    expect(at('2025-01-19T22:30:00Z').reason.kind).toBe('weekend');
    // the most recent session is still reported on Saturday
    expect(at('2025-01-18T12:00:00Z').sessionClose).toBe(Z('2025-01-17T22:00:00Z'));
  });

  it('while open, next_open is the reopening after the current stretch', () => {
    expect(at('2025-01-14T15:00:00Z').nextOpen).toBe(Z('2025-01-14T23:00:00Z'));
    expect(at('2025-01-17T15:00:00Z').nextOpen).toBe(Z('2025-01-19T23:00:00Z'));
  });

  it('isOpen agrees with sessionAt at every 7 minutes of a week', () => {
    for (let t = Z('2025-03-03T00:00:00Z'); t < Z('2025-03-10T00:00:00Z'); t += 7 * 60_000) expect(isOpen(G, t)).toBe(sessionAt(G, t).state === 'open');
  });
});

describe('DST changes in Chicago', () => {
  it('March: the Sunday 17:00 CT open moves from 23:00Z to 22:00Z', () => {
    expect(at('2026-03-01T23:00:00Z')).toMatchObject({ state: 'open', tradeDate: '2026-03-02' }); // CST
    expect(at('2026-03-01T22:30:00Z').state).toBe('closed');
    expect(at('2026-03-08T21:59:59Z')).toMatchObject({ state: 'closed', nextOpen: Z('2026-03-08T22:00:00Z') });
    expect(at('2026-03-08T22:00:00Z')).toMatchObject({ state: 'open', tradeDate: '2026-03-09' }); // CDT
    // Friday before closed 16:00 CST, Monday after closes 16:00 CDT
    expect(at('2026-03-06T22:00:00Z').state).toBe('closed');
    expect(at('2026-03-09T21:00:00Z').state).toBe('break');
  });

  it('November: the Sunday 17:00 CT open moves from 22:00Z to 23:00Z', () => {
    expect(at('2026-10-25T22:00:00Z').state).toBe('open'); // CDT
    expect(at('2026-11-01T22:00:00Z').state).toBe('closed');
    expect(at('2026-11-01T23:00:00Z')).toMatchObject({ state: 'open', tradeDate: '2026-11-02' }); // CST
    expect(at('2026-11-02T22:00:00Z').state).toBe('break');
    expect(at('2026-11-02T21:59:00Z').state).toBe('open');
  });

  it('the weeks of the changes still have five 23-hour sessions', () => {
    for (const [from, to] of [
      ['2026-03-06T23:00:00Z', '2026-03-14T00:00:00Z'],
      ['2026-10-30T23:00:00Z', '2026-11-07T00:00:00Z'],
    ])
      expect(openSecondsBetween(G, Z(from), Z(to))).toBe(5 * 23 * 3600);
  });

  it('the DST instants themselves fall on a closed weekend', () => {
    expect(at('2026-03-08T08:00:00Z').reason.kind).toBe('weekend');
    expect(at('2026-11-01T07:00:00Z').reason.kind).toBe('weekend');
  });
});

describe('dated schedule changes', () => {
  it('before trade date 2021-06-28: a 15:15–15:30 CT pause; from then on none', () => {
    const p = at('2021-06-25T20:20:00Z'); // Fri 15:20 CDT
    expect(p).toMatchObject({ state: 'break', reason: { kind: 'pause' }, tradeDate: '2021-06-25', nextOpen: Z('2021-06-25T20:30:00Z') });
    expect(at('2021-06-25T20:14:59Z').nextClose).toBe(Z('2021-06-25T20:15:00Z'));
    expect(at('2021-06-25T20:30:00Z').state).toBe('open');
    expect(at('2021-06-28T20:20:00Z')).toMatchObject({ state: 'open', tradeDate: '2021-06-28', nextClose: Z('2021-06-28T21:00:00Z') });
    expect(openSecondsBetween(G, Z('2021-06-24T22:00:00Z'), Z('2021-06-25T21:00:00Z'))).toBe(23 * 3600 - 15 * 60);
    expect(openSecondsBetween(G, Z('2021-06-27T22:00:00Z'), Z('2021-06-28T21:00:00Z'))).toBe(23 * 3600);
  });

  it('before trade date 2015-09-21 the session closed 16:15 CT, from then on 16:00 CT', () => {
    expect(tradeDay(G, parseDay('2015-09-18')!).close).toBe(Z('2015-09-18T21:15:00Z'));
    expect(at('2015-09-18T21:10:00Z').state).toBe('open');
    expect(tradeDay(G, parseDay('2015-09-21')!).close).toBe(Z('2015-09-21T21:00:00Z'));
    expect(at('2015-09-21T21:10:00Z')).toMatchObject({ state: 'break', reason: { kind: 'maintenance' } });
  });

  it('refuses instants before the first trade date it models (2012-11-19) with a usage error', () => {
    let err: unknown;
    try {
      at('2012-11-01T15:00:00Z');
    } catch (e) {
      err = e;
    }
    expect(isObservatoryError(err) && err.exitCode).toBe(64);
    expect(String((err as Error).message)).toMatch(/first trade date 2012-11-19/);
    expect(at('2012-11-18T23:00:00Z')).toMatchObject({ state: 'open', tradeDate: '2012-11-19' });
    // the calendar starts at that first open (Sun 17:00 CST), to the millisecond
    expect(() => at('2012-11-18T22:59:59.999Z')).toThrow(/first trade date 2012-11-19/);
    const g = productGroup(G);
    expect(notBeforeCalendar(g, Z('2012-11-01T00:00:00Z'))).toBe(Z('2012-11-18T23:00:00Z'));
    expect(notBeforeCalendar(g, Z('2012-11-18T23:00:00.001Z'))).toBe(Z('2012-11-18T23:00:00.001Z'));
    expect(notBeforeCalendar(g, Z('2026-01-05T12:00:00Z'))).toBe(Z('2026-01-05T12:00:00Z'));
    expect(notBeforeCalendar(g, NaN)).toBeNaN();
  });
});

describe('trade dates', () => {
  it('an instant belongs to the trade date whose hours contain it; a weekend to Monday', () => {
    expect(tradeDateOf(G, Z('2025-01-14T23:30:00Z'))).toBe('2025-01-15');
    expect(tradeDateOf(G, Z('2025-01-14T22:30:00Z'))).toBe('2025-01-15');
    expect(tradeDateOf(G, Z('2025-01-14T15:00:00Z'))).toBe('2025-01-14');
    expect(tradeDateOf(G, Z('2025-01-18T12:00:00Z'))).toBe('2025-01-20');
  });

  it('sessionsBetween lists the sessions of a span (a holiday week has four)', () => {
    const s = sessionsBetween(G, Z('2025-12-21T00:00:00Z'), Z('2025-12-27T00:00:00Z'));
    expect(s.map((d) => `${d.date}:${d.status}`)).toEqual(['2025-12-22:regular', '2025-12-23:regular', '2025-12-24:early_close', '2025-12-26:regular']);
  });

  it('sessionMarkers gives the opens and closes of a span, early closes named', () => {
    const m = sessionMarkers(G, Z('2025-11-26T00:00:00Z'), Z('2025-11-29T00:00:00Z'));
    expect(m.map((x) => [new Date(x.at).toISOString(), x.kind, x.tradeDate, x.earlyClose ?? ''])).toEqual([
      ['2025-11-26T22:00:00.000Z', 'close', '2025-11-26', ''],
      ['2025-11-26T23:00:00.000Z', 'open', '2025-11-27', ''],
      ['2025-11-27T18:00:00.000Z', 'close', '2025-11-27', 'Thanksgiving'],
      ['2025-11-27T23:00:00.000Z', 'open', '2025-11-28', ''],
      ['2025-11-28T18:15:00.000Z', 'close', '2025-11-28', 'Day after Thanksgiving'],
    ]);
  });
});
