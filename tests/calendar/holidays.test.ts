/**
 * Holidays from rules: the 2025–2027 reference table (derived by hand from the CME Globex equity
 * holiday rules; 2026 values cross-checked against CME's published 2026 schedule) as fixtures,
 * every other weekday of those years regular, and how sessions look around a full close and an
 * early close. Close instants are written in UTC by hand (CST = UTC−6, CDT = UTC−5).
 */
import { describe, expect, it } from 'vitest';
import { CME_EQUITY_HOLIDAYS, formatDay, holidaysOfYear, parseDay, sessionAt, tradeDay } from '../../src/core/calendar/index.js';
import { easterSunday } from '../../src/core/calendar/civil.js';

const G = 'equity_index';
const Z = (s: string) => Date.parse(s);

/** [trade date, 'closed' | UTC instant of the early close, holiday name] */
const REFERENCE: Array<[string, string, string]> = [
  ['2025-01-01', 'closed', "New Year's Day"],
  ['2025-01-20', '2025-01-20T18:00:00Z', 'Martin Luther King Jr. Day'],
  ['2025-02-17', '2025-02-17T18:00:00Z', "Presidents' Day"],
  ['2025-04-18', 'closed', 'Good Friday'],
  ['2025-05-26', '2025-05-26T17:00:00Z', 'Memorial Day'],
  ['2025-06-19', '2025-06-19T17:00:00Z', 'Juneteenth'],
  ['2025-07-03', '2025-07-03T17:15:00Z', 'Day before Independence Day'],
  ['2025-07-04', '2025-07-04T17:00:00Z', 'Independence Day'],
  ['2025-09-01', '2025-09-01T17:00:00Z', 'Labor Day'],
  ['2025-11-27', '2025-11-27T18:00:00Z', 'Thanksgiving'],
  ['2025-11-28', '2025-11-28T18:15:00Z', 'Day after Thanksgiving'],
  ['2025-12-24', '2025-12-24T18:15:00Z', 'Christmas Eve'],
  ['2025-12-25', 'closed', 'Christmas'],
  ['2026-01-01', 'closed', "New Year's Day"],
  ['2026-01-19', '2026-01-19T18:00:00Z', 'Martin Luther King Jr. Day'],
  ['2026-02-16', '2026-02-16T18:00:00Z', "Presidents' Day"],
  ['2026-04-03', '2026-04-03T13:15:00Z', 'Good Friday'],
  ['2026-05-25', '2026-05-25T17:00:00Z', 'Memorial Day'],
  ['2026-06-19', '2026-06-19T17:00:00Z', 'Juneteenth'],
  ['2026-07-03', '2026-07-03T17:00:00Z', 'Independence Day'], // July 4 is a Saturday
  ['2026-09-07', '2026-09-07T17:00:00Z', 'Labor Day'],
  ['2026-11-26', '2026-11-26T18:00:00Z', 'Thanksgiving'],
  ['2026-11-27', '2026-11-27T18:15:00Z', 'Day after Thanksgiving'],
  ['2026-12-24', '2026-12-24T18:15:00Z', 'Christmas Eve'],
  ['2026-12-25', 'closed', 'Christmas'],
  ['2027-01-01', 'closed', "New Year's Day"],
  ['2027-01-18', '2027-01-18T18:00:00Z', 'Martin Luther King Jr. Day'],
  ['2027-02-15', '2027-02-15T18:00:00Z', "Presidents' Day"],
  ['2027-03-26', 'closed', 'Good Friday'], // closed by default until CME publishes 2027
  ['2027-05-31', '2027-05-31T17:00:00Z', 'Memorial Day'],
  ['2027-06-18', '2027-06-18T17:00:00Z', 'Juneteenth'], // June 19 is a Saturday
  ['2027-07-05', '2027-07-05T17:00:00Z', 'Independence Day'], // July 4 is a Sunday
  ['2027-09-06', '2027-09-06T17:00:00Z', 'Labor Day'],
  ['2027-11-25', '2027-11-25T18:00:00Z', 'Thanksgiving'],
  ['2027-11-26', '2027-11-26T18:15:00Z', 'Day after Thanksgiving'],
  ['2027-12-24', 'closed', 'Christmas'], // December 25 is a Saturday
];

