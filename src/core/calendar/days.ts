/**
 * A trade date resolved to instants: the schedule in force, holiday rules and operator overrides
 * applied, open intervals computed. Resolution costs a few tz conversions, so resolved days are
 * cached per (overrides object, group, trade date); callers pass the same overrides object each time.
 */
import { UsageError } from '../errors.js';
import { civilOf, formatDay, weekdayOf, type DayNumber } from './civil.js';
import { holidaysOfYear, type HolidayHit } from './holidays.js';
import { firstTradeDate, productGroup, scheduleFor, type ProductGroup, type Schedule } from './rules.js';
import { NO_OVERRIDES, type CalendarOverrides, type GroupOverrides } from './types.js';
import { wallToInstant } from './zone.js';

export type DayStatus = 'regular' | 'early_close' | 'closed' | 'none';

export interface ResolvedDay {
  day: DayNumber;
  date: string;
  /** none: not a trade date (weekend, or before the calendar's first schedule) */
  status: DayStatus;
  /** holiday or override name for early_close/closed */
  name?: string;
  source?: 'rule' | 'override';
  schedule?: Schedule;
  /** template session bounds (set for every trade weekday, even a closed one) */
  open: number;
  regularClose: number;
  /** actual close (= regularClose unless an early close); = open for a closed day */
  close: number;
  /** open time of this trade date: [start, end) sorted, disjoint (pauses and override windows cut out) */
  intervals: ReadonlyArray<readonly [number, number]>;
  /** scheduled pauses that fall inside [open, close) */
  pauses: ReadonlyArray<{ start: number; end: number; name: string }>;
}

const holidayCache = new WeakMap<Schedule, Map<number, Map<DayNumber, HolidayHit>>>();

function holidayOf(schedule: Schedule, d: DayNumber): HolidayHit | undefined {
  let byYear = holidayCache.get(schedule);
  if (!byYear) holidayCache.set(schedule, (byYear = new Map()));
  const year = civilOf(d).year;
  let hits = byYear.get(year);
  if (!hits) byYear.set(year, (hits = holidaysOfYear(schedule.holidays, year)));
  return hits.get(d);
}

function resolve(group: ProductGroup, d: DayNumber, ov: GroupOverrides | undefined): ResolvedDay {
  const date = formatDay(d);
  const schedule = scheduleFor(group, d);
  if (!schedule || !schedule.tradeWeekdays.includes(weekdayOf(d)))
    return { day: d, date, status: 'none', schedule, open: NaN, regularClose: NaN, close: NaN, intervals: [], pauses: [] };

  const tz = schedule.timeZone;
  const open = wallToInstant(d + schedule.openDayOffset, schedule.open, tz);
  const regularClose = wallToInstant(d, schedule.close, tz);

  // an override for the date replaces what the rules say
  let status: DayStatus = 'regular';
  let closeMin = schedule.close;
  let name: string | undefined;
  let source: 'rule' | 'override' | undefined;
  const closure = ov?.closures.get(d);
  const early = ov?.earlyCloses.get(d);
  const hit = holidayOf(schedule, d);
  if (closure) [status, name, source] = ['closed', closure.name, 'override'];
  else if (early) [status, closeMin, name, source] = ['early_close', early.close, early.name, 'override'];
  else if (hit?.action.kind === 'closed') [status, name, source] = ['closed', hit.name, 'rule'];
  else if (hit?.action.kind === 'early_close' && hit.action.close < schedule.close)
    [status, closeMin, name, source] = ['early_close', hit.action.close, hit.name, 'rule'];

  if (status === 'closed') return { day: d, date, status, name, source, schedule, open, regularClose, close: open, intervals: [], pauses: [] };

  const close = closeMin === schedule.close ? regularClose : wallToInstant(d, closeMin, tz);
  const pauses = schedule.pauses
    .map((p) => ({ start: wallToInstant(d, p.start, tz), end: wallToInstant(d, p.end, tz), name: p.name }))
    .filter((p) => p.start < close)
    .map((p) => ({ ...p, end: Math.min(p.end, close) }));
  let intervals: Array<[number, number]> = [[open, close]];
  for (const p of pauses) intervals = subtract(intervals, p.start, p.end);
  for (const w of ov?.windows ?? []) if (w.from < close && w.to > open) intervals = subtract(intervals, w.from, w.to);
  return { day: d, date, status, name, source, schedule, open, regularClose, close, intervals, pauses };
}

function subtract(intervals: Array<[number, number]>, from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [s, e] of intervals) {
    if (to <= s || from >= e) {
      out.push([s, e]);
      continue;
    }
    if (from > s) out.push([s, from]);
    if (to < e) out.push([to, e]);
  }
  return out;
}

type DayCache = Map<string, Map<DayNumber, ResolvedDay>>;
const caches = new WeakMap<CalendarOverrides, DayCache>();

/** The resolved trade date `d` of a group. Days before the group's first schedule have status 'none'. */
export function resolvedDay(group: ProductGroup, d: DayNumber, overrides: CalendarOverrides = NO_OVERRIDES): ResolvedDay {
  let cache = caches.get(overrides);
  if (!cache) caches.set(overrides, (cache = new Map()));
  let days = cache.get(group.id);
  if (!days) cache.set(group.id, (days = new Map()));
  let r = days.get(d);
  if (!r) days.set(d, (r = resolve(group, d, overrides.groups[group.id])));
  return r;
}

/** The trade date of a group by its id (unknown id → UsageError). */
export function tradeDay(groupId: string, date: DayNumber, overrides?: CalendarOverrides): ResolvedDay {
  return resolvedDay(productGroup(groupId), date, overrides);
}

const starts = new WeakMap<ProductGroup, number>();

/** The instant the group's calendar starts (the first trade date's open); earlier instants are refused. */
export function calendarStart(group: ProductGroup): number {
  let t = starts.get(group);
  if (t === undefined) {
    const first = group.schedules[0];
    starts.set(group, (t = wallToInstant(first.effectiveFrom + first.openDayOffset, first.open, first.timeZone)));
  }
  return t;
}

/**
 * An instant two days past the first trade date's open day is past its open in any zone (every
 * UTC offset is under a day): the usual instant needs no tz lookup of a date a decade back,
 * outside the zone's cached years (zone.ts).
 */
function surelyAfterStart(group: ProductGroup, instant: number): boolean {
  const first = group.schedules[0];
  return instant >= (first.effectiveFrom + first.openDayOffset + 2) * 86_400_000;
}

/** max(instant, calendarStart(group)) */
export function notBeforeCalendar(group: ProductGroup, instant: number): number {
  return surelyAfterStart(group, instant) ? instant : Math.max(instant, calendarStart(group));
}

export function assertInRange(group: ProductGroup, instant: number, what: string): void {
  if (!surelyAfterStart(group, instant) && !(instant >= calendarStart(group)))
    throw new UsageError(
      `${what}: before the ${group.id} calendar's first trade date ${formatDay(firstTradeDate(group))}`,
      'pass an instant on or after that date',
    );
}
