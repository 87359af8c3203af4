/**
 * Freshness in market seconds: a bot's market data is stale when more than `boundSeconds` of
 * OPEN market time have passed since its last OK market-data event. Outside sessions (break,
 * weekend, holiday, after an early close) nothing is stale for lack of data: bars cannot arrive.
 * Fail-closed: no event at all while the market is open is stale.
 */
import { notBeforeCalendar } from './days.js';
import { exceedsOpenSecondsAt, openSecondsBetween } from './market-seconds.js';
import { productGroup } from './rules.js';
import { isOpen, sessionAt } from './session.js';
import { NO_OVERRIDES, type CalendarOverrides, type Reason, type SessionState } from './types.js';

export interface MarketFreshness {
  stale: boolean;
  /** the market's state at `now` */
  state: SessionState;
  reason: Reason;
  boundSeconds: number;
  /** open-market seconds from the last event to now; null when there is no event */
  openSecondsSinceLast: number | null;
  /** when stale: the instant the bound was exceeded (null with no event at all) */
  staleSince: number | null;
}

export function marketFreshness(
  groupId: string,
  lastOkAt: number | null | undefined,
  now: number,
  boundSeconds: number,
  overrides: CalendarOverrides = NO_OVERRIDES,
): MarketFreshness {
  if (!(boundSeconds > 0)) throw new RangeError('marketFreshness: boundSeconds must be positive');
  // open is the common case on the gate's path: skip the full session answer then
  const s = isOpen(groupId, now, overrides) ? { state: 'open' as const, reason: { kind: 'session' as const } } : sessionAt(groupId, now, overrides);
  // an event older than the calendar counts from the calendar's start: more market time, never less
  const from = lastOkAt === null || lastOkAt === undefined ? null : notBeforeCalendar(productGroup(groupId), lastOkAt);
  const since = from === null ? null : openSecondsBetween(groupId, from, now, overrides);
  const stale = s.state === 'open' && (since === null || since > boundSeconds);
  return {
    stale,
    state: s.state,
    reason: s.reason,
    boundSeconds,
    openSecondsSinceLast: since,
    staleSince: stale && from !== null ? exceedsOpenSecondsAt(groupId, from, boundSeconds, overrides) : null,
  };
}
