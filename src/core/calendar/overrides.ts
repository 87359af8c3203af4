/**
 * The config file's `calendar` section: operator overrides per product group (extra closures,
 * closure windows, extra early closes) and scheduled maintenance windows per integration.
 *
 *   "calendar": {
 *     "groups": { "equity_index": {
 *       "closures":     [ { "date": "2025-01-09", "name": "National Day of Mourning" },
 *                         { "from": "2025-03-05T14:00:00-06:00", "to": "2025-03-05T15:30:00-06:00", "name": "exchange halt" } ],
 *       "early_closes": [ { "date": "2025-04-18", "close": "08:15", "name": "Good Friday" } ] } },
 *     "maintenance": { "tradovate": [
 *       { "weekly": { "start_day": "sat", "start": "22:00", "end_day": "sun", "end": "02:00" }, "time_zone": "America/Chicago", "name": "weekend maintenance" },
 *       { "from": "2025-06-01T00:00:00Z", "to": "2025-06-01T04:00:00Z", "name": "announced upgrade" },
 *       { "calendar_break": "equity_index" } ] }
 *   }
 *
 * An override for a trade date replaces what the rules say for it (an early close can reopen a
 * rule holiday, e.g. a Good Friday CME decides to open). Validation names the exact field
 * (`calendar.groups.equity_index.closures.1.to`) and never echoes a value. config.ts plugs
 * `calendarSectionSchema` into its file schema and `compileCalendarConfig` into its loader; the
 * compile step reads the raw validated shape, so it also works on a trusted (unvalidated) file.
 */
import type * as Z from 'zod';
import { ConfigError } from '../errors.js';
import { lazySchema } from '../lazy-zod.js';
import { formatClock, formatDay, parseClock, parseDay, weekdayOf, WEEKDAY_NAMES, type DayNumber, type Weekday } from './civil.js';
import { INSTANT_EXPECTED, parseInstant } from './instant.js';
import type { MaintenanceWindow } from './maintenance.js';
import { firstTradeDate, KNOWN_GROUPS, PRODUCT_GROUPS, scheduleFor } from './rules.js';
import type { CalendarOverrides, GroupOverrides } from './types.js';
import { isTimeZone } from './zone.js';

const DEFAULT_MAINTENANCE_ZONE = 'America/Chicago';

