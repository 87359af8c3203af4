/**
 * Status history from the probe rows: segments, transitions, time in each status, uptime with
 * maintenance left out, flaps, outages — the pure rules on hand-built timelines, then the
 * boundary query, the view and the CLI over real rows.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { cli } from './helpers/cli.js';
import { segmentsOf, summarize, parseHistoryWindow } from '../src/core/history.js';
import type { BoundaryProbe, HistoryKey } from '../src/core/db/history.js';
import { historyView, sparklinesView } from '../src/core/views.js';
import { loadConfig } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { newTraceId } from '../src/core/trace.js';
import { UsageError } from '../src/core/errors.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');
const min = 60_000;
const at = (m: number) => new Date(T0 + m * min);
/** boundary probes from (minute, status) pairs; prev_at = the minute before (probes every minute) */
const probes = (...xs: Array<[number, HistoryKey, string?]>): BoundaryProbe[] =>
  xs.map(([m, key, reason], i) => ({ at: at(m), key, reason_code: reason ?? null, trace_id: newTraceId(), prev_at: i === 0 ? null : at(m - 1) }));

describe('segments and summary (pure)', () => {
  it('OK → BLOCKED → OK: one outage, transitions with their cause, uptime from time', () => {
    const rows = probes([0, 'OK'], [30, 'BLOCKED', 'UPSTREAM_5XX'], [40, 'OK'], [59, 'OK']);
    const segs = segmentsOf(rows, at(0), at(60), 10 * min);
    expect(segs.map((s) => [s.status, s.from, s.to])).toEqual([
      ['OK', at(0).toISOString(), at(30).toISOString()],
      ['BLOCKED', at(30).toISOString(), at(40).toISOString()],
      ['OK', at(40).toISOString(), at(60).toISOString()],
    ]);
    const s = summarize(segs, at(0), at(60));
    expect(s.transitions.map((t) => [t.from, t.to, t.reason_code])).toEqual([
      ['OK', 'BLOCKED', 'UPSTREAM_5XX'],
      ['BLOCKED', 'OK', null],
    ]);
    expect(s.time_in_status_s).toEqual({ OK: 50 * 60, DEGRADED: 0, BLOCKED: 10 * 60, MAINTENANCE: 0 });
    expect(s.uptime_pct).toBeCloseTo((50 / 60) * 100, 2);
    expect(s).toMatchObject({ outages: 1, flaps: 0, current: 'OK' });
  });

  it('maintenance is neither up nor down: left out of uptime, no outage', () => {
    const rows = probes([0, 'OK'], [20, 'MAINTENANCE', 'MAINTENANCE'], [50, 'OK'], [59, 'OK']);
    const s = summarize(segmentsOf(rows, at(0), at(60), 10 * min), at(0), at(60));
    expect(s.time_in_status_s.MAINTENANCE).toBe(30 * 60);
    expect(s.uptime_pct).toBe(100);
    expect(s.outages).toBe(0);
  });

  it('short excursions are flaps; a long one is not', () => {
    const rows = probes([0, 'OK'], [10, 'DEGRADED'], [12, 'OK'], [20, 'BLOCKED'], [22, 'OK'], [30, 'BLOCKED'], [50, 'OK'], [59, 'OK']);
    const s = summarize(segmentsOf(rows, at(0), at(60), 10 * min), at(0), at(60));
    expect(s.flaps).toBe(2);
    expect(s.outages).toBe(2);
    expect(s.transitions).toHaveLength(6);
  });

  it('fail-closed: time past the staleness bound is BLOCKED PROBE_STALE; before the first probe NEVER_PROBED', () => {
    // first probe at minute 10; silence from 20 to 50 with a 5-minute bound
    const rows: BoundaryProbe[] = [
      { at: at(10), key: 'OK', reason_code: null, trace_id: newTraceId(), prev_at: null },
      { at: at(50), key: 'OK', reason_code: null, trace_id: newTraceId(), prev_at: at(20) },
    ];
    const segs = segmentsOf(rows, at(0), at(60), 5 * min);
    expect(segs.map((s) => [s.status, s.reason_code, (Date.parse(s.to) - Date.parse(s.from)) / min])).toEqual([
      ['BLOCKED', 'NEVER_PROBED', 10],
      ['OK', null, 15],
      ['BLOCKED', 'PROBE_STALE', 25],
      ['OK', null, 5],
      ['BLOCKED', 'PROBE_STALE', 5],
    ]);
    expect(summarize(segs, at(0), at(60)).current).toBe('BLOCKED');
  });

  it('no probe at all: the whole window BLOCKED NEVER_PROBED, uptime 0', () => {
    const s = summarize(segmentsOf([], at(0), at(60), 5 * min), at(0), at(60));
    expect(s).toMatchObject({ current: 'BLOCKED', uptime_pct: 0, transitions: [] });
  });

  it('--since: 1m to 90d', () => {
    expect(parseHistoryWindow(undefined)).toBe(7 * 86_400_000);
    expect(parseHistoryWindow('24h')).toBe(86_400_000);
    for (const bad of ['30s', '91d', 'soon']) expect(() => parseHistoryWindow(bad), bad).toThrow(UsageError);
  });
});

