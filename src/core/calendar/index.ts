/**
 * Session calendar: CME Globex sessions per product group, holidays from dated rules, operator
 * overrides, market-time arithmetic, freshness in market seconds, maintenance windows, front month.
 * Pure functions of (group, instant, overrides); no I/O, except the zone-offset cache a face turns
 * on with setZoneCacheHome (zone.ts), which only memoises the tz library. Faces and the gate import from here.
 */
export { KNOWN_GROUPS, PRODUCT_GROUPS, productGroup, groupOfSymbol, rootOfSymbol, scheduleFor, firstTradeDate } from './rules.js';
export type { ProductGroup, Schedule, SessionPause } from './rules.js';
export { CME_EQUITY_HOLIDAYS, GOOD_FRIDAY_EARLY_CLOSE_YEARS, holidaysOfYear } from './holidays.js';
export type { HolidayRule, HolidayHit } from './holidays.js';
export { tradeDay, calendarStart, notBeforeCalendar } from './days.js';
export type { ResolvedDay, DayStatus } from './days.js';
export { sessionAt, isOpen, sessionsBetween, sessionMarkers, tradeDateOf } from './session.js';
export type { SessionInfo, SessionMarker } from './session.js';
export { openSecondsBetween, addOpenSeconds, exceedsOpenSecondsAt } from './market-seconds.js';
export { marketFreshness } from './freshness.js';
export type { MarketFreshness } from './freshness.js';
export { inMaintenance, describeWindow } from './maintenance.js';
export type { MaintenanceWindow, MaintenanceHit } from './maintenance.js';
export { calendarSectionSchema, compileCalendarConfig, parseCalendarConfig, EMPTY_CALENDAR_CONFIG } from './overrides.js';
export type { CalendarConfig, CalendarSection } from './overrides.js';
export { sessionView, toSessionView, describeReason, formatCountdown } from './view.js';
export type { SessionView } from './view.js';
export { frontMonth, contractOf, QUARTERLY_MONTH_CODES } from './contracts.js';
export type { Contract } from './contracts.js';
export { parseAt, parseInstant } from './instant.js';
export { parseDay, formatDay } from './civil.js';
export { formatWall, setZoneCacheHome } from './zone.js';
export { NO_OVERRIDES } from './types.js';
export type { CalendarOverrides, GroupOverrides, Reason, ReasonKind, SessionState, DayAction } from './types.js';
