/**
 * Product groups and their dated session schedules. A schedule applies to trade dates from its
 * `effectiveFrom` until the next schedule's, so replaying history uses the hours of that time.
 * All times are wall-clock times in the schedule's IANA zone (converted in zone.ts).
 */
import { UsageError } from '../errors.js';
import { clock, day, type DayNumber, type Weekday } from './civil.js';
import { CME_EQUITY_HOLIDAYS, type HolidayRule } from './holidays.js';

export interface SessionPause {
  start: number;
  end: number;
  name: string;
}

export interface Schedule {
  /** first trade date this schedule applies to */
  effectiveFrom: DayNumber;
  timeZone: string;
  /** weekdays that are trade dates (0 = Sunday) */
  tradeWeekdays: readonly Weekday[];
  /** a trade date's session opens at `open` minutes on the calendar day `openDayOffset` days from the trade date … */
  open: number;
  openDayOffset: number;
  /** … and closes at `close` minutes on the trade date itself */
  close: number;
  /** intraday pauses inside the session (minutes on the trade date) */
  pauses: readonly SessionPause[];
  holidays: readonly HolidayRule[];
  /** where these hours come from */
  source: string;
}

export interface ProductGroup {
  id: string;
  title: string;
  /** contract roots of the group (CME Globex codes) */
  roots: readonly string[];
  /** sorted by effectiveFrom, oldest first */
  schedules: readonly Schedule[];
}

const CT = 'America/Chicago';
const MON_FRI: readonly Weekday[] = [1, 2, 3, 4, 5];
const PAUSE_1515: SessionPause = { start: clock('15:15'), end: clock('15:30'), name: 'daily 15:15–15:30 CT pause' };

/**
 * CME Globex equity index futures: E-mini/Micro S&P 500 (ES, MES), Nasdaq-100 (NQ, MNQ),
 * Dow (YM, MYM; CBOT, same Globex hours), Russell 2000 (RTY, M2K), S&P MidCap 400 (EMD).
 * Trade date D opens 17:00 CT on D−1 (Monday's opens Sunday 17:00) and closes on D; between two
 * sessions Mon–Thu is the daily maintenance break; Friday's close to Sunday 17:00 is the weekend.
 */
const EQUITY_INDEX: ProductGroup = {
  id: 'equity_index',
  title: 'CME Globex equity index futures',
  roots: ['ES', 'MES', 'NQ', 'MNQ', 'YM', 'MYM', 'RTY', 'M2K', 'EMD'],
  schedules: [
    {
      // CME Globex notice "Equity Index Later Close for CME Globex Trading Day" (effective Sunday
      // 2012-11-18 for trade date Monday 2012-11-19, quoted by several trader sites): close moved
      // from 15:15 to 16:15 CT, with a 15:15–15:30 halt, closed 16:15–17:00, Fridays included.
      // Hours before this date are not modelled: this calendar starts here.
      effectiveFrom: day('2012-11-19'),
      timeZone: CT,
      tradeWeekdays: MON_FRI,
      open: clock('17:00'),
      openDayOffset: -1,
      close: clock('16:15'),
      pauses: [PAUSE_1515],
      holidays: CME_EQUITY_HOLIDAYS,
      source: 'CME Globex notice for trade date 2012-11-19 (third-party quotes)',
    },
    {
      // From trade date Monday 2015-09-21 the Globex day ends at 16:00 CT (Fridays included),
      // the 15:15–15:30 halt stays, maintenance 16:00–17:00 (third-party summary of the CME notice;
      // the first-party notice was not found). pandas_market_calendars' "CME Globex Equity"
      // uses 17:00 (−1 day) → 16:00 for every date.
      effectiveFrom: day('2015-09-21'),
      timeZone: CT,
      tradeWeekdays: MON_FRI,
      open: clock('17:00'),
      openDayOffset: -1,
      close: clock('16:00'),
      pauses: [PAUSE_1515],
      holidays: CME_EQUITY_HOLIDAYS,
      source: 'CME Globex hours change for trade date 2015-09-21 (third-party summary)',
    },
    {
      // CME Globex notice 20210621: "CME eliminated the equity-index 3:15–3:30 p.m. CT market pause
      // effective June 28, 2021 … trade continuously 5:00 p.m.–4:00 p.m. CT, followed by the
      // 4:00–5:00 p.m. CT maintenance period" (quoted in pandas_market_calendars issue #477).
      effectiveFrom: day('2021-06-28'),
      timeZone: CT,
      tradeWeekdays: MON_FRI,
      open: clock('17:00'),
      openDayOffset: -1,
      close: clock('16:00'),
      pauses: [],
      holidays: CME_EQUITY_HOLIDAYS,
      source: 'CME Globex notice 20210621 (pause removed from trade date 2021-06-28)',
    },
  ],
};

export const PRODUCT_GROUPS: Readonly<Record<string, ProductGroup>> = Object.freeze({ equity_index: EQUITY_INDEX });

export const KNOWN_GROUPS: readonly string[] = Object.keys(PRODUCT_GROUPS);

/** a product group id; unknown ones are refused with a one-line message listing the known groups */
export function productGroup(id: string): ProductGroup {
  const g = Object.hasOwn(PRODUCT_GROUPS, id) ? PRODUCT_GROUPS[id] : undefined;
  if (g) return g;
  const shown = /^[A-Za-z0-9_.-]{1,40}$/.test(id) ? ` '${id}'` : '';
  throw new UsageError(`unknown product group${shown}: known groups: ${KNOWN_GROUPS.join(', ')}`, 'pass --group with one of the known groups');
}

/** The schedule in force on a trade date, or undefined before the group's first schedule. */
export function scheduleFor(group: ProductGroup, tradeDate: DayNumber): Schedule | undefined {
  let found: Schedule | undefined;
  for (const s of group.schedules) {
    if (s.effectiveFrom <= tradeDate) found = s;
    else break;
  }
  return found;
}

/** The first trade date the group's calendar covers. */
export function firstTradeDate(group: ProductGroup): DayNumber {
  return group.schedules[0].effectiveFrom;
}

const ROOT_TO_GROUP = new Map<string, string>(Object.values(PRODUCT_GROUPS).flatMap((g) => g.roots.map((r) => [r, g.id] as [string, string])));

const ROOTS_LONGEST_FIRST = [...ROOT_TO_GROUP.keys()].sort((a, b) => b.length - a.length);
/** month code + 1–2 digit year (Z5, Z25), Databento continuous (.C.0) or parent (.FUT) */
const SUFFIX = /^(?:[FGHJKMNQUVXZ]\d{1,2}|\.[A-Z]\.\d+|\.FUT)$/;

/**
 * The contract root of a symbol as bots and vendors write it: "ES", "ESZ5", "ESZ25", "ES.c.0"
 * (Databento continuous), "ES.FUT" (Databento parent), "/ES" — or undefined when not recognised.
 */
export function rootOfSymbol(symbol: string): string | undefined {
  const s = symbol.trim().toUpperCase().replace(/^\//, '');
  // longest known root first: "MES" must not be read as "M" + …
  for (const root of ROOTS_LONGEST_FIRST) if (s === root || (s.startsWith(root) && SUFFIX.test(s.slice(root.length)))) return root;
  return undefined;
}

/** ES → equity_index; undefined for a symbol of no known group. */
export function groupOfSymbol(symbol: string): string | undefined {
  const root = rootOfSymbol(symbol);
  return root === undefined ? undefined : ROOT_TO_GROUP.get(root);
}