export const calendarSectionSchema = lazySchema((z) => {
  const name = z.string().min(1).max(120);
  const instant = z.string().refine((s) => parseInstant(s) !== undefined, INSTANT_EXPECTED);
  const date = z.string().refine((s) => parseDay(s) !== undefined, 'expected a calendar date YYYY-MM-DD');
  const hhmm = z.string().refine((s) => parseClock(s) !== undefined, 'expected a 24-hour time HH:MM');
  const weekday = z.enum(WEEKDAY_NAMES);

  const closure = z
    .object({ date: date.optional(), from: instant.optional(), to: instant.optional(), name })
    .strict()
    .superRefine((c, ctx) => {
      if (c.date !== undefined) {
        if (c.from !== undefined || c.to !== undefined)
          ctx.addIssue({ code: 'custom', path: ['date'], message: 'give either `date` or `from` and `to`, not both' });
        return;
      }
      if (c.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'required (or give `date` to close a whole trade date)' });
      if (c.to === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: 'required with `from`' });
      if (c.from !== undefined && c.to !== undefined && !(parseInstant(c.to)! > parseInstant(c.from)!))
        ctx.addIssue({ code: 'custom', path: ['to'], message: 'the window ends before it starts (expected an instant after `from`)' });
    });
  const earlyClose = z.object({ date, close: hhmm, name }).strict();
  const groupOverrides = z.object({ closures: z.array(closure).max(1000).optional(), early_closes: z.array(earlyClose).max(1000).optional() }).strict();

  const groups = z.record(z.string(), groupOverrides).superRefine((all, ctx) => {
    for (const [groupId, g] of Object.entries(all)) {
      const group = Object.hasOwn(PRODUCT_GROUPS, groupId) ? PRODUCT_GROUPS[groupId] : undefined;
      if (!group) {
        ctx.addIssue({ code: 'custom', path: [groupId], message: `unknown product group; known groups: ${KNOWN_GROUPS.join(', ')}` });
        continue;
      }
      const seen = new Map<DayNumber, string>();
      const checkDate = (text: string, path: (string | number)[]): DayNumber | undefined => {
        const d = parseDay(text)!;
        const schedule = scheduleFor(group, d);
        const where = path.join('.');
        if (!schedule) {
          ctx.addIssue({
            code: 'custom',
            path: [groupId, ...path],
            message: `before the ${groupId} calendar's first trade date ${formatDay(firstTradeDate(group))}`,
          });
          return undefined;
        }
        if (!schedule.tradeWeekdays.includes(weekdayOf(d))) {
          const days = schedule.tradeWeekdays.map((w) => WEEKDAY_NAMES[w]).join(', ');
          ctx.addIssue({ code: 'custom', path: [groupId, ...path], message: `not a trade date of ${groupId} (trade dates fall on ${days})` });
          return undefined;
        }
        const other = seen.get(d);
        if (other !== undefined) {
          ctx.addIssue({ code: 'custom', path: [groupId, ...path], message: `the same trade date as ${other}: one override per date` });
          return undefined;
        }
        seen.set(d, where);
        return d;
      };
      g.closures?.forEach((c, i) => c.date !== undefined && checkDate(c.date, ['closures', i, 'date']));
      g.early_closes?.forEach((e, i) => {
        const d = checkDate(e.date, ['early_closes', i, 'date']);
        const schedule = d === undefined ? undefined : scheduleFor(group, d);
        if (schedule && parseClock(e.close)! >= schedule.close)
          ctx.addIssue({
            code: 'custom',
            path: [groupId, 'early_closes', i, 'close'],
            message: `expected a time before the regular close ${formatClock(schedule.close)}`,
          });
      });
    }
  });

  const weekly = z.object({ start_day: weekday, start: hhmm, end_day: weekday.optional(), end: hhmm }).strict();
  const maintenanceWindow = z
    .object({
      from: instant.optional(),
      to: instant.optional(),
      weekly: weekly.optional(),
      time_zone: z.string().min(1).max(64).optional(),
      calendar_break: z.string().optional(),
      name: name.optional(),
    })
    .strict()
    .superRefine((w, ctx) => {
      const forms = [w.from !== undefined || w.to !== undefined, w.weekly !== undefined, w.calendar_break !== undefined].filter(Boolean).length;
      if (forms !== 1) {
        ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of `from`+`to`, `weekly` or `calendar_break`' });
        return;
      }
      if (w.time_zone !== undefined && w.weekly === undefined) ctx.addIssue({ code: 'custom', path: ['time_zone'], message: 'only for a `weekly` window' });
      if (w.time_zone !== undefined && !isTimeZone(w.time_zone))
        ctx.addIssue({ code: 'custom', path: ['time_zone'], message: 'expected an IANA time zone name, like America/Chicago' });
      if (w.calendar_break !== undefined && !Object.hasOwn(PRODUCT_GROUPS, w.calendar_break))
        ctx.addIssue({ code: 'custom', path: ['calendar_break'], message: `unknown product group; known groups: ${KNOWN_GROUPS.join(', ')}` });
      if (w.from !== undefined || w.to !== undefined) {
        if (w.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'required with `to`' });
        if (w.to === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: 'required with `from`' });
        if (w.from !== undefined && w.to !== undefined && !(parseInstant(w.to)! > parseInstant(w.from)!))
          ctx.addIssue({ code: 'custom', path: ['to'], message: 'the window ends before it starts (expected an instant after `from`)' });
      }
      if (w.weekly && (w.weekly.end_day ?? w.weekly.start_day) === w.weekly.start_day && parseClock(w.weekly.end)! <= parseClock(w.weekly.start)!)
        ctx.addIssue({
          code: 'custom',
          path: ['weekly', 'end'],
          message: 'the window ends before it starts (on the same day; set `end_day` for a window past midnight)',
        });
    });

  return z
    .object({
      groups: groups.optional(),
      maintenance: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'lowercase name: a-z, 0-9, _'), z.array(maintenanceWindow).max(100)).optional(),
    })
    .strict();
});