describe('2025–2027 reference table', () => {
  it.each(REFERENCE)('%s: %s (%s)', (date, what, name) => {
    const d = tradeDay(G, parseDay(date)!);
    expect(d.name).toBe(name);
    expect(d.source).toBe('rule');
    if (what === 'closed') {
      expect(d.status).toBe('closed');
      expect(d.intervals).toEqual([]);
    } else {
      expect(d.status).toBe('early_close');
      expect(d.close).toBe(Z(what));
    }
  });

  it('every other weekday of 2025–2027 is a regular session (nothing extra, nothing missing)', () => {
    const listed = new Set(REFERENCE.map((r) => r[0]));
    let regular = 0;
    for (let d = parseDay('2025-01-01')!; d <= parseDay('2027-12-31')!; d++) {
      const r = tradeDay(G, d);
      if (listed.has(formatDay(d))) continue;
      const weekday = new Date(d * 86_400_000).getUTCDay();
      expect(r.status, formatDay(d)).toBe(weekday === 0 || weekday === 6 ? 'none' : 'regular');
      if (r.status === 'regular') regular++;
    }
    // 261 + 261 + 261 weekdays in 2025, 2026, 2027 minus the 36 listed dates
    expect(regular).toBe(261 * 3 - REFERENCE.length);
    expect(tradeDay(G, parseDay('2027-12-31')!).status).toBe('regular'); // Jan 1 2028 is a Saturday: not observed
  });

  it('holidaysOfYear returns exactly the table’s dates', () => {
    for (const year of [2025, 2026, 2027]) {
      const got = [...holidaysOfYear(CME_EQUITY_HOLIDAYS, year).keys()].map(formatDay).sort();
      expect(got).toEqual(REFERENCE.filter((r) => r[0].startsWith(String(year))).map((r) => r[0]));
    }
  });
});

describe('rule details', () => {
  it('Easter dates (Good Friday = Easter − 2) match published Easter Sundays', () => {
    const easter: Record<number, string> = {
      2015: '2015-04-05',
      2021: '2021-04-04',
      2024: '2024-03-31',
      2025: '2025-04-20',
      2026: '2026-04-05',
      2027: '2027-03-28',
      2038: '2038-04-25',
    };
    for (const [y, d] of Object.entries(easter)) expect(formatDay(easterSunday(Number(y)))).toBe(d);
  });

  it('observance: Saturday Jan 1 is not observed, Saturday Dec 25 moves to Friday, Sunday Juneteenth to Monday', () => {
    expect(tradeDay(G, parseDay('2021-12-31')!).status).toBe('regular'); // Jan 1 2022 is a Saturday
    expect(tradeDay(G, parseDay('2023-01-02')!)).toMatchObject({ status: 'closed', name: "New Year's Day" }); // Sunday → Monday
    expect(tradeDay(G, parseDay('2021-12-24')!)).toMatchObject({ status: 'closed', name: 'Christmas' });
    expect(tradeDay(G, parseDay('2022-06-20')!)).toMatchObject({ status: 'early_close', name: 'Juneteenth' });
    expect(tradeDay(G, parseDay('2021-06-18')!).status).toBe('regular'); // before Juneteenth was a holiday
  });

  it('dated holiday rule changes: 10:30 CT halts until 2013/2014, Good Friday by year', () => {
    expect(tradeDay(G, parseDay('2013-11-28')!).close).toBe(Z('2013-11-28T16:30:00Z')); // Thanksgiving 10:30 CST
    expect(tradeDay(G, parseDay('2014-11-27')!).close).toBe(Z('2014-11-27T18:00:00Z')); // 12:00 CST
    expect(tradeDay(G, parseDay('2014-01-20')!).close).toBe(Z('2014-01-20T16:30:00Z')); // MLK 10:30 through 2014
    expect(tradeDay(G, parseDay('2015-01-19')!).close).toBe(Z('2015-01-19T18:00:00Z'));
    expect(tradeDay(G, parseDay('2021-04-02')!)).toMatchObject({ status: 'early_close', close: Z('2021-04-02T13:15:00Z') });
    expect(tradeDay(G, parseDay('2022-04-15')!).status).toBe('closed');
    expect(tradeDay(G, parseDay('2023-04-07')!)).toMatchObject({ status: 'early_close', close: Z('2023-04-07T13:15:00Z') });
    expect(tradeDay(G, parseDay('2024-03-29')!).status).toBe('closed');
  });
});

