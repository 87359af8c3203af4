/**
 * Market time: seconds during which a group's market was open. Walks resolved trade dates (a
 * handful per call for the spans freshness checks use), never individual seconds.
 */
import { assertInRange, resolvedDay } from './days.js';
import { productGroup } from './rules.js';
import { openIntervalFrom } from './session.js';
import { NO_OVERRIDES, type CalendarOverrides } from './types.js';

const DAY_MS = 86_400_000;

/** Seconds the market was open in [from, to) (0 when to ≤ from). Millisecond precision. */
export function openSecondsBetween(groupId: string, from: number, to: number, overrides: CalendarOverrides = NO_OVERRIDES): number {
  const group = productGroup(groupId);
  if (!(to > from)) return 0;
  assertInRange(group, from, 'from');
  let ms = 0;
  const last = Math.floor(to / DAY_MS) + 2;
  for (let d = Math.floor(from / DAY_MS) - 2; d <= last; d++)
    for (const [s, e] of resolvedDay(group, d, overrides).intervals) {
      const lo = Math.max(s, from);
      const hi = Math.min(e, to);
      if (hi > lo) ms += hi - lo;
    }
  return ms / 1000;
}

/**
 * The earliest instant x ≥ from with openSecondsBetween(from, x) = seconds: `seconds` of market
 * time after `from`. When the count completes exactly at a close, x is that close. null when the
 * market does not open within the search horizon (about 400 days).
 */
export function addOpenSeconds(groupId: string, from: number, seconds: number, overrides: CalendarOverrides = NO_OVERRIDES): number | null {
  const group = productGroup(groupId);
  assertInRange(group, from, 'from');
  let left = seconds * 1000;
  let t = from;
  if (left <= 0) return from;
  for (;;) {
    const iv = openIntervalFrom(group, t, overrides);
    if (!iv) return null;
    const start = Math.max(iv.start, t);
    if (iv.end - start >= left) return start + left;
    left -= iv.end - start;
    t = iv.end;
  }
}

/**
 * The instant after which more than `seconds` of market time separate it from `from`: every
 * instant y > x has openSecondsBetween(from, y) > seconds once the market is open at y. When the
 * count completes exactly at a close, the bound is only exceeded once the market reopens.
 */
export function exceedsOpenSecondsAt(groupId: string, from: number, seconds: number, overrides: CalendarOverrides = NO_OVERRIDES): number | null {
  const x = addOpenSeconds(groupId, from, seconds, overrides);
  if (x === null) return null;
  const iv = openIntervalFrom(productGroup(groupId), x, overrides);
  if (!iv) return null;
  return iv.start <= x ? x : iv.start;
}
