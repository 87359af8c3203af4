/**
 * Where a product group's market stands at an instant: open, in its daily break, or closed, and
 * why; the current (or most recent) session and the next open/close. Pure: same inputs, same answer.
 */
import { formatDay, type DayNumber } from './civil.js';
import { assertInRange, resolvedDay, type ResolvedDay } from './days.js';
import { productGroup, type ProductGroup } from './rules.js';
import { NO_OVERRIDES, type CalendarOverrides, type Reason, type SessionState } from './types.js';

const DAY_MS = 86_400_000;
/** how far forward to look for a next open before answering "none" (an operator can close long stretches) */
const SEARCH_DAYS = 400;

export interface SessionInfo {
  group: string;
  at: number;
  timeZone: string;
  state: SessionState;
  reason: Reason;
  /** trade date of the session `at` falls in (open, paused or inside an override window); null between sessions */
  tradeDate: string | null;
  /** the current session, or the most recent one when between sessions (null when none in range) */
  sessionOpen: number | null;
  sessionClose: number | null;
  /** set when the current session closes early (holiday rule or override) */
  earlyClose: Reason | null;
  /** next instant the market opens (when open now: after the current stretch ends) */
  nextOpen: number | null;
  /** next instant the market stops trading (when closed now: the end of the stretch starting at nextOpen) */
  nextClose: number | null;
}

/** UTC day number of an instant: the trade dates whose sessions can contain it lie within ±2 of it. */
const utcDay = (t: number): DayNumber => Math.floor(t / DAY_MS);
const hasSession = (r: ResolvedDay) => r.status === 'regular' || r.status === 'early_close';

/** The first open interval that ends after `t` (it contains `t` when its start ≤ t). */
export function openIntervalFrom(
  group: ProductGroup,
  t: number,
  overrides: CalendarOverrides,
  searchDays = SEARCH_DAYS,
): { start: number; end: number; day: ResolvedDay } | null {
  const base = utcDay(t);
  for (let d = base - 2; d <= base + searchDays; d++) {
    const r = resolvedDay(group, d, overrides);
    for (const [start, end] of r.intervals) if (end > t) return { start, end, day: r };
  }
  return null;
}

/** Is the group's market open at `at`? (The cheap question; sessionAt answers the full one.) */
export function isOpen(groupId: string, at: number, overrides: CalendarOverrides = NO_OVERRIDES): boolean {
  const group = productGroup(groupId);
  const base = utcDay(at);
  for (let d = base - 2; d <= base + 2; d++) for (const [s, e] of resolvedDay(group, d, overrides).intervals) if (s <= at && at < e) return true;
  return false;
}

export function sessionAt(groupId: string, at: number, overrides: CalendarOverrides = NO_OVERRIDES): SessionInfo {
  const group = productGroup(groupId);
  if (!Number.isFinite(at)) throw new RangeError('sessionAt: instant is not a finite number');
  assertInRange(group, at, 'instant');
  const base = utcDay(at);
  const near: ResolvedDay[] = [];
  for (let d = base - 2; d <= base + 2; d++) near.push(resolvedDay(group, d, overrides));

  const stretch = openIntervalFrom(group, at, overrides);
  const openNow = stretch !== null && stretch.start <= at;
  const after = openNow ? openIntervalFrom(group, stretch.end, overrides) : stretch;
  const nextOpen = after?.start ?? null;
  const nextClose = openNow ? stretch.end : (after?.end ?? null);

  const current = near.find((r) => hasSession(r) && r.open <= at && at < r.close);
  const recent = current ?? mostRecentSession(group, at, overrides);
  const common = {
    group: group.id,
    at,
    timeZone: (current ?? near.find((r) => r.schedule))?.schedule?.timeZone ?? group.schedules[0].timeZone,
    tradeDate: current?.date ?? null,
    sessionOpen: recent?.open ?? null,
    sessionClose: recent?.close ?? null,
    earlyClose: current && current.status === 'early_close' ? reasonOfDay(current) : null,
    nextOpen,
    nextClose,
  };
  if (openNow) return { ...common, state: 'open', reason: { kind: 'session' } };

  const window = overrides.groups[group.id]?.windows.find((w) => w.from <= at && at < w.to);
  if (window) return { ...common, state: 'closed', reason: { kind: 'override', name: window.name } };
  if (current) {
    const pause = current.pauses.find((p) => p.start <= at && at < p.end);
    if (pause) return { ...common, state: 'break', reason: { kind: 'pause', name: pause.name } };
  }
  const reason = gapReason(near, at);
  return { ...common, state: reason.kind === 'maintenance' ? 'break' : 'closed', reason };
}

