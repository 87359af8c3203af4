/**
 * Quarterly equity-index futures contracts (ES, NQ, YM, RTY and their micros): which contract is
 * the front month at an instant, for the reference bot's runner.
 *
 * - Listed months: March quarterly cycle, month codes H (Mar), M (Jun), U (Sep), Z (Dec)
 *   (CME E-mini S&P 500 contract specifications; standard CME month codes).
 * - Last trading day: the 3rd Friday of the contract month; trading terminates 08:30 CT (09:30 ET)
 *   (CME ES contract specifications). Assumption: when that Friday has no session in the calendar
 *   (e.g. a Good Friday closure), expiry moves to the preceding trade date with a session.
 * - Roll: CME's equity roll-date convention — roll the expiring contract eight calendar days before
 *   it expires (the Thursday before expiry week; CME "Equity Index Roll Dates" page). From the
 *   trade date of the roll date on, the next contract is the front month.
 *   Open question: CME amended the Globex lead-month procedure for ES/MES effective trade date
 *   2022-06-13 (later NQ, YM, RTY, EMD); its text was not available, so the 8-day rule is kept.
 * - Symbol: root + month code + last digit of the year ("ESZ5"), the CME Globex / Databento
 *   raw_symbol form.
 */
import { UsageError } from '../errors.js';
import { civilOf, formatDay, nthWeekday, parseDay, type DayNumber } from './civil.js';
import { resolvedDay } from './days.js';
import { groupOfSymbol, productGroup, rootOfSymbol } from './rules.js';
import { tradeDateOf } from './session.js';
import { NO_OVERRIDES, type CalendarOverrides } from './types.js';
import { wallToInstant } from './zone.js';

export const QUARTERLY_MONTH_CODES: Readonly<Record<number, string>> = Object.freeze({ 3: 'H', 6: 'M', 9: 'U', 12: 'Z' });
const FRIDAY = 5;
/** trading in an expiring contract stops at 08:30 CT on its last day */
const EXPIRY_TIME_CT = 8 * 60 + 30;
const ROLL_DAYS_BEFORE_EXPIRY = 8;

export interface Contract {
  root: string;
  year: number;
  month: number;
  code: string;
  /** e.g. ESZ5 */
  symbol: string;
  lastTradeDate: string;
  /** the instant trading terminates */
  expiresAt: number;
  /** first trade date on which the next contract is the front month */
  rollDate: string;
}

export function contractOf(root: string, year: number, month: number, overrides: CalendarOverrides = NO_OVERRIDES): Contract {
  const code = QUARTERLY_MONTH_CODES[month];
  const groupId = groupOfSymbol(root);
  if (!code || groupId === undefined) throw new UsageError(`no quarterly contract ${root} ${year}-${month}`);
  const group = productGroup(groupId);
  let last: DayNumber = nthWeekday(year, month, FRIDAY, 3);
  const nominal = last;
  for (let i = 0; i < 10; i++) {
    const r = resolvedDay(group, last, overrides);
    if (r.status === 'regular' || r.status === 'early_close') break;
    last -= 1;
  }
  const tz = resolvedDay(group, last, overrides).schedule?.timeZone ?? group.schedules[0].timeZone;
  return {
    root,
    year,
    month,
    code,
    symbol: `${root}${code}${year % 10}`,
    lastTradeDate: formatDay(last),
    expiresAt: wallToInstant(last, EXPIRY_TIME_CT, tz),
    rollDate: formatDay(nominal - ROLL_DAYS_BEFORE_EXPIRY),
  };
}

/** The front-month contract of a root ("ES", or any symbol of it) at an instant. */
export function frontMonth(symbol: string, at: number, overrides: CalendarOverrides = NO_OVERRIDES): Contract {
  const root = rootOfSymbol(symbol);
  const groupId = root === undefined ? undefined : groupOfSymbol(root);
  if (root === undefined || groupId === undefined) throw new UsageError('unknown contract root: expected one of the known product groups’ roots, like ES');
  const trade = parseDay(tradeDateOf(groupId, at, overrides))!;
  const c0 = civilOf(trade);
  let year = c0.year;
  let month = Math.ceil(c0.month / 3) * 3; // this quarter's contract month
  for (let i = 0; i < 3; i++) {
    const c = contractOf(root, year, month, overrides);
    if (trade < parseDay(c.rollDate)! && at < c.expiresAt) return c;
    month += 3;
    if (month > 12) [month, year] = [3, year + 1];
  }
  throw new Error('frontMonth: no contract found'); // unreachable: the next quarter always qualifies
}