export type CalendarSection = Z.infer<ReturnType<typeof calendarSectionSchema>>;

export interface CalendarConfig {
  overrides: CalendarOverrides;
  /** maintenance windows by integration name */
  maintenance: ReadonlyMap<string, readonly MaintenanceWindow[]>;
}

export const EMPTY_CALENDAR_CONFIG: CalendarConfig = Object.freeze({
  overrides: Object.freeze({ groups: Object.freeze({}) }),
  maintenance: new Map(),
});

const dayOfWeek = (name: string): Weekday => WEEKDAY_NAMES.indexOf(name as (typeof WEEKDAY_NAMES)[number]) as Weekday;

/** Validated `calendar` section (or none) → what the calendar functions take. Pure. */
export function compileCalendarConfig(section: CalendarSection | undefined): CalendarConfig {
  if (!section) return EMPTY_CALENDAR_CONFIG;
  const groups: Record<string, GroupOverrides> = {};
  for (const [groupId, g] of Object.entries(section.groups ?? {})) {
    const closures = new Map<DayNumber, { name: string }>();
    const windows: Array<{ from: number; to: number; name: string }> = [];
    for (const c of g.closures ?? []) {
      if (c.date !== undefined) closures.set(parseDay(c.date)!, { name: c.name });
      else windows.push({ from: parseInstant(c.from!)!, to: parseInstant(c.to!)!, name: c.name });
    }
    windows.sort((a, b) => a.from - b.from);
    const earlyCloses = new Map<DayNumber, { close: number; name: string }>();
    for (const e of g.early_closes ?? []) earlyCloses.set(parseDay(e.date)!, { close: parseClock(e.close)!, name: e.name });
    groups[groupId] = { closures, earlyCloses, windows };
  }
  const maintenance = new Map<string, MaintenanceWindow[]>();
  for (const [integration, list] of Object.entries(section.maintenance ?? {}))
    maintenance.set(
      integration,
      list.map((w): MaintenanceWindow => {
        if (w.weekly) {
          const startDay = dayOfWeek(w.weekly.start_day);
          const endDay = dayOfWeek(w.weekly.end_day ?? w.weekly.start_day);
          return {
            kind: 'weekly',
            name: w.name ?? 'weekly maintenance',
            timeZone: w.time_zone ?? DEFAULT_MAINTENANCE_ZONE,
            startDay,
            start: parseClock(w.weekly.start)!,
            spanDays: (endDay - startDay + 7) % 7,
            end: parseClock(w.weekly.end)!,
          };
        }
        if (w.calendar_break !== undefined)
          return { kind: 'calendar_break', name: w.name ?? `${w.calendar_break} daily maintenance break`, group: w.calendar_break };
        return { kind: 'dated', name: w.name ?? 'scheduled maintenance', from: parseInstant(w.from!)!, to: parseInstant(w.to!)! };
      }),
    );
  return { overrides: { groups }, maintenance };
}

/**
 * Validate and compile a `calendar` section read from a file; a bad field is a ConfigError
 * (exit 78) naming it, e.g. "config file x.json: field `calendar.groups.equity_index.closures.0.to`: …".
 */
export function parseCalendarConfig(json: unknown, where: string, pathPrefix: readonly string[] = ['calendar']): CalendarConfig {
  const parsed = calendarSectionSchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = [...pathPrefix, ...(issue.path as PropertyKey[]).map(String)].join('.') || '(root)';
    const what = issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message;
    throw new ConfigError(`${where}: field \`${field}\`: ${what}`, 'fix the field and run again (see README "Configuration")');
  }
  return compileCalendarConfig(parsed.data);
}
