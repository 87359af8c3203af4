/** Shared vocabulary of the session calendar (src/core/calendar). */
import type { DayNumber } from './civil.js';

/** What a holiday rule or an override does to a trade date. Times are minutes after local midnight. */
export type DayAction = { kind: 'closed' } | { kind: 'early_close'; close: number };

/** open: trading; break: the scheduled daily maintenance break or an intraday pause; closed: anything else. */
export type SessionState = 'open' | 'closed' | 'break';

export type ReasonKind =
  | 'session' // open, a scheduled session
  | 'maintenance' // the daily maintenance break between two sessions (16:00–17:00 CT)
  | 'pause' // a scheduled intraday pause inside a session (15:15–15:30 CT before 2021-06-28)
  | 'weekend'
  | 'holiday' // a full-close holiday from the rules
  | 'early_close' // after a holiday early close from the rules
  | 'override'; // an operator override from the config file (closure, closure window, early close)

export interface Reason {
  kind: ReasonKind;
  /** holiday or override name; absent for session/maintenance/weekend */
  name?: string;
}

/** Operator overrides for one product group, compiled from the config file (overrides.ts). */
export interface GroupOverrides {
  /** whole trade dates with no session */
  closures: ReadonlyMap<DayNumber, { name: string }>;
  /** trade dates whose session ends early (replaces what the rules say for that date, even a rule closure) */
  earlyCloses: ReadonlyMap<DayNumber, { close: number; name: string }>;
  /** instants [from, to) during which the market is closed, sorted by from */
  windows: ReadonlyArray<{ from: number; to: number; name: string }>;
}

/** Operator overrides for all groups; pass the same object on every call (resolved days are cached per object). */
export interface CalendarOverrides {
  groups: Readonly<Record<string, GroupOverrides | undefined>>;
}

export const NO_OVERRIDES: CalendarOverrides = Object.freeze({ groups: Object.freeze({}) });