describe('sessions around holidays', () => {
  it('a full close (Christmas 2025, Thursday): no session Thursday; Friday’s opens Thursday 17:00 CT', () => {
    expect(sessionAt(G, Z('2025-12-25T16:00:00Z'))).toMatchObject({ state: 'closed', reason: { kind: 'holiday', name: 'Christmas' } });
    expect(sessionAt(G, Z('2025-12-25T16:00:00Z')).nextOpen).toBe(Z('2025-12-25T23:00:00Z'));
    expect(sessionAt(G, Z('2025-12-25T23:00:00Z'))).toMatchObject({ state: 'open', tradeDate: '2025-12-26' });
  });

  it('an early close (Thanksgiving Friday 2025, 12:15 CT): open until 12:15, then closed for the weekend', () => {
    const before = sessionAt(G, Z('2025-11-28T18:14:00Z'));
    expect(before).toMatchObject({ state: 'open', earlyClose: { kind: 'early_close', name: 'Day after Thanksgiving' }, nextClose: Z('2025-11-28T18:15:00Z') });
    const after = sessionAt(G, Z('2025-11-28T18:15:00Z'));
    expect(after).toMatchObject({ state: 'closed', reason: { kind: 'early_close', name: 'Day after Thanksgiving' }, nextOpen: Z('2025-11-30T23:00:00Z') });
    expect(sessionAt(G, Z('2025-11-28T22:30:00Z')).reason.kind).toBe('weekend');
  });

  it('Thanksgiving Thursday: halt at 12:00 CT, reopen 17:00 CT for Friday', () => {
    expect(sessionAt(G, Z('2025-11-27T18:30:00Z'))).toMatchObject({
      state: 'closed',
      reason: { kind: 'early_close', name: 'Thanksgiving' },
      nextOpen: Z('2025-11-27T23:00:00Z'),
    });
  });

  it('Good Friday 2025 closed: Thursday’s break is no break, the market stays shut until Sunday', () => {
    const s = sessionAt(G, Z('2025-04-17T21:30:00Z')); // Thu 16:30 CDT
    expect(s).toMatchObject({ state: 'closed', reason: { kind: 'holiday', name: 'Good Friday' }, nextOpen: Z('2025-04-20T22:00:00Z') });
    expect(sessionAt(G, Z('2025-04-19T12:00:00Z')).reason.kind).toBe('weekend');
  });

  it('New Year’s Day on a Monday (2024): no Sunday open; Tuesday’s session opens Monday 17:00 CT', () => {
    expect(sessionAt(G, Z('2023-12-31T23:30:00Z'))).toMatchObject({
      state: 'closed',
      reason: { kind: 'holiday', name: "New Year's Day" },
      nextOpen: Z('2024-01-01T23:00:00Z'),
    });
  });

  it('MLK 2026: Sunday 17:00 CT open, Monday 12:00 CT halt, 17:00 CT resume', () => {
    expect(sessionAt(G, Z('2026-01-18T23:00:00Z'))).toMatchObject({ state: 'open', tradeDate: '2026-01-19', sessionClose: Z('2026-01-19T18:00:00Z') });
    expect(sessionAt(G, Z('2026-01-19T19:00:00Z'))).toMatchObject({ state: 'closed', reason: { kind: 'early_close', name: 'Martin Luther King Jr. Day' } });
    expect(sessionAt(G, Z('2026-01-19T23:00:00Z'))).toMatchObject({ state: 'open', tradeDate: '2026-01-20' });
  });
});
