/**
 * Status history of one integration from its probe rows (`observatory history NAME`,
 * GET /api/history/:name): the segments of time in each status, the transitions between them,
 * uptime and flaps. Pure: core/db/history.ts reads the boundary probes.
 *
 * Rules, fail-closed like the status rules (core/status.ts):
 *  - a probe's status holds until the next probe, but never longer than the integration's
 *    staleness bound: past it the time counts as BLOCKED / PROBE_STALE;
 *  - before the first probe ever, BLOCKED / NEVER_PROBED;
 *  - MAINTENANCE (a probe whose status or reason is MAINTENANCE: a scheduled window) is left
 *    out of uptime altogether — neither up nor down;
 *  - uptime % = time OK or DEGRADED (the gate passes) ÷ (window − maintenance);
 *  - a flap is an excursion from OK that is back to OK within the flap window.
 */
import type { BoundaryProbe, HistoryKey } from './db/history.js';
import { UsageError } from './errors.js';
import { parseDuration } from './duration.js';

export type { HistoryKey } from './db/history.js';
export const HISTORY_KEYS: readonly HistoryKey[] = ['OK', 'DEGRADED', 'BLOCKED', 'MAINTENANCE'];
export const DEFAULT_HISTORY_WINDOW = '7d';
export const MAX_HISTORY_MS = 90 * 86_400_000;
export const FLAP_WINDOW_MS = 5 * 60_000;

export interface HistorySegment {
  from: string;
  to: string;
  status: HistoryKey;
  reason_code: string | null;
  /** the probe that started it (null for NEVER_PROBED / PROBE_STALE time) */
  trace_id: string | null;
}

export interface HistoryTransition {
  at: string;
  from: HistoryKey;
  to: HistoryKey;
  reason_code: string | null;
  trace_id: string | null;
}

export interface HistorySummary {
  since: string;
  until: string;
  current: HistoryKey;
  transitions: HistoryTransition[];
  time_in_status_s: Record<HistoryKey, number>;
  /** null when the whole window was maintenance */
  uptime_pct: number | null;
  flaps: number;
  flap_window_s: number;
  /** entries into BLOCKED inside the window (maintenance excluded): one per outage */
  outages: number;
}

/** `--since 7d`: a duration back from now, 1 minute to 90 days. */
export function parseHistoryWindow(raw: string | undefined): number {
  const ms = parseDuration(raw ?? DEFAULT_HISTORY_WINDOW, 'since');
  if (ms < 60_000 || ms > MAX_HISTORY_MS) throw new UsageError('since: expected a duration from 1m to 90d, e.g. 24h or 7d');
  return ms;
}

/** The segments of [since, now] from the boundary probes (oldest first). */
export function segmentsOf(rows: readonly BoundaryProbe[], since: Date, now: Date, staleMs: number): HistorySegment[] {
  const raw: Array<{ from: number; to: number; status: HistoryKey; reason_code: string | null; trace_id: string | null }> = [];
  const t0 = since.getTime();
  const tn = now.getTime();
  let cur: BoundaryProbe | undefined;
  const close = (until: number, lastProbeAt: number) => {
    if (!cur) return;
    const freshEnd = Math.min(until, lastProbeAt + staleMs);
    raw.push({ from: cur.at.getTime(), to: freshEnd, status: cur.key, reason_code: cur.reason_code, trace_id: cur.trace_id });
    if (freshEnd < until) raw.push({ from: freshEnd, to: until, status: 'BLOCKED', reason_code: 'PROBE_STALE', trace_id: null });
  };
  for (const r of rows) {
    if (!cur) {
      if (r.at.getTime() > t0) raw.push({ from: t0, to: r.at.getTime(), status: 'BLOCKED', reason_code: 'NEVER_PROBED', trace_id: null });
    } else close(r.at.getTime(), (r.prev_at ?? cur.at).getTime());
    cur = r;
  }
  if (cur) close(tn, cur.at.getTime());
  else raw.push({ from: t0, to: tn, status: 'BLOCKED', reason_code: 'NEVER_PROBED', trace_id: null });

  // clip to the window, drop empty pieces, merge runs of one status (the first piece names the cause)
  const out: typeof raw = [];
  for (const s of raw) {
    const from = Math.max(s.from, t0);
    const to = Math.min(s.to, tn);
    if (to <= from) continue;
    const last = out[out.length - 1];
    if (last && last.status === s.status && last.to >= from) last.to = Math.max(last.to, to);
    else out.push({ ...s, from, to });
  }
  return out.map((s) => ({ ...s, from: new Date(s.from).toISOString(), to: new Date(s.to).toISOString() }));
}

export function summarize(segments: readonly HistorySegment[], since: Date, now: Date, flapWindowMs = FLAP_WINDOW_MS): HistorySummary {
  const time: Record<HistoryKey, number> = { OK: 0, DEGRADED: 0, BLOCKED: 0, MAINTENANCE: 0 };
  const dur = (s: HistorySegment) => Date.parse(s.to) - Date.parse(s.from);
  for (const s of segments) time[s.status] += dur(s);
  const transitions: HistoryTransition[] = [];
  for (let i = 1; i < segments.length; i++)
    transitions.push({
      at: segments[i].from,
      from: segments[i - 1].status,
      to: segments[i].status,
      reason_code: segments[i].reason_code,
      trace_id: segments[i].trace_id,
    });

  // flaps: OK → (not OK, not maintenance)+ → OK, all within the flap window
  let flaps = 0;
  let outages = 0;
  for (let i = 0; i < segments.length; i++) {
    // an outage is an entry into BLOCKED inside the window (one already in force at its start began before it)
    if (i > 0 && segments[i].status === 'BLOCKED' && segments[i - 1].status !== 'BLOCKED') outages++;
    if (segments[i].status === 'OK' || segments[i].status === 'MAINTENANCE' || i === 0 || segments[i - 1].status !== 'OK') continue;
    let j = i;
    while (j < segments.length && segments[j].status !== 'OK' && segments[j].status !== 'MAINTENANCE') j++;
    if (j < segments.length && segments[j].status === 'OK' && Date.parse(segments[j].from) - Date.parse(segments[i].from) <= flapWindowMs) flaps++;
    i = j - 1;
  }
  const eligible = time.OK + time.DEGRADED + time.BLOCKED;
  const s = (ms: number) => Math.round(ms / 100) / 10;
  return {
    since: since.toISOString(),
    until: now.toISOString(),
    current: segments[segments.length - 1]?.status ?? 'BLOCKED',
    transitions,
    time_in_status_s: { OK: s(time.OK), DEGRADED: s(time.DEGRADED), BLOCKED: s(time.BLOCKED), MAINTENANCE: s(time.MAINTENANCE) },
    uptime_pct: eligible > 0 ? Math.round(((time.OK + time.DEGRADED) / eligible) * 100_000) / 1000 : null,
    flaps,
    flap_window_s: flapWindowMs / 1000,
    outages,
  };
}

/** A sparkline cell per bucket: the worst status seen in it, or null when no probe ran. */
export type SparkCell = HistoryKey | null;
