/**
 * The reference bot's market time, from the session calendar (src/core/calendar): which
 * contract it trades (the front month of a CME root when the operator names no symbol), the
 * bars of the current session (VWAP and friends reset at the calendar's session open, not at a
 * guessed gap), and the catalog's session markers (md.session_open, md.session_phase,
 * md.minutes_to_close) computed from the same calendar the gate uses.
 */
import { frontMonth, groupOfSymbol, isOpen, NO_OVERRIDES, rootOfSymbol, sessionAt, type CalendarOverrides } from '../core/calendar/index.js';
import type { Bar } from './features.js';

/**
 * The symbol to trade when the operator gave none: for a CME root (Databento's continuous
 * `ES.c.0`, parent `ES.FUT`, or a bare root) the front-month contract at `at` (e.g. ESZ6, a
 * Databento raw_symbol on GLBX.MDP3 and the broker's contract); any other default as it is.
 */
export function tradedSymbol(vendorDefault: string, at: number, overrides: CalendarOverrides = NO_OVERRIDES): string {
  const root = rootOfSymbol(vendorDefault);
  if (root === undefined || groupOfSymbol(root) === undefined) return vendorDefault;
  return frontMonth(root, at, overrides).symbol;
}

/**
 * The bars of the session the last bar belongs to (from that session's open). Bars whose last
 * one falls in no session of the symbol's group (a symbol of no known group, a feed replaying
 * off-hours) are returned as they are, so features never vanish for lack of a calendar.
 */
export function sessionBars(bars: readonly Bar[], symbol: string, overrides: CalendarOverrides = NO_OVERRIDES): Bar[] {
  const group = groupOfSymbol(symbol);
  const last = bars[bars.length - 1];
  if (!group || !last) return [...bars];
  const s = sessionAt(group, last.t, overrides);
  if (s.state !== 'open' || s.sessionOpen === null) return [...bars];
  const open = s.sessionOpen;
  return bars.filter((b) => b.t >= open);
}

export interface SessionMarkers {
  keys: string[];
  values: { session_open: boolean; session_phase: 'open' | 'break' | 'closed'; minutes_to_close: number | null };
}

/** The catalog's session markers at `at` for the symbol's group; null for a symbol of no known group. */
export function sessionMarkersAt(symbol: string, at: number, overrides: CalendarOverrides = NO_OVERRIDES): SessionMarkers | null {
  const group = groupOfSymbol(symbol);
  if (!group) return null;
  const open = isOpen(group, at, overrides);
  const s = sessionAt(group, at, overrides);
  const minutes = open && s.nextClose !== null ? Math.max(0, Math.floor((s.nextClose - at) / 60_000)) : null;
  const keys = ['md.session_open', 'md.session_phase', ...(minutes === null ? [] : ['md.minutes_to_close'])];
  return { keys, values: { session_open: open, session_phase: s.state, minutes_to_close: minutes } };
}