describe('from real probe rows', () => {
  let db: TestDb;
  const registry = loadRegistry(loadConfig({ env: {} }));
  const blockedTrace = newTraceId();
  beforeAll(async () => {
    db = await freshDatabase();
    // polygon: OK every 10 s for the last 30 min, except 12–10 min ago BLOCKED; a row from 2 days ago
    await db.pool.query(
      `insert into integration_probes (integration, probed_at, status, outcome, reason_code, trace_id)
       select 'polygon', now() - make_interval(secs => s),
              case when s between 600 and 720 then 'BLOCKED' else 'OK' end, 'X',
              case when s between 600 and 720 then 'UPSTREAM_5XX' end,
              case when s = 720 then $1 else md5(random()::text) end
         from generate_series(0, 1800, 10) s
       union all select 'polygon', now() - interval '2 days', 'OK', 'OK', null, md5(random()::text)`,
      [blockedTrace],
    );
  });

  it('the view: one outage with the trace id of the probe that started it; the start of the window from the probe before it', async () => {
    const v = (await historyView(db.pool, registry, 'polygon', { windowMs: 3_600_000 }))!;
    expect(v.integration).toBe('polygon');
    const toBlocked = v.transitions.filter((t) => t.to === 'BLOCKED' && t.reason_code === 'UPSTREAM_5XX');
    expect(toBlocked).toHaveLength(1);
    expect(toBlocked[0].trace_id).toBe(blockedTrace);
    // before the 30-minute run: the 2-day-old probe is long stale, so PROBE_STALE, not OK
    expect(v.transitions[0]).toMatchObject({ from: 'BLOCKED', to: 'OK' });
    expect(v.time_in_status_s.BLOCKED).toBeGreaterThan(29 * 60);
    expect(v.uptime_pct).toBeGreaterThan(40);
    expect(v.uptime_pct).toBeLessThan(50);
    expect(await historyView(db.pool, registry, 'nope', { windowMs: 3_600_000 })).toBeNull();
  });

  it('sparklines: the worst status per bucket of the last hour; empty buckets null', async () => {
    const s = await sparklinesView(
      db.pool,
      registry.integrations.map((i) => i.name),
      { buckets: 12 },
    );
    expect(s.lines.polygon).toHaveLength(12);
    expect(s.lines.polygon.slice(0, 5)).toEqual([null, null, null, null, null]);
    expect(s.lines.polygon).toContain('BLOCKED');
    expect(s.lines.polygon[11]).toBe('OK');
    expect(s.lines.databento.every((c) => c === null)).toBe(true);
  });

  it('observatory history: the summary and transitions; --json the API shape; bad input 64', async () => {
    const env = { DATABASE_URL: db.url };
    const human = await cli(['history', 'polygon', '--since', '1h'], env);
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^polygon: .* now OK/m);
    expect(human.stdout).toMatch(/uptime \d+(\.\d+)?% \(maintenance excluded\) · 1 outage\(s\) · 1 flap/);
    expect(human.stdout).toMatch(new RegExp(`OK → BLOCKED UPSTREAM_5XX  trace ${blockedTrace}`));
    const json = JSON.parse((await cli(['history', 'polygon', '--since', '1h', '--json'], env)).stdout);
    expect(json).toMatchObject({ success: true, integration: 'polygon', outages: 1 });
    for (const args of [
      ['history', 'nope'],
      ['history', 'polygon', '--since', 'soon'],
    ]) {
      const bad = await cli(args, env);
      expect(bad.exitCode, args.join(' ')).toBe(64);
    }
  });
});
