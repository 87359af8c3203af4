/**
 * A zone's UTC offsets (and their abbreviations) over a span of years, exactly as the tz library
 * reports them, so that zone.ts can turn wall clock ↔ instant by arithmetic. Why: the first
 * Intl.DateTimeFormat of a process costs ~115 M instructions (35–60 ms under load, a quarter of
 * what `gate check` spent beyond the floor), and the library creates one for every zone it
 * touches. Nothing here is written by hand: the table is a memo of the library (which reads Node's
 * ICU tzdata), built by a run that pays for Intl anyway and kept in the home cache (zone.ts).
 *
 * Building samples the library's offset once a day and bisects each change to the second, so it
 * assumes a zone changes its offset at most once within a day (true of every rule in tzdata; the
 * closest transitions are weeks apart). A span whose abbreviation differs at its two ends, a
 * fractional-minute offset or an unknown zone gives no table: the library answers instead.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tzOffset } from '@date-fns/tz/tzOffset';
import { cacheDir, isPrivateDir, makePrivateDir, pruneOldest } from '../home-cache.js';
import { VERSION } from '../version.js';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;

export interface ZoneTable {
  zone: string;
  /** the table answers for instants in [from, to) (ms) */
  from: number;
  to: number;
  /** starts[i]: the instant from which offsets[i] (minutes east of UTC) and abbrs[i] hold, until starts[i + 1] or `to` */
  starts: number[];
  offsets: number[];
  abbrs: string[];
}

/** The library's abbreviation of the zone at an instant (what formatWall prints: "CST", "GMT+10"). */
export function libraryAbbreviation(fmt: Intl.DateTimeFormat, timeZone: string, instant: number): string {
  return fmt.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
}

export function abbreviationFormat(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' });
}

/** The table of `timeZone` for [from, to) (whole seconds), or undefined when the library cannot give a plain one. */
export function buildZoneTable(timeZone: string, from: number, to: number): ZoneTable | undefined {
  const offsetAt = (t: number) => tzOffset(timeZone, new Date(t));
  let current = offsetAt(from);
  if (!Number.isInteger(current) || from % 1000 !== 0 || to % 1000 !== 0 || to <= from) return undefined;
  const starts = [from];
  const offsets = [current];
  for (let lo = from; lo < to - 1000;) {
    const hi = Math.min(lo + DAY_MS, to - 1000);
    const next = offsetAt(hi);
    if (!Number.isInteger(next)) return undefined;
    if (next === current) {
      lo = hi;
      continue;
    }
    // offsetAt(a) === current, offsetAt(b) !== current: the change is at b once they are 1 s apart
    let a = lo;
    let b = hi;
    while (b - a > 1000) {
      const mid = a + Math.floor((b - a) / 2000) * 1000;
      if (offsetAt(mid) === current) a = mid;
      else b = mid;
    }
    current = offsetAt(b);
    starts.push(b);
    offsets.push(current);
    lo = b;
  }
  const fmt = abbreviationFormat(timeZone);
  const abbrs: string[] = [];
  for (let i = 0; i < starts.length; i++) {
    const end = (i + 1 < starts.length ? starts[i + 1] : to) - 1000;
    const abbr = libraryAbbreviation(fmt, timeZone, starts[i]);
    if (libraryAbbreviation(fmt, timeZone, end) !== abbr) return undefined;
    abbrs.push(abbr);
  }
  return { zone: timeZone, from, to, starts, offsets, abbrs };
}