function reasonOfDay(r: ResolvedDay): Reason {
  if (r.source === 'override') return { kind: 'override', name: r.name };
  return { kind: r.status === 'closed' ? 'holiday' : 'early_close', name: r.name };
}

/**
 * Why the market is shut at `at` outside any session, judged against the plain weekly template:
 * inside the template hours of a trade date → that date's holiday or early close; in the gap
 * between two template sessions → weekend, else the holiday on either side, else the daily
 * maintenance break (the only case that is a 'break': the market reopens at the usual time).
 */
function gapReason(near: ResolvedDay[], at: number): Reason {
  const template = near.find((r) => r.status !== 'none' && r.open <= at && at < r.regularClose);
  if (template) return reasonOfDay(template);
  let prev: ResolvedDay | undefined;
  let next: ResolvedDay | undefined;
  for (const r of near) {
    if (r.status === 'none') continue;
    if (r.regularClose <= at) prev = r;
    else if (r.open > at && !next) next = r;
  }
  if (!prev || !next || next.day - prev.day > 1) return { kind: 'weekend' };
  if (prev.status === 'closed') return reasonOfDay(prev);
  if (next.status === 'closed') return reasonOfDay(next);
  if (prev.status === 'early_close') return reasonOfDay(prev);
  return { kind: 'maintenance' };
}

function mostRecentSession(group: ProductGroup, at: number, overrides: CalendarOverrides): ResolvedDay | undefined {
  const base = utcDay(at);
  for (let d = base + 2; d >= base - 40; d--) {
    const r = resolvedDay(group, d, overrides);
    if (hasSession(r) && r.close <= at) return r;
  }
  return undefined;
}

/** Trade dates with a session that overlaps [from, to), oldest first (catalog session markers, replays). */
export function sessionsBetween(groupId: string, from: number, to: number, overrides: CalendarOverrides = NO_OVERRIDES): ResolvedDay[] {
  const group = productGroup(groupId);
  assertInRange(group, from, 'from');
  const out: ResolvedDay[] = [];
  for (let d = utcDay(from) - 2; d <= utcDay(to) + 2; d++) {
    const r = resolvedDay(group, d, overrides);
    if (hasSession(r) && r.open < to && r.close > from) out.push(r);
  }
  return out;
}

/**
 * The trade date an instant belongs to: the date whose template session hours contain it, else
 * the next trade date (a Saturday belongs to Monday). Used for contract rolls.
 */
export function tradeDateOf(groupId: string, at: number, overrides: CalendarOverrides = NO_OVERRIDES): string {
  const group = productGroup(groupId);
  assertInRange(group, at, 'instant');
  for (let d = utcDay(at) - 2; d <= utcDay(at) + 10; d++) {
    const r = resolvedDay(group, d, overrides);
    if (r.status !== 'none' && at < r.regularClose) return formatDay(d);
  }
  throw new Error('tradeDateOf: no trade weekday within 10 days'); // a schedule with no trade weekdays
}

export interface SessionMarker {
  at: number;
  /** open: trading starts (a session opens or resumes after a pause/closure window); close: it stops */
  kind: 'open' | 'close';
  tradeDate: string;
  /** for a close that ends a session early: the holiday or override name */
  earlyClose?: string;
}

/** Open/close markers of every trading stretch inside [from, to), in time order (catalog session markers). */
export function sessionMarkers(groupId: string, from: number, to: number, overrides: CalendarOverrides = NO_OVERRIDES): SessionMarker[] {
  const out: SessionMarker[] = [];
  for (const day of sessionsBetween(groupId, from, to, overrides))
    for (const [s, e] of day.intervals) {
      if (s >= from && s < to) out.push({ at: s, kind: 'open', tradeDate: day.date });
      if (e >= from && e < to)
        out.push(
          e === day.close && day.status === 'early_close'
            ? { at: e, kind: 'close', tradeDate: day.date, earlyClose: day.name }
            : { at: e, kind: 'close', tradeDate: day.date },
        );
    }
  return out;
}
