/**
 * Zone offset tables (calendar/zone-table.ts) answer exactly as the tz library does — every 15
 * minutes across the DST days of several years, in zones north and south, with half-hour DST
 * and 45-minute offsets, and at random instants — and a run with a warm cache never calls the
 * library. A missing, corrupt, foreign or stale cache, or a home that cannot be written, only
 * means the library answers.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { dayNumber } from '../../src/core/calendar/civil.js';
import { formatWall, instantToWall, setZoneCacheHome, wallToInstant } from '../../src/core/calendar/zone.js';
import { buildZoneTable, instantOfWall, spanAt, type ZoneTable } from '../../src/core/calendar/zone-table.js';
import { TZDateMini as TZDate } from '@date-fns/tz/date/mini';
import type * as TzMini from '@date-fns/tz/date/mini';

// counts what reaches the library: a warm run must not construct a TZDate nor an Intl.DateTimeFormat
const calls = vi.hoisted(() => ({ tzdate: 0, dtf: 0 }));
vi.mock('@date-fns/tz/date/mini', async (importOriginal) => {
  const m = await importOriginal<typeof TzMini>();
  class CountedTZDate extends m.TZDateMini {
    constructor(...args: unknown[]) {
      calls.tzdate++;
      // @ts-expect-error the library's overloads, passed through
      super(...args);
    }
  }
  return { ...m, TZDateMini: CountedTZDate };
});
const RealDTF = Intl.DateTimeFormat;
Intl.DateTimeFormat = new Proxy(RealDTF, {
  construct(target, args, newTarget) {
    calls.dtf++;
    return Reflect.construct(target, args, newTarget) as object;
  },
});
afterAll(() => {
  Intl.DateTimeFormat = RealDTF;
  setZoneCacheHome(undefined);
});

const ZONES = ['America/Chicago', 'America/New_York', 'Australia/Sydney', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Europe/London', 'Asia/Kolkata'];
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The library's answers: no cache in use. */
function library<T>(fn: () => T): T {
  setZoneCacheHome(undefined);
  return fn();
}

