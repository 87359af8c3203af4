/**
 * Market seconds and freshness: spans across a break, a weekend and holidays equal hand-computed
 * values; staleness is counted only in open-market seconds and nothing is stale outside sessions.
 */
import { describe, expect, it } from 'vitest';
import { addOpenSeconds, exceedsOpenSecondsAt, marketFreshness, openSecondsBetween } from '../../src/core/calendar/index.js';

const G = 'equity_index';
const Z = (s: string) => Date.parse(s);
const H = 3600;

describe('openSecondsBetween', () => {
  it('across the daily break: Tue 15:30 → 17:30 CST is one hour of market time', () => {
    expect(openSecondsBetween(G, Z('2025-01-14T21:30:00Z'), Z('2025-01-14T23:30:00Z'))).toBe(1 * H);
  });

  it('across a weekend: Fri 15:00 → Sun 18:00 CST is two hours', () => {
    expect(openSecondsBetween(G, Z('2025-01-17T21:00:00Z'), Z('2025-01-20T00:00:00Z'))).toBe(2 * H);
  });

  it('across Thanksgiving 2025: Wed 15:00 CST → Mon 09:00 CST', () => {
    // Wed 15–16 (1h) + Wed 17:00→Thu 12:00 (19h) + Thu 17:00→Fri 12:15 (19h15m) + Sun 17:00→Mon 09:00 (16h)
    expect(openSecondsBetween(G, Z('2025-11-26T21:00:00Z'), Z('2025-12-01T15:00:00Z'))).toBe(55 * H + 15 * 60);
  });

  it('across Good Friday 2025 (closed): Thu 15:00 CDT → Mon 01:00 CDT', () => {
    // Thu 15–16 (1h) + Sun 17:00→Mon 01:00 (8h)
    expect(openSecondsBetween(G, Z('2025-04-17T20:00:00Z'), Z('2025-04-21T06:00:00Z'))).toBe(9 * H);
  });

  it('across Christmas 2025 (Wed 12:15 early close, Thu closed)', () => {
    // Tue 18:00 CST → Wed 12:15 (18h15m) + Thu 17:00 → Fri 16:00 (23h) + Sun 17:00 → 18:00 (1h)
    expect(openSecondsBetween(G, Z('2025-12-24T00:00:00Z'), Z('2025-12-29T00:00:00Z'))).toBe(42 * H + 15 * 60);
  });

  it('a whole ordinary week is 5 × 23 h; an empty or reversed span is 0', () => {
    expect(openSecondsBetween(G, Z('2025-01-12T00:00:00Z'), Z('2025-01-19T00:00:00Z'))).toBe(5 * 23 * H);
    expect(openSecondsBetween(G, Z('2025-01-14T15:00:00Z'), Z('2025-01-14T15:00:00Z'))).toBe(0);
    expect(openSecondsBetween(G, Z('2025-01-14T16:00:00Z'), Z('2025-01-14T15:00:00Z'))).toBe(0);
  });

  it('a year of market time: 2025 has 23 h per regular day and the holiday hours removed', () => {
    // 261 weekdays − 3 full closes (Jan 1, Apr 18, Dec 25) = 258 sessions of 23 h, less the early closes:
    // 12:00 closes lose 4 h (MLK, Presidents, Memorial, Juneteenth, Jul 4, Labor, Thanksgiving = 7),
    // 12:15 closes lose 3 h 45 m (Jul 3, Nov 28, Dec 24 = 3). Sessions of trade dates in 2025:
    // the Jan 2 session opens Jan 1 17:00 CST; the first session of 2026 (Jan 2) opens Jan 1 2026 17:00.
    const expected = 258 * 23 * H - 7 * 4 * H - 3 * (3 * H + 45 * 60);
    // from before the first 2025 session to the end of the last one (Wed Dec 31 16:00 CST)
    expect(openSecondsBetween(G, Z('2025-01-01T00:00:00Z'), Z('2025-12-31T22:00:00Z'))).toBe(expected);
  });
});

describe('addOpenSeconds / exceedsOpenSecondsAt', () => {
  it('counts forward through the weekend', () => {
    // Fri 15:59 CST + 120 market seconds = Sun 17:01 CST
    expect(addOpenSeconds(G, Z('2025-01-17T21:59:00Z'), 120)).toBe(Z('2025-01-19T23:01:00Z'));
    expect(addOpenSeconds(G, Z('2025-01-17T21:58:00Z'), 120)).toBe(Z('2025-01-17T22:00:00Z'));
  });

  it('a bound reached exactly at a close is exceeded only when the market reopens', () => {
    expect(exceedsOpenSecondsAt(G, Z('2025-01-17T21:58:00Z'), 120)).toBe(Z('2025-01-19T23:00:00Z'));
    expect(exceedsOpenSecondsAt(G, Z('2025-01-14T15:00:00Z'), 120)).toBe(Z('2025-01-14T15:02:00Z'));
  });
});

describe('marketFreshness', () => {
  const last = Z('2025-01-17T21:59:00Z'); // Fri 15:59 CST, the last bar of the week
  it('nothing is stale over the weekend, however long ago the last event', () => {
    expect(marketFreshness(G, last, Z('2025-01-18T12:00:00Z'), 120)).toMatchObject({ stale: false, state: 'closed', openSecondsSinceLast: 60 });
    expect(marketFreshness(G, Z('2025-01-10T12:00:00Z'), Z('2025-01-18T12:00:00Z'), 120)).toMatchObject({ stale: false, state: 'closed' });
  });

  it('after the Sunday open the market seconds count again', () => {
    expect(marketFreshness(G, last, Z('2025-01-19T23:00:30Z'), 120)).toMatchObject({ stale: false, state: 'open', openSecondsSinceLast: 90 });
    expect(marketFreshness(G, last, Z('2025-01-19T23:01:30Z'), 120)).toMatchObject({
      stale: true,
      openSecondsSinceLast: 150,
      staleSince: Z('2025-01-19T23:01:00Z'),
    });
  });

  it('no event at all is stale while open (fail-closed), not while closed', () => {
    expect(marketFreshness(G, null, Z('2025-01-14T15:00:00Z'), 120)).toMatchObject({ stale: true, openSecondsSinceLast: null, staleSince: null });
    expect(marketFreshness(G, undefined, Z('2025-01-14T22:30:00Z'), 120)).toMatchObject({ stale: false, state: 'break' });
  });

  it('during the daily break a bot that stopped is not stale, and is again at 17:00', () => {
    const stopped = Z('2025-01-14T21:50:00Z'); // Tue 15:50 CST
    expect(marketFreshness(G, stopped, Z('2025-01-14T22:30:00Z'), 120).stale).toBe(false);
    expect(marketFreshness(G, stopped, Z('2025-01-14T23:00:00Z'), 120)).toMatchObject({ stale: true, staleSince: Z('2025-01-14T21:52:00Z') });
  });

  it('an event older than the calendar counts from the calendar start (stale, not an error)', () => {
    expect(marketFreshness(G, Z('2001-01-01T00:00:00Z'), Z('2025-01-14T15:00:00Z'), 120).stale).toBe(true);
  });

  it('refuses a non-positive bound', () => {
    expect(() => marketFreshness(G, last, last, 0)).toThrow(RangeError);
  });
});
