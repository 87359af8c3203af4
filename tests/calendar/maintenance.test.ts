/** Maintenance windows per integration: weekly (across DST), dated, the exchange's daily break, chaining. */
import { describe, expect, it } from 'vitest';
import { describeWindow, inMaintenance, type MaintenanceWindow } from '../../src/core/calendar/index.js';

const Z = (s: string) => Date.parse(s);
const weekend: MaintenanceWindow = { kind: 'weekly', name: 'weekend', timeZone: 'America/Chicago', startDay: 6, start: 22 * 60, spanDays: 1, end: 2 * 60 };

describe('inMaintenance', () => {
  it('a weekly window Sat 22:00 → Sun 02:00 CT', () => {
    expect(inMaintenance([weekend], Z('2025-01-18T03:59:00Z'))).toBeNull(); // Fri 21:59 CST
    expect(inMaintenance([weekend], Z('2025-01-19T05:00:00Z'))).toEqual({ window: weekend, start: Z('2025-01-19T04:00:00Z'), end: Z('2025-01-19T08:00:00Z') });
    expect(inMaintenance([weekend], Z('2025-01-19T08:00:00Z'))).toBeNull();
  });

  it('follows DST: the fall-back night is five hours long, the spring-forward end 02:00 becomes 03:00 CDT', () => {
    expect(inMaintenance([weekend], Z('2026-11-01T05:00:00Z'))).toMatchObject({ start: Z('2026-11-01T03:00:00Z'), end: Z('2026-11-01T08:00:00Z') });
    expect(inMaintenance([weekend], Z('2026-03-08T05:00:00Z'))).toMatchObject({ start: Z('2026-03-08T04:00:00Z'), end: Z('2026-03-08T08:00:00Z') });
  });

  it('a dated window and the exchange’s daily maintenance break', () => {
    const dated: MaintenanceWindow = { kind: 'dated', name: 'upgrade', from: Z('2025-06-01T00:00:00Z'), to: Z('2025-06-01T04:00:00Z') };
    const brk: MaintenanceWindow = { kind: 'calendar_break', name: 'CME break', group: 'equity_index' };
    expect(inMaintenance([dated, brk], Z('2025-06-01T01:00:00Z'))).toMatchObject({ window: dated, end: Z('2025-06-01T04:00:00Z') });
    expect(inMaintenance([dated, brk], Z('2025-01-14T22:30:00Z'))).toMatchObject({
      window: brk,
      start: Z('2025-01-14T22:00:00Z'),
      end: Z('2025-01-14T23:00:00Z'),
    });
    // Friday 16:30 is the weekend, not the daily maintenance break
    expect(inMaintenance([brk], Z('2025-01-17T22:30:00Z'))).toBeNull();
    expect(inMaintenance([brk], Z('2025-01-14T21:30:00Z'))).toBeNull();
  });

  it('back-to-back windows extend the end', () => {
    const a: MaintenanceWindow = { kind: 'dated', name: 'a', from: Z('2025-01-18T20:00:00Z'), to: Z('2025-01-19T04:00:00Z') };
    expect(inMaintenance([a, weekend], Z('2025-01-18T21:00:00Z'))).toMatchObject({ window: a, end: Z('2025-01-19T08:00:00Z') });
  });

  it('describes windows in one line', () => {
    expect(describeWindow(weekend)).toBe('weekend: weekly sat 22:00 → sun 02:00 America/Chicago');
  });
});
