/**
 * Holiday rules for CME Globex equity-index futures (ES, NQ, YM, RTY …), computed for any year.
 *
 * Source of the rules: pandas_market_calendars, calendar "CME Globex Equity"
 * (calendars/cme_globex_equities.py, holidays/cme.py, holidays/us.py; BSD licence, rules restated
 * here, no code copied), cross-checked against CME's published 2026 equity holiday times as quoted
 * in that project's issue #464, and its issue #400 (2025-07-03 early close).
 * Each rule says which trade date it hits in a year ("observed") and what happens that day, by era:
 * eras are matched on the observed date, first match wins, no match = no holiday that year.
 * "Early close X" = the trade date's session (opened 17:00 CT the evening before) ends at X CT and
 * Globex reopens at the normal time for the next trade date. "Closed" = no session for that trade date.
 */
import { clock, day, dayNumber, easterSunday, nearestWorkday, nthWeekday, sundayToMonday, weekdayOf, type DayNumber } from './civil.js';
import type { DayAction } from './types.js';

export interface HolidayEra {
  from?: DayNumber;
  until?: DayNumber;
  action: DayAction;
}

export interface HolidayRule {
  id: string;
  name: string;
  /** the trade date this rule hits in a year, or null when it hits none that year */
  observed(year: number): DayNumber | null;
  eras: readonly HolidayEra[];
  /** where the rule comes from */
  source: string;
}

const CLOSED: DayAction = { kind: 'closed' };
const at = (hhmm: string): DayAction => ({ kind: 'early_close', close: clock(hhmm) });

const MON = 1;
const THU = 4;

const PMC = 'pandas_market_calendars "CME Globex Equity"';

/**
 * Good Friday: CME decides each year. It has been closed, except that equity index futures opened
 * with an 08:15 CT early close in years when the US jobs report fell on Good Friday.
 * Years with an 08:15 close: 2015 and 2021 (PMC holidays/cme.py: GoodFriday2015, GoodFriday2021),
 * 2023 (PMC PR #311, CME trading-hours screenshot), 2026 (PMC PR #456 regression test; CME's 2026
 * holiday schedule). PMC also lists 2010 and 2012, before this calendar's first trade date.
 * Deliberate difference from PMC: PMC makes every year from 2023 an 08:15 close; here a year not
 * listed is closed (2022 closed per PMC; 2024 and 2025 closed — 2025 per a secondary source,
 * 2024 unverified). Check CME's holiday calendar every year and add the year here, or add an
 * early close override in the config file (an override replaces the rule for that date).
 */
export const GOOD_FRIDAY_EARLY_CLOSE_YEARS: readonly number[] = [2015, 2021, 2023, 2026];

const goodFridayEras: HolidayEra[] = [
  ...GOOD_FRIDAY_EARLY_CLOSE_YEARS.map((y) => ({ from: dayNumber(y, 1, 1), until: dayNumber(y, 12, 31), action: at('08:15') })),
  { action: CLOSED },
];

/** Until 2013/2014 the Monday/Thursday holidays halted at 10:30 CT; from then on at 12:00 CT (PMC special_closes). */
const halt1030Until = (lastDay: string): HolidayEra[] => [
  { until: day(lastDay), action: at('10:30') },
  { from: day(lastDay) + 1, action: at('12:00') },
];

