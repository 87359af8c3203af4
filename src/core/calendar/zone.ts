/**
 * Wall clock in an IANA zone ↔ instant. The one place that talks to the tz library (@date-fns/tz,
 * which reads the zone rules from Node's ICU data): no offset is ever written by hand, so DST
 * changes in America/Chicago (2nd Sunday of March, 1st Sunday of November) come from tzdata.
 *
 * A wall time that does not exist (02:30 on a spring-forward day) resolves forward (03:30 CDT);
 * one that exists twice (01:30 on a fall-back day) resolves to the first (CDT). Exchange session
 * times (17:00, 16:00, 12:00 …) are never in either window; operator windows may be.
 */
import { TZDateMini as TZDate } from '@date-fns/tz/date/mini';
import { civilOf, dayNumber, type DayNumber, type Weekday } from './civil.js';

export function wallToInstant(day: DayNumber, minutes: number, timeZone: string): number {
  const c = civilOf(day);
  return new TZDate(c.year, c.month - 1, c.day, Math.floor(minutes / 60), minutes % 60, timeZone).getTime();
}

export interface Wall {
  day: DayNumber;
  /** minutes after local midnight */
  minutes: number;
  seconds: number;
  weekday: Weekday;
}

export function instantToWall(instant: number, timeZone: string): Wall {
  const d = new TZDate(instant, timeZone);
  return {
    day: dayNumber(d.getFullYear(), d.getMonth() + 1, d.getDate()),
    minutes: d.getHours() * 60 + d.getMinutes(),
    seconds: d.getSeconds(),
    weekday: d.getDay() as Weekday,
  };
}

/** e.g. "Thu 2025-12-25 17:00 CST": for one-line summaries. */
export function formatWall(instant: number, timeZone: string): string {
  const d = new TZDate(instant, timeZone);
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(d);
  const abbr = parts.find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  const pad = (n: number) => String(n).padStart(2, '0');
  const wd = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getDay()];
  return `${wd} ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} ${abbr}`;
}

/** true when Intl knows the zone name (config validation). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
