/**
 * Operator overrides from the config file's `calendar` section: they change the sessions as
 * documented, and bad input is refused with one line naming the exact field (exit 78 for the
 * config file, 64 for a command-line argument).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, isObservatoryError, UsageError } from '../../src/core/errors.js';
import { openSecondsBetween, parseAt, parseCalendarConfig, parseDay, sessionAt, sessionView, tradeDay } from '../../src/core/calendar/index.js';

const G = 'equity_index';
const Z = (s: string) => Date.parse(s);

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

const config = parseCalendarConfig(
  {
    groups: {
      equity_index: {
        closures: [
          { date: '2025-01-09', name: 'National Day of Mourning' },
          { from: '2025-03-05T14:00:00-06:00', to: '2025-03-05T15:30:00-06:00', name: 'exchange halt' },
        ],
        early_closes: [
          { date: '2025-04-18', close: '08:15', name: 'Good Friday (CME opened)' },
          { date: '2025-03-12', close: '13:00', name: 'drill' },
        ],
      },
    },
  },
  'config file test.json',
);
const ov = config.overrides;

describe('operator overrides change the sessions', () => {
  it('an extra closure removes a trade date, named as an override', () => {
    expect(tradeDay(G, parseDay('2025-01-09')!, ov)).toMatchObject({ status: 'closed', source: 'override', name: 'National Day of Mourning' });
    expect(sessionAt(G, Z('2025-01-09T15:00:00Z'), ov)).toMatchObject({
      state: 'closed',
      reason: { kind: 'override', name: 'National Day of Mourning' },
      nextOpen: Z('2025-01-09T23:00:00Z'),
    });
    // Wednesday's break is no break: the next day is closed
    expect(sessionAt(G, Z('2025-01-08T22:30:00Z'), ov)).toMatchObject({ state: 'closed', reason: { kind: 'override' } });
    // without overrides the same instants are ordinary
    expect(sessionAt(G, Z('2025-01-09T15:00:00Z')).state).toBe('open');
  });

  it('an extra early close ends the session early and can reopen a rule holiday', () => {
    expect(tradeDay(G, parseDay('2025-03-12')!, ov)).toMatchObject({ status: 'early_close', source: 'override', close: Z('2025-03-12T18:00:00Z') });
    expect(sessionAt(G, Z('2025-03-12T18:30:00Z'), ov)).toMatchObject({ state: 'closed', reason: { kind: 'override', name: 'drill' } });
    const gf = sessionAt(G, Z('2025-04-18T12:00:00Z'), ov);
    expect(gf).toMatchObject({ state: 'open', tradeDate: '2025-04-18', sessionOpen: Z('2025-04-17T22:00:00Z'), sessionClose: Z('2025-04-18T13:15:00Z') });
    expect(sessionAt(G, Z('2025-04-18T12:00:00Z')).state).toBe('closed');
  });

  it('a closure window cuts a session: closed inside it, open again after, counted out of market time', () => {
    expect(sessionAt(G, Z('2025-03-05T20:30:00Z'), ov)).toMatchObject({
      state: 'closed',
      reason: { kind: 'override', name: 'exchange halt' },
      tradeDate: '2025-03-05',
      nextOpen: Z('2025-03-05T21:30:00Z'),
    });
    expect(sessionAt(G, Z('2025-03-05T19:59:00Z'), ov).nextClose).toBe(Z('2025-03-05T20:00:00Z'));
    expect(openSecondsBetween(G, Z('2025-03-04T23:00:00Z'), Z('2025-03-05T22:00:00Z'), ov)).toBe(23 * 3600 - 90 * 60);
  });

  it('the view shows the override', () => {
    expect(sessionView(G, Z('2025-01-09T15:00:00Z'), ov).summary).toBe('closed (override: National Day of Mourning); opens Thu 2025-01-09 17:00 CST, in 8h 0m');
  });

  it('maintenance windows compile per integration', () => {
    const c = parseCalendarConfig(
      {
        maintenance: {
          tradovate: [
            { weekly: { start_day: 'sat', start: '22:00', end_day: 'sun', end: '02:00' }, time_zone: 'America/New_York', name: 'weekend' },
            { calendar_break: 'equity_index' },
            { from: '2025-06-01T00:00:00Z', to: '2025-06-01T04:00:00Z' },
          ],
        },
      },
      'x',
    );
    expect(c.maintenance.get('tradovate')).toEqual([
      { kind: 'weekly', name: 'weekend', timeZone: 'America/New_York', startDay: 6, start: 22 * 60, spanDays: 1, end: 2 * 60 },
      { kind: 'calendar_break', name: 'equity_index daily maintenance break', group: 'equity_index' },
      { kind: 'dated', name: 'scheduled maintenance', from: Z('2025-06-01T00:00:00Z'), to: Z('2025-06-01T04:00:00Z') },
    ]);
  });
});

describe('bad config input: one line naming the field, exit 78', () => {
  const cases: Array<[string, unknown, string]> = [
    [
      'a closure window that ends before it starts',
      { groups: { equity_index: { closures: [{ from: '2025-03-05T15:00:00-06:00', to: '2025-03-05T14:00:00-06:00', name: 'x' }] } } },
      'field `calendar.groups.equity_index.closures.0.to`: the window ends before it starts (expected an instant after `from`)',
    ],
    [
      'a closure window of no length',
      { groups: { equity_index: { closures: [{ from: '2025-03-05T15:00:00Z', to: '2025-03-05T15:00:00Z', name: 'x' }] } } },
      'field `calendar.groups.equity_index.closures.0.to`: the window ends before it starts',
    ],
    [
      'a maintenance window that ends before it starts',
      { maintenance: { ironbeam: [{ from: '2025-06-01T04:00:00Z', to: '2025-06-01T00:00:00Z' }] } },
      'field `calendar.maintenance.ironbeam.0.to`: the window ends before it starts',
    ],
    [
      'a weekly window that ends before it starts on the same day',
      { maintenance: { tradovate: [{ weekly: { start_day: 'sat', start: '22:00', end: '02:00' } }] } },
      'field `calendar.maintenance.tradovate.0.weekly.end`: the window ends before it starts',
    ],
    ['an unknown product group', { groups: { metals: {} } }, 'field `calendar.groups.metals`: unknown product group; known groups: equity_index'],
    [
      'an unknown group for a calendar break',
      { maintenance: { tradovate: [{ calendar_break: 'metals' }] } },
      'field `calendar.maintenance.tradovate.0.calendar_break`: unknown product group; known groups: equity_index',
    ],
    [
      'an early close after the regular close',
      { groups: { equity_index: { early_closes: [{ date: '2025-03-12', close: '16:30', name: 'x' }] } } },
      'field `calendar.groups.equity_index.early_closes.0.close`: expected a time before the regular close 16:00',
    ],
    [
      'a closure on a Saturday',
      { groups: { equity_index: { closures: [{ date: '2025-03-15', name: 'x' }] } } },
      'field `calendar.groups.equity_index.closures.0.date`: not a trade date of equity_index (trade dates fall on mon, tue, wed, thu, fri)',
    ],
    [
      'two overrides for one date',
      { groups: { equity_index: { closures: [{ date: '2025-03-12', name: 'x' }], early_closes: [{ date: '2025-03-12', close: '12:00', name: 'y' }] } } },
      'field `calendar.groups.equity_index.early_closes.0.date`: the same trade date as closures.0.date',
    ],
    [
      'a date that does not exist',
      { groups: { equity_index: { closures: [{ date: '2025-02-30', name: 'x' }] } } },
      'field `calendar.groups.equity_index.closures.0.date`: expected a calendar date YYYY-MM-DD',
    ],
    [
      'a window without a zone',
      { groups: { equity_index: { closures: [{ from: '2025-03-05T14:00:00', to: '2025-03-05T15:00:00Z', name: 'x' }] } } },
      'field `calendar.groups.equity_index.closures.0.from`: expected an ISO 8601 instant with a zone',
    ],
    [
      'a date before the calendar',
      { groups: { equity_index: { closures: [{ date: '2010-03-05', name: 'x' }] } } },
      "before the equity_index calendar's first trade date 2012-11-19",
    ],
    ['an unknown key', { groups: { equity_index: { holidays: [] } } }, 'field `calendar.groups.equity_index`: unknown key(s): holidays'],
    [
      'an unknown time zone',
      { maintenance: { tradovate: [{ weekly: { start_day: 'sat', start: '22:00', end: '23:00' }, time_zone: 'Mars/Olympus' }] } },
      'field `calendar.maintenance.tradovate.0.time_zone`: expected an IANA time zone name',
    ],
    [
      'two forms in one window',
      { maintenance: { tradovate: [{ calendar_break: 'equity_index', from: '2025-06-01T00:00:00Z', to: '2025-06-01T01:00:00Z' }] } },
      'give exactly one of',
    ],
    ['a bad time', { groups: { equity_index: { early_closes: [{ date: '2025-03-12', close: '24:00', name: 'x' }] } } }, 'expected a 24-hour time HH:MM'],
  ];
  it.each(cases)('%s', (_what, json, message) => {
    const err = thrown(() => parseCalendarConfig(json, 'config file /etc/obs.json'));
    expect(err).toBeInstanceOf(ConfigError);
    expect(isObservatoryError(err) && err.exitCode).toBe(78);
    expect(err.message).toContain(message);
    expect(err.message.startsWith('config file /etc/obs.json: ')).toBe(true);
    expect(err.message).not.toContain('\n');
  });

  it('never echoes a value', () => {
    const err = thrown(() => parseCalendarConfig({ groups: { equity_index: { closures: [{ date: 'SECRET-ish-9f8e', name: 'x' }] } } }, 'cfg'));
    expect(err.message).not.toContain('SECRET-ish-9f8e');
  });
});

describe('bad command-line input: one line, exit 64', () => {
  it('an unknown product group lists the known ones', () => {
    const err = thrown(() => sessionAt('metals', Z('2025-03-05T15:00:00Z')));
    expect(err).toBeInstanceOf(UsageError);
    expect(isObservatoryError(err) && err.exitCode).toBe(64);
    expect(err.message).toBe("unknown product group 'metals': known groups: equity_index");
    // a name that is not a plain word is not echoed
    expect(thrown(() => sessionAt('x\u001b[31m', 0)).message).toBe('unknown product group: known groups: equity_index');
  });

  it('a malformed --at', () => {
    for (const bad of [
      '',
      'yesterday',
      '2025-11-28',
      '2025-11-28T11:00',
      '2025-11-28T11:00:00',
      '2025-13-01T00:00:00Z',
      '2025-02-30T00:00:00Z',
      '2025-11-28T24:00:00Z',
      '2025-11-28T11:00:00+5',
    ]) {
      const err = thrown(() => parseAt(bad));
      expect(err, bad).toBeInstanceOf(UsageError);
      expect(err.message).toBe('--at: expected an ISO 8601 instant with a zone, like 2025-11-28T11:00:00-06:00 or 2025-11-28T17:00:00Z');
    }
    expect(parseAt('2025-11-28T11:00:00-06:00')).toBe(Z('2025-11-28T17:00:00Z'));
    expect(parseAt('2025-11-28T17:00Z')).toBe(Z('2025-11-28T17:00:00Z'));
    expect(parseAt('2025-11-28T11:00:00.250-0600')).toBe(Z('2025-11-28T17:00:00.250Z'));
  });
});
