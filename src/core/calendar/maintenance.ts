/**
 * Scheduled maintenance windows per integration: dated one-off windows, recurring weekly windows
 * (wall-clock times in an IANA zone, e.g. a broker's weekend maintenance) and the exchange's own
 * daily maintenance break taken from the session calendar. Compiled from the config file by
 * overrides.ts; pure.
 */
import { formatClock, weekdayOf, WEEKDAY_NAMES, type Weekday } from './civil.js';
import { sessionAt } from './session.js';
import { NO_OVERRIDES, type CalendarOverrides } from './types.js';
import { instantToWall, wallToInstant } from './zone.js';

export type MaintenanceWindow =
  | { kind: 'dated'; name: string; from: number; to: number }
  | {
      kind: 'weekly';
      name: string;
      timeZone: string;
      startDay: Weekday;
      /** minutes after local midnight */
      start: number;
      /** days from the start day to the end day (0–6) */
      spanDays: number;
      end: number;
    }
  /** the group's daily maintenance break (CME: 16:00–17:00 CT Mon–Thu) */
  | { kind: 'calendar_break'; name: string; group: string };

export interface MaintenanceHit {
  window: MaintenanceWindow;
  start: number;
  /** when maintenance ends, following overlapping or back-to-back windows */
  end: number;
}

function occurrence(w: MaintenanceWindow, at: number, overrides: CalendarOverrides): { start: number; end: number } | null {
  switch (w.kind) {
    case 'dated':
      return w.from <= at && at < w.to ? { start: w.from, end: w.to } : null;
    case 'weekly': {
      // the occurrence containing `at` started within the last 7 local days (windows are shorter than a week)
      const today = instantToWall(at, w.timeZone).day;
      for (let back = 0; back <= 7; back++) {
        const d = today - back;
        if (weekdayOf(d) !== w.startDay) continue;
        const start = wallToInstant(d, w.start, w.timeZone);
        const end = wallToInstant(d + w.spanDays, w.end, w.timeZone);
        if (start <= at && at < end) return { start, end };
      }
      return null;
    }
    case 'calendar_break': {
      const s = sessionAt(w.group, at, overrides);
      return s.reason.kind === 'maintenance' && s.sessionClose !== null && s.nextOpen !== null ? { start: s.sessionClose, end: s.nextOpen } : null;
    }
  }
}

/** The maintenance window `at` falls in (of one integration's windows), or null. */
export function inMaintenance(windows: readonly MaintenanceWindow[], at: number, overrides: CalendarOverrides = NO_OVERRIDES): MaintenanceHit | null {
  let hit: MaintenanceHit | null = null;
  for (const w of windows) {
    const o = occurrence(w, at, overrides);
    if (o && (!hit || o.end > hit.end)) hit = { window: w, ...o };
  }
  if (!hit) return null;
  // an adjoining or overlapping window keeps the integration in maintenance
  for (let i = 0; i < 32; i++) {
    let further: number = hit.end;
    for (const w of windows) {
      const o = occurrence(w, hit.end, overrides);
      if (o && o.end > further) further = o.end;
    }
    if (further === hit.end) break;
    hit = { ...hit, end: further };
  }
  return hit;
}

/** One line for a window, e.g. "weekly sat 22:00 → sun 02:00 America/Chicago". */
export function describeWindow(w: MaintenanceWindow): string {
  const hhmm = formatClock;
  const days = WEEKDAY_NAMES;
  switch (w.kind) {
    case 'dated':
      return `${w.name}: ${new Date(w.from).toISOString()} → ${new Date(w.to).toISOString()}`;
    case 'weekly':
      return `${w.name}: weekly ${days[w.startDay]} ${hhmm(w.start)} → ${days[(w.startDay + w.spanDays) % 7]} ${hhmm(w.end)} ${w.timeZone}`;
    case 'calendar_break':
      return `${w.name}: ${w.group} daily maintenance break`;
  }
}
