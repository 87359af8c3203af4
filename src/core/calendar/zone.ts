/**
 * Wall clock in an IANA zone ↔ instant. The one place (with zone-table.ts) that talks to the tz
 * library (@date-fns/tz, which reads the zone rules from Node's ICU data): no offset is ever
 * written by hand, so DST changes in America/Chicago (2nd Sunday of March, 1st Sunday of
 * November) come from tzdata.
 *
 * A wall time that does not exist (02:30 on a spring-forward day) resolves forward (03:30 CDT);
 * one that exists twice (01:30 on a fall-back day) resolves to the first (CDT), in every zone and
 * whatever the host's own time zone (zone-table.ts applies the rule on the library's offsets).
 * Exchange session times (17:00, 16:00, 12:00 …) are never in either window; operator windows may be.
 *
 * Once setZoneCacheHome(home) is called (every CLI command and the daemon), a zone's answers come
 * from its offset table (zone-table.ts: the library's own offsets, kept in the home cache), so a
 * run with a warm cache never starts Intl, whose first use costs more than the rest of a
 * calendar computation together. Outside the table's years, or without a table, the library
 * answers as before; both give the same answers (tests/calendar/zone-table.test.ts).
 */
import { TZDateMini as TZDate } from '@date-fns/tz/date/mini';
import { civilOf, dayNumber, weekdayOf, type DayNumber, type Weekday } from './civil.js';
import { abbreviationFormat, cachedZoneTable, instantOfWall, libraryAbbreviation, libraryInstantOfWall, spanAt, type ZoneTable } from './zone-table.js';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

let cacheHome: string | undefined;
/** per zone: its table, or null when the library answers */
const tables = new Map<string, ZoneTable | null>();

/** Use (and keep) offset tables under <home>/cache/tz from now on; undefined: the library only. */
export function setZoneCacheHome(home: string | undefined): void {
  cacheHome = home;
  tables.clear();
}

function tableOf(timeZone: string): ZoneTable | null {
  let table = tables.get(timeZone);
  if (table === undefined) {
    table = cacheHome === undefined ? null : (cachedZoneTable(cacheHome, timeZone, Date.now()) ?? null);
    tables.set(timeZone, table);
  }
  return table;
}

export function wallToInstant(day: DayNumber, minutes: number, timeZone: string): number {
  const c = civilOf(day);
  // the wall fields as Date takes them (hours and minutes truncated apart)
  const wall = Date.UTC(c.year, c.month - 1, c.day, Math.floor(minutes / 60), minutes % 60);
  const table = tableOf(timeZone);
  return (table && instantOfWall(table, wall)) ?? libraryInstantOfWall(timeZone, wall);
}

export interface Wall {
  day: DayNumber;
  /** minutes after local midnight */
  minutes: number;
  seconds: number;
  weekday: Weekday;
}

/** The wall clock of `instant` from the zone's table, with its abbreviation; undefined outside it. */
function tableWall(instant: number, timeZone: string): (Wall & { abbr: string }) | undefined {
  const table = tableOf(timeZone);
  const i = table ? spanAt(table, instant) : -1;
  if (i < 0) return undefined;
  const wall = instant + table!.offsets[i] * MIN_MS;
  const day = Math.floor(wall / DAY_MS);
  const ms = wall - day * DAY_MS;
  return { day, minutes: Math.floor(ms / MIN_MS), seconds: Math.floor((ms % MIN_MS) / 1000), weekday: weekdayOf(day), abbr: table!.abbrs[i] };
}

export function instantToWall(instant: number, timeZone: string): Wall {
  const w = tableWall(instant, timeZone);
  if (w) return { day: w.day, minutes: w.minutes, seconds: w.seconds, weekday: w.weekday };
  const d = new TZDate(instant, timeZone);
  return {
    day: dayNumber(d.getFullYear(), d.getMonth() + 1, d.getDate()),
    minutes: d.getHours() * 60 + d.getMinutes(),
    seconds: d.getSeconds(),
    weekday: d.getDay() as Weekday,
  };
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number) => String(n).padStart(2, '0');

/** e.g. "Thu 2025-12-25 17:00 CST": for one-line summaries. */
export function formatWall(instant: number, timeZone: string): string {
  const w = tableWall(instant, timeZone);
  if (w) {
    const c = civilOf(w.day);
    return `${WEEKDAYS[w.weekday]} ${c.year}-${pad(c.month)}-${pad(c.day)} ${pad(Math.floor(w.minutes / 60))}:${pad(w.minutes % 60)} ${w.abbr}`;
  }
  const d = new TZDate(instant, timeZone);
  const abbr = libraryAbbreviation(abbreviationFormat(timeZone), timeZone, d.getTime());
  return `${WEEKDAYS[d.getDay()]} ${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} ${abbr}`;
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