/** A deterministic stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('zone tables against the library', () => {
  const from = Date.UTC(2024, 0, 1);
  const to = Date.UTC(2031, 0, 1);

  it.each(ZONES)('%s: every 15 min across each DST day 2024–2030, and random instants', (zone) => {
    setZoneCacheHome(undefined);
    const table = buildZoneTable(zone, from, to) as ZoneTable;
    expect(table).toBeDefined();
    if (zone === 'Asia/Kolkata') expect(table.starts).toEqual([from]);
    else expect(table.starts.length).toBeGreaterThanOrEqual(14); // two changes a year

    // wall clock → instant, through the day before, the day of and the day after each change
    for (const change of table.starts.slice(1)) {
      const localDay = Math.floor((change + table.offsets[spanAt(table, change)] * MIN) / DAY);
      for (let d = localDay - 1; d <= localDay + 1; d++)
        for (let m = 0; m < 24 * 60; m += 15) {
          const lib = wallToInstant(d, m, zone);
          expect(instantOfWall(table, d * DAY + m * MIN), `${zone} day ${d} minute ${m}`).toBe(lib);
        }
    }
    // instant → wall clock and abbreviation, every 15 min from 36 h before to 36 h after each change
    const tableWall = (t: number) => {
      const i = spanAt(table, t);
      const wall = t + table.offsets[i] * MIN;
      return { day: Math.floor(wall / DAY), minutes: Math.floor((wall % DAY) / MIN), seconds: Math.floor((wall % MIN) / 1000), abbr: table.abbrs[i] };
    };
    const abbrOf = (t: number) => formatWall(t, zone).split(' ').slice(3).join(' ');
    for (const change of table.starts.slice(1))
      for (let t = change - 36 * HOUR; t <= change + 36 * HOUR; t += 15 * MIN) {
        const w = instantToWall(t, zone);
        expect(tableWall(t), `${zone} ${new Date(t).toISOString()}`).toEqual({ day: w.day, minutes: w.minutes, seconds: w.seconds, abbr: abbrOf(t) });
      }
    const next = random(zone.length);
    for (let k = 0; k < 300; k++) {
      const t = from + Math.floor(next() * (to - from));
      const w = instantToWall(t, zone);
      expect(tableWall(t), `${zone} ${t}`).toEqual({ day: w.day, minutes: w.minutes, seconds: w.seconds, abbr: abbrOf(t) });
      const d = Math.floor((t - from) / DAY) + Math.floor(from / DAY);
      const m = Math.floor(next() * 24 * 60);
      expect(instantOfWall(table, d * DAY + m * MIN), `${zone} day ${d} minute ${m}`).toBe(wallToInstant(d, m, zone));
    }
  });

  it.each(ZONES)('%s: a wall time shown once is where the library puts it', (zone) => {
    setZoneCacheHome(undefined);
    const table = buildZoneTable(zone, from, to) as ZoneTable;
    const shown = (wall: number) =>
      table.starts.filter((s, i) => {
        const t = wall - table.offsets[i] * MIN;
        return t >= s && t < (table.starts[i + 1] ?? to);
      }).length;
    const walls: number[] = [];
    for (const change of table.starts.slice(1)) {
      const localDay = Math.floor((change + table.offsets[spanAt(table, change)] * MIN) / DAY);
      for (let m = 0; m < 24 * 60; m += 15) walls.push(localDay * DAY + m * MIN);
    }
    const next = random(zone.length + 1);
    for (let k = 0; k < 200; k++) walls.push(from + DAY + Math.floor((next() * (to - from - 2 * DAY)) / MIN) * MIN);
    let compared = 0;
    for (const wall of walls) {
      if (shown(wall) !== 1) continue;
      const c = new Date(wall);
      const lib = new TZDate(c.getUTCFullYear(), c.getUTCMonth(), c.getUTCDate(), c.getUTCHours(), c.getUTCMinutes(), zone).getTime();
      const day = Math.floor(wall / DAY);
      expect(wallToInstant(day, (wall - day * DAY) / MIN, zone), `${zone} ${c.toISOString()}`).toBe(lib);
      expect(instantOfWall(table, wall), `${zone} ${c.toISOString()}`).toBe(lib);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(200);
  });

  // the library's own constructor resolves these by the zone's side of UTC and the host's zone
  const EDGES: [string, number, string][] = [
    // 2025-03-09 02:30 does not exist in Chicago: 03:30 CDT; 2025-11-02 01:30 exists twice: CDT
    ['America/Chicago', Date.UTC(2025, 2, 9, 2, 30), '2025-03-09T08:30:00Z'],
    ['America/Chicago', Date.UTC(2025, 10, 2, 1, 30), '2025-11-02T06:30:00Z'],
    // London 2024-10-27 01:30 twice: BST; Sydney 2024-04-07 02:30 twice: AEDT, 2024-10-06 02:30 skipped: 03:30 AEDT
    ['Europe/London', Date.UTC(2024, 9, 27, 1, 30), '2024-10-27T00:30:00Z'],
    ['Australia/Sydney', Date.UTC(2024, 3, 7, 2, 30), '2024-04-06T15:30:00Z'],
    ['Australia/Sydney', Date.UTC(2024, 9, 6, 2, 30), '2024-10-05T16:30:00Z'],
    // Lord Howe falls back half an hour: 2024-04-07 01:45 twice, the first at +11:00
    ['Australia/Lord_Howe', Date.UTC(2024, 3, 7, 1, 45), '2024-04-06T14:45:00Z'],
  ];
  it.each(['UTC', 'Europe/Berlin', 'America/Chicago', 'Asia/Tokyo'])('the documented edges, table and library alike, with the host in %s', (host) => {
    const saved = process.env.TZ;
    process.env.TZ = host;
    try {
      for (const [zone, wall, iso] of EDGES) {
        const table = buildZoneTable(zone, from, to) as ZoneTable;
        expect(instantOfWall(table, wall), `${zone} ${new Date(wall).toISOString()}`).toBe(Date.parse(iso));
        const day = Math.floor(wall / DAY);
        expect(
          library(() => wallToInstant(day, (wall - day * DAY) / MIN, zone)),
          `${zone} ${new Date(wall).toISOString()}`,
        ).toBe(Date.parse(iso));
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('a table has no answer outside its years', () => {
    const table = buildZoneTable('America/Chicago', from, to) as ZoneTable;
    // outside its years a table has no answer
    expect(instantOfWall(table, Date.UTC(2023, 11, 31, 12, 0))).toBeUndefined();
    expect(instantOfWall(table, Date.UTC(2031, 0, 1, 12, 0))).toBeUndefined();
    expect(spanAt(table, to)).toBe(-1);
  });

  it('an unknown zone has no table', () => {
    expect(buildZoneTable('Mars/Olympus', from, to)).toBeUndefined();
  });
});

describe('the home cache (setZoneCacheHome)', () => {
  let home: string;
  const cache = () => join(home, 'cache', 'tz');
  const files = () => (existsSync(cache()) ? readdirSync(cache()).filter((f) => f.endsWith('.json')) : []);
  // inside any table the cache builds today (last year … 3 years ahead), across both 2027 changes
  const year = new Date().getUTCFullYear() + 1;
  const instants = [
    Date.UTC(year, 2, 14, 7, 59),
    Date.UTC(year, 2, 14, 8, 0),
    Date.UTC(year, 6, 1),
    Date.UTC(year, 10, 7, 6, 30),
    Date.UTC(year, 10, 7, 7, 30),
  ];
  const walls: [number, number][] = [
    [dayNumber(year, 3, 14), 2 * 60 + 30],
    [dayNumber(year, 11, 7), 60 + 30],
    [dayNumber(year, 7, 1), 17 * 60],
  ];
  const answers = (zone: string) => ({
    walls: walls.map(([d, m]) => wallToInstant(d, m, zone)),
    instants: instants.map((t) => [instantToWall(t, zone), formatWall(t, zone)]),
  });
  const expected = library(() => answers('America/Chicago'));

  beforeEach(() => {
    home = join(tempDir('obs-zone-cache-'), 'home');
    calls.tzdate = 0;
    calls.dtf = 0;
  });
  afterEach(() => setZoneCacheHome(undefined));

  it('the first run builds and keeps the table (0600 in a 0700 directory); the next answers the same without the library', () => {
    setZoneCacheHome(home);
    expect(answers('America/Chicago')).toEqual(expected);
    expect(files()).toHaveLength(1);
    expect(statSync(cache()).mode & 0o777).toBe(0o700);
    expect(statSync(join(cache(), files()[0])).mode & 0o777).toBe(0o600);

    setZoneCacheHome(home); // as a new process would: nothing in memory
    calls.tzdate = 0;
    calls.dtf = 0;
    expect(answers('America/Chicago')).toEqual(expected);
    expect(calls).toEqual({ tzdate: 0, dtf: 0 });
  });

  it('outside the table, the library answers', () => {
    setZoneCacheHome(home);
    answers('America/Chicago');
    calls.tzdate = 0;
    const far = Date.UTC(2099, 6, 1, 12);
    const cached = [instantToWall(far, 'America/Chicago'), formatWall(far, 'America/Chicago'), wallToInstant(dayNumber(2099, 7, 1), 600, 'America/Chicago')];
    expect(calls.tzdate).toBeGreaterThan(0);
    expect(cached).toEqual(
      library(() => [instantToWall(far, 'America/Chicago'), formatWall(far, 'America/Chicago'), wallToInstant(dayNumber(2099, 7, 1), 600, 'America/Chicago')]),
    );
  });

  it('a corrupt or tampered table is not used: the library answers and the table is built again', () => {
    setZoneCacheHome(home);
    answers('America/Chicago');
    const file = join(cache(), files()[0]);
    const good = JSON.parse(readFileSync(file, 'utf8')) as ZoneTable;
    for (const bad of ['{"zone":', JSON.stringify({ ...good, offsets: good.offsets.map(() => 0.5) }), JSON.stringify({ ...good, zone: 'America/New_York' })]) {
      writeFileSync(file, bad);
      setZoneCacheHome(home);
      expect(answers('America/Chicago')).toEqual(expected);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(good);
    }
  });

  it('a table that ends within the year is built again', () => {
    setZoneCacheHome(home);
    answers('America/Chicago');
    const file = join(cache(), files()[0]);
    const good = JSON.parse(readFileSync(file, 'utf8')) as ZoneTable;
    const ending = buildZoneTable('America/Chicago', good.from, Date.UTC(new Date().getUTCFullYear() + 1, 0, 1)) as ZoneTable;
    writeFileSync(file, JSON.stringify(ending));
    setZoneCacheHome(home);
    calls.tzdate = 0;
    expect(answers('America/Chicago')).toEqual(expected);
    expect(calls.tzdate + calls.dtf).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(good);
  });

  it('a table in a directory others may write to is ignored', () => {
    setZoneCacheHome(home);
    answers('America/Chicago');
    const file = join(cache(), files()[0]);
    // a forged table: Chicago an hour off
    const good = JSON.parse(readFileSync(file, 'utf8')) as ZoneTable;
    writeFileSync(file, JSON.stringify({ ...good, offsets: good.offsets.map((o) => o + 60) }));
    chmodSync(cache(), 0o777);
    setZoneCacheHome(home);
    expect(answers('America/Chicago')).toEqual(expected);
    chmodSync(cache(), 0o700);
  });

  it('a home that cannot hold a cache changes nothing: right answers, no error', () => {
    const file = join(tempDir('obs-zone-cache-'), 'not-a-dir');
    writeFileSync(file, '');
    setZoneCacheHome(file); // mkdir under a regular file fails, as on a read-only or full disk
    expect(answers('America/Chicago')).toEqual(expected);
  });

  it('an unknown zone answers as the library does (not a number), and keeps nothing', () => {
    setZoneCacheHome(home);
    expect(wallToInstant(dayNumber(year, 7, 1), 600, 'Mars/Olympus')).toBeNaN();
    expect(instantToWall(Date.UTC(year, 6, 1), 'Mars/Olympus').day).toBeNaN();
    expect(files()).toHaveLength(0);
  });
});