export const CME_EQUITY_HOLIDAYS: readonly HolidayRule[] = [
  {
    id: 'new_year',
    name: "New Year's Day",
    observed: (y) => sundayToMonday(dayNumber(y, 1, 1)),
    eras: [{ action: CLOSED }],
    source: `${PMC}: USNewYearsDay (Jan 1; Sunday → Monday; a Saturday Jan 1 is not observed), regular holiday`,
  },
  {
    id: 'mlk',
    name: 'Martin Luther King Jr. Day',
    observed: (y) => nthWeekday(y, 1, MON, 3),
    eras: halt1030Until('2014-12-31'),
    source: `${PMC}: 3rd Monday of January; 10:30 CT halt through 2014, 12:00 CT from 2015`,
  },
  {
    id: 'presidents',
    name: "Presidents' Day",
    observed: (y) => nthWeekday(y, 2, MON, 3),
    eras: halt1030Until('2014-12-31'),
    source: `${PMC}: 3rd Monday of February; 10:30 CT through 2014, 12:00 CT from 2015`,
  },
  {
    id: 'good_friday',
    name: 'Good Friday',
    observed: (y) => easterSunday(y) - 2,
    eras: goodFridayEras,
    source: 'Easter Sunday − 2 days; closed unless the year is in GOOD_FRIDAY_EARLY_CLOSE_YEARS (08:15 CT); see there',
  },
  {
    id: 'memorial',
    name: 'Memorial Day',
    observed: (y) => nthWeekday(y, 5, MON, -1),
    eras: halt1030Until('2013-12-31'),
    source: `${PMC}: last Monday of May; 10:30 CT through 2013, 12:00 CT from 2014`,
  },
  {
    id: 'juneteenth',
    name: 'Juneteenth',
    observed: (y) => nearestWorkday(dayNumber(y, 6, 19)),
    eras: [{ from: day('2022-06-19'), action: at('12:00') }],
    source: `${PMC}: USJuneteenthAfter2022 (Jun 19, Saturday → Friday, Sunday → Monday; from 2022), 12:00 CT`,
  },
  {
    id: 'independence_eve',
    name: 'Day before Independence Day',
    // only when July 4 falls Tuesday–Friday, so July 3 is a Monday–Thursday
    observed: (y) => {
      const w = weekdayOf(dayNumber(y, 7, 4));
      return w >= 2 && w <= 5 ? dayNumber(y, 7, 3) : null;
    },
    eras: [{ action: at('12:15') }],
    source: `${PMC}: USIndependenceDayBefore2022PreviousDay (no end date despite its name; 2025-07-03 confirmed in PMC issue #400), 12:15 CT`,
  },
  {
    id: 'independence',
    name: 'Independence Day',
    observed: (y) => nearestWorkday(dayNumber(y, 7, 4)),
    eras: halt1030Until('2013-12-31'),
    source: `${PMC}: Jul 4, Saturday → Friday, Sunday → Monday; 10:30 CT through 2013, 12:00 CT from 2014`,
  },
  {
    id: 'labor',
    name: 'Labor Day',
    observed: (y) => nthWeekday(y, 9, MON, 1),
    eras: halt1030Until('2013-12-31'),
    source: `${PMC}: 1st Monday of September; 10:30 CT through 2013, 12:00 CT from 2014`,
  },
  {
    id: 'thanksgiving',
    name: 'Thanksgiving',
    observed: (y) => nthWeekday(y, 11, THU, 4),
    eras: halt1030Until('2013-12-31'),
    source: `${PMC}: 4th Thursday of November; 10:30 CT through 2013, 12:00 CT from 2014`,
  },
  {
    id: 'thanksgiving_friday',
    name: 'Day after Thanksgiving',
    observed: (y) => nthWeekday(y, 11, THU, 4) + 1,
    eras: [{ action: at('12:15') }],
    source: `${PMC}: USThanksgivingFriday (the Friday after the 4th Thursday of November), 12:15 CT`,
  },
  {
    id: 'christmas_eve',
    name: 'Christmas Eve',
    // Monday–Thursday only: when Dec 25 is a Saturday, Friday Dec 24 is the observed Christmas (closed)
    observed: (y) => {
      const d = dayNumber(y, 12, 24);
      const w = weekdayOf(d);
      return w >= 1 && w <= 4 ? d : null;
    },
    eras: [{ action: at('12:15') }],
    source: `${PMC}: ChristmasEveInOrAfter1993 (Dec 24, Monday–Thursday only), 12:15 CT`,
  },
  {
    id: 'christmas',
    name: 'Christmas',
    observed: (y) => nearestWorkday(dayNumber(y, 12, 25)),
    eras: [{ action: CLOSED }],
    source: `${PMC}: Christmas (Dec 25, Saturday → Friday, Sunday → Monday), regular holiday`,
  },
];

export interface HolidayHit {
  action: DayAction;
  name: string;
  ruleId: string;
}

/** Every holiday of a rule set that lands in a given year, by trade date. Where two rules hit one
 *  date the stricter wins: closed over an early close, an earlier close over a later one. */
export function holidaysOfYear(rules: readonly HolidayRule[], year: number): Map<DayNumber, HolidayHit> {
  const out = new Map<DayNumber, HolidayHit>();
  const first = dayNumber(year, 1, 1);
  const last = dayNumber(year, 12, 31);
  // a rule's observed date can fall outside its own year (Sat Jan 1 → Fri Dec 31 under a nearest-workday rule)
  for (const y of [year - 1, year, year + 1])
    for (const rule of rules) {
      const d = rule.observed(y);
      if (d === null || d < first || d > last) continue;
      const era = rule.eras.find((e) => (e.from === undefined || d >= e.from) && (e.until === undefined || d <= e.until));
      if (!era) continue;
      const prev = out.get(d);
      if (!prev || stricter(era.action, prev.action)) out.set(d, { action: era.action, name: rule.name, ruleId: rule.id });
    }
  return out;
}

function stricter(a: DayAction, b: DayAction): boolean {
  if (b.kind === 'closed') return false;
  if (a.kind === 'closed') return true;
  return a.close < b.close;
}