/** Index of the span holding `instant`, or -1 outside the table. */
export function spanAt(table: ZoneTable, instant: number): number {
  if (!(instant >= table.from && instant < table.to)) return -1;
  let lo = 0;
  let hi = table.starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (table.starts[mid] <= instant) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The instant whose wall clock reads `wall` (the wall fields as a UTC time value), as zone.ts
 * documents: a wall time shown twice gives the first; one skipped by a spring-forward is read
 * with the offset in force before the gap, which lands after it (02:30 → 03:30 CDT). undefined:
 * outside the table. libraryInstantOfWall is the same rule on the library's offsets.
 */
export function instantOfWall(table: ZoneTable, wall: number): number | undefined {
  const n = table.starts.length;
  for (let i = 0; i < n; i++) {
    const instant = wall - table.offsets[i] * MIN_MS;
    if (instant < table.starts[i]) return i === 0 ? undefined : wall - table.offsets[i - 1] * MIN_MS;
    if (instant < (i + 1 < n ? table.starts[i + 1] : table.to)) return instant;
  }
  return undefined;
}

/**
 * instantOfWall without a table: the same rule, on the library's offsets a day either side (a
 * zone changes its offset at most once within a day, see the header). Not the library's own
 * wall-time constructor: that one resolves a repeated wall time to the first or the second
 * depending on the zone and on the host's own time zone (with TZ=Europe/Berlin, 01:30 on
 * London's fall-back night came out as 00:30 BST).
 */
export function libraryInstantOfWall(timeZone: string, wall: number): number {
  const offsetAt = (t: number) => tzOffset(timeZone, new Date(t));
  const before = offsetAt(wall - DAY_MS);
  const first = wall - before * MIN_MS;
  if (offsetAt(first) === before) return first;
  const after = offsetAt(wall + DAY_MS);
  const second = wall - after * MIN_MS;
  if (offsetAt(second) === after) return second;
  return first;
}

const ABBR = /^[^\p{Cc}]{1,64}$/u;

/** A table read back from the cache, or undefined when it is not one this code would have built. */
export function checkZoneTable(value: unknown, timeZone: string): ZoneTable | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const t = value as Partial<ZoneTable>;
  const { from, to, starts, offsets, abbrs } = t;
  if (t.zone !== timeZone || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || !(to! > from!)) return undefined;
  if (!Array.isArray(starts) || !Array.isArray(offsets) || !Array.isArray(abbrs)) return undefined;
  if (starts.length === 0 || starts.length !== offsets.length || starts.length !== abbrs.length || starts[0] !== from) return undefined;
  for (let i = 0; i < starts.length; i++) {
    if (!Number.isSafeInteger(starts[i]) || starts[i] >= to! || (i > 0 && !(starts[i] > starts[i - 1]))) return undefined;
    // UTC offsets in use span -12:00 … +14:00
    if (!Number.isInteger(offsets[i]) || Math.abs(offsets[i]) > 18 * 60) return undefined;
    if (typeof abbrs[i] !== 'string' || !ABBR.test(abbrs[i])) return undefined;
  }
  return { zone: timeZone, from: from!, to: to!, starts, offsets, abbrs };
}

// ---- the home cache: <home>/cache/tz/<digest>.json, one file per zone and build -------------

/** Tables kept (zones × builds): old tzdata or builds age out. */
const KEEP = 32;
/** A table covers last year to 3 years ahead, and is rebuilt once less than a year of it is left. */
const YEARS_BACK = 1;
const YEARS_AHEAD = 4;
const MIN_AHEAD_MS = 366 * DAY_MS;

let ownDigest: string | null | undefined;

/** The digest of this module's source: a table is only reused by the code that built it. */
function builderDigest(): string | null {
  if (ownDigest === undefined) {
    try {
      ownDigest = createHash('sha256')
        .update(readFileSync(fileURLToPath(import.meta.url)))
        .digest('hex');
    } catch {
      ownDigest = null;
    }
  }
  return ownDigest;
}

/** The file a table of `timeZone` lives in for this tzdata, ICU and build; undefined when that cannot be told. */
function tablePath(home: string, timeZone: string): string | undefined {
  const digest = builderDigest();
  if (digest === null) return undefined;
  const key = JSON.stringify([timeZone, process.versions.tz ?? null, process.versions.icu ?? null, VERSION, digest]);
  return join(cacheDir(home, 'tz'), `${createHash('sha256').update(key).digest('hex')}.json`);
}

/**
 * The table of `timeZone` from the home cache, or built from the library (and kept) when there
 * is none, it is unreadable, or less than a year of it is left. undefined: the library answers.
 * Never throws.
 */
export function cachedZoneTable(home: string, timeZone: string, now: number): ZoneTable | undefined {
  const path = tablePath(home, timeZone);
  if (path === undefined) return undefined;
  const dir = cacheDir(home, 'tz');
  if (isPrivateDir(dir)) {
    try {
      const table = checkZoneTable(JSON.parse(readFileSync(path, 'utf8')), timeZone);
      if (table && table.from <= now && now < table.to - MIN_AHEAD_MS) return table;
    } catch {
      /* missing or unreadable: build it again */
    }
  }
  const year = new Date(now).getUTCFullYear();
  const table = buildZoneTable(timeZone, Date.UTC(year - YEARS_BACK, 0, 1), Date.UTC(year + YEARS_AHEAD, 0, 1));
  if (table) keep(dir, path, table);
  return table;
}

/** Best effort (read-only home, disk full …): the next run builds it again. */
function keep(dir: string, path: string, table: ZoneTable): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    makePrivateDir(dir);
    if (!isPrivateDir(dir)) return;
    writeFileSync(tmp, JSON.stringify(table), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
    pruneOldest(dir, KEEP);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* not written */
    }
  }
}
