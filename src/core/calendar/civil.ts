/**
 * Civil (wall-calendar) dates as day numbers: days since 1970-01-01 in the proleptic Gregorian
 * calendar. No time zone is involved here: a trade date is a date, not an instant. Converting a
 * wall-clock time in a zone to an instant happens only in zone.ts, through the tz library.
 */

/** days since 1970-01-01 */
export type DayNumber = number;

/** weekday of a civil date: 0 = Sunday … 6 = Saturday (as Date#getDay) */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type WeekdayName = (typeof WEEKDAY_NAMES)[number];

const MS_PER_DAY = 86_400_000;

export function dayNumber(year: number, month: number, day: number): DayNumber {
  return Math.floor(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

export function civilOf(day: DayNumber): { year: number; month: number; day: number } {
  const d = new Date(day * MS_PER_DAY);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function weekdayOf(day: DayNumber): Weekday {
  // 1970-01-01 was a Thursday (4)
  return ((((day + 4) % 7) + 7) % 7) as Weekday;
}

export function formatDay(day: DayNumber): string {
  const c = civilOf(day);
  return `${String(c.year).padStart(4, '0')}-${String(c.month).padStart(2, '0')}-${String(c.day).padStart(2, '0')}`;
}

/** 'YYYY-MM-DD' → day number, or undefined when it is not a real calendar date (2025-02-30). */
export function parseDay(text: string): DayNumber | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return undefined;
  const n = dayNumber(y, mo, d);
  const back = civilOf(n);
  return back.month === mo && back.day === d ? n : undefined;
}

/** 'YYYY-MM-DD' that is known to be valid (rule tables in code); throws on a typo in a table. */
export function day(text: string): DayNumber {
  const n = parseDay(text);
  if (n === undefined) throw new Error(`calendar table: not a date: ${text}`);
  return n;
}

/** 'HH:MM' (00:00–23:59) → minutes after midnight, or undefined. */
export function parseClock(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export function clock(text: string): number {
  const n = parseClock(text);
  if (n === undefined) throw new Error(`calendar table: not a time: ${text}`);
  return n;
}

export function formatClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** The n-th (1-based) given weekday of a month; n = -1 for the last one. */
export function nthWeekday(year: number, month: number, weekday: Weekday, n: number): DayNumber {
  if (n > 0) {
    const first = dayNumber(year, month, 1);
    return first + ((weekday - weekdayOf(first) + 7) % 7) + (n - 1) * 7;
  }
  const last = dayNumber(year, month + 1, 1) - 1; // Date.UTC rolls month 13 into January
  return last - ((weekdayOf(last) - weekday + 7) % 7);
}

/**
 * Gregorian Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher,
 * "Astronomical Algorithms", ch. 8), valid for every Gregorian year.
 */
export function easterSunday(year: number): DayNumber {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const dayOfMonth = ((h + l - 7 * m + 114) % 31) + 1;
  return dayNumber(year, month, dayOfMonth);
}

/** US federal observance: Saturday → the Friday before, Sunday → the Monday after. */
export function nearestWorkday(d: DayNumber): DayNumber {
  const w = weekdayOf(d);
  return w === 6 ? d - 1 : w === 0 ? d + 1 : d;
}

/** Sunday → Monday; a Saturday date is not observed at all (US markets' New Year's Day rule). */
export function sundayToMonday(d: DayNumber): DayNumber | null {
  const w = weekdayOf(d);
  return w === 0 ? d + 1 : w === 6 ? null : d;
}
