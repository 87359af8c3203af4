/**
 * The JSON-friendly shape of "where is the market now", shared by `observatory session --json`,
 * the TUI header and the HTTP API. Field names are snake_case like the other views; instants are
 * ISO 8601 UTC strings; the time zone the calendar reasons in is given alongside.
 */
import { sessionAt, type SessionInfo } from './session.js';
import { NO_OVERRIDES, type CalendarOverrides, type Reason, type ReasonKind, type SessionState } from './types.js';
import { formatWall } from './zone.js';

export interface SessionView {
  group: string;
  at: string;
  time_zone: string;
  state: SessionState;
  reason: { kind: ReasonKind; name: string | null };
  /** trade date of the session `at` falls in; null between sessions */
  trade_date: string | null;
  /** current session, or the most recent one between sessions */
  session_open: string | null;
  session_close: string | null;
  /** set when the current session closes early */
  early_close: { kind: ReasonKind; name: string | null } | null;
  next_open: string | null;
  next_close: string | null;
  /** until the state next changes: to next_close when open, else to next_open (rounded up) */
  seconds_to_next_change: number | null;
  /** one line for people, e.g. "closed (holiday: Christmas); opens Thu 2025-12-25 17:00 CST, in 6h 0m" */
  summary: string;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const reasonJson = (r: Reason) => ({ kind: r.kind, name: r.name ?? null });

export function describeReason(r: Reason): string {
  switch (r.kind) {
    case 'session':
      return 'session';
    case 'maintenance':
      return 'daily maintenance';
    case 'weekend':
      return 'weekend';
    case 'pause':
      return r.name ?? 'intraday pause';
    case 'holiday':
      return `holiday: ${r.name}`;
    case 'early_close':
      return `early close: ${r.name}`;
    case 'override':
      return `override: ${r.name}`;
  }
}

/** 90061 → "1d 1h 1m"; 3725 → "1h 2m"; 125 → "2m 5s"; 42 → "42s" */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** SessionInfo → SessionView. */
export function toSessionView(info: SessionInfo): SessionView {
  const change = info.state === 'open' ? info.nextClose : info.nextOpen;
  const seconds = change === null ? null : Math.ceil((change - info.at) / 1000);
  let summary = info.state === 'open' ? 'open' : `${info.state} (${describeReason(info.reason)})`;
  if (info.state === 'open' && info.earlyClose) summary += ` (${describeReason(info.earlyClose)})`;
  if (change !== null && seconds !== null)
    summary += `; ${info.state === 'open' ? 'closes' : 'opens'} ${formatWall(change, info.timeZone)}, in ${formatCountdown(seconds)}`;
  else summary += info.state === 'open' ? '' : '; no open scheduled within the calendar horizon';
  return {
    group: info.group,
    at: new Date(info.at).toISOString(),
    time_zone: info.timeZone,
    state: info.state,
    reason: reasonJson(info.reason),
    trade_date: info.tradeDate,
    session_open: iso(info.sessionOpen),
    session_close: iso(info.sessionClose),
    early_close: info.earlyClose ? reasonJson(info.earlyClose) : null,
    next_open: iso(info.nextOpen),
    next_close: iso(info.nextClose),
    seconds_to_next_change: seconds,
    summary,
  };
}

/** The view for a group at an instant (unknown group / instant before the calendar → UsageError). */
export function sessionView(groupId: string, at: number, overrides: CalendarOverrides = NO_OVERRIDES): SessionView {
  return toSessionView(sessionAt(groupId, at, overrides));
}
