/**
 * One JSON shape per view, built once here and served unchanged by the CLI (`--json`), the
 * TUI and the HTTP API. Readers show what the prober recorded, through the status rules
 * (effectiveState) and the gate rules (core/autonomy.ts: global and per-bot) — no second
 * derivation anywhere. A store that cannot be read is described once (core/outage.ts).
 */
import type pg from 'pg';
import type { Config } from './config.js';
import type { Blocker, GateStatus, IntegrationState, Mode, Registry, Status } from './types.js';
import { connectedOf, requirementOf } from './vendors/registry.js';
import { effectiveState } from './status.js';
import { botBlockers, evaluateGate, upstreamBotBlockers, withDependents } from './autonomy.js';
import { dependentBotCounts, integrationsUsedBy } from './db/dependents.js';
import { getStates, probeCounts, recentProbes, type ProbeRow } from './db/state.js';
import { catalogView, type CatalogView } from './catalog.js';
import { botProof, type BotProof } from './db/proof.js';
import { topBots, type TopBot } from './db/ranking.js';
import { listEvents, type EventFilters, type EventView } from './db/usage-events.js';
import { listHeartbeats } from './db/heartbeats.js';
import { isTraceId, newTraceId } from './trace.js';
import { findTrace, TRACE_LOOKUPS, type TraceHit, type TraceSource } from './db/trace.js';
import { boundaryProbes, statusBuckets } from './db/history.js';
import { segmentsOf, summarize, type HistorySummary, type SparkCell } from './history.js';
import { redactString, sanitizeError } from './redact.js';
import { ConfigError, isObservatoryError, UsageError } from './errors.js';
import { describeOutage } from './outage.js';
import { searchBots, type BotMatch } from './db/bots.js';

// The wire shapes the faces print, re-exported so no face reaches into core/db.
export type { BotProof, IntegrationProof } from './db/proof.js';
export type { TopBot } from './db/ranking.js';
export type { EventView, EventFilters } from './db/usage-events.js';
export type { ProbeRow } from './db/state.js';
export type { BotMatch } from './db/bots.js';
export { catalogView, VARIABLE_GROUPS, type CatalogView, type VariableView } from './catalog.js';

export interface DaemonInfo {
  fresh: boolean;
  /** age of the newest heartbeat of a running daemon, ms */
  heartbeat_age_ms: number | null;
  daemons: number;
  leader: string | null;
  /** LIVE_TRADING_ENABLED as every fresh daemon (prober) has it; false when any disagrees or none is fresh */
  live_trading_enabled: boolean;
  /** with none running: how long ago the newest daemon that stopped cleanly last beat (null: none in 24 h) */
  last_stopped_age_ms: number | null;
}

export async function readDaemonInfo(pool: pg.Pool, staleAfterMs: number): Promise<DaemonInfo> {
  const all = await listHeartbeats(pool);
  const beats = all.filter((h) => !h.stopped_at);
  const stopped = all.find((h) => h.stopped_at);
  const newest = beats[0];
  const fresh = beats.filter((h) => h.age_ms <= staleAfterMs);
  return {
    fresh: fresh.length > 0,
    heartbeat_age_ms: newest ? Math.round(newest.age_ms) : null,
    daemons: fresh.length,
    leader: fresh.find((h) => h.leader)?.daemon_id ?? null,
    live_trading_enabled: fresh.length > 0 && fresh.every((h) => h.live_trading_enabled),
    last_stopped_age_ms: stopped ? Math.round(stopped.age_ms) : null,
  };
}

/** Panel A row: the brief's integration shape plus what an operator needs. */
export interface IntegrationRow {
  name: string;
  kind: string;
  connected: boolean;
  status: 'OK' | 'DEGRADED' | 'BLOCKED';
  required_for_autonomy: boolean;
  required_for: Mode[];
  required_groups: string[];
  last_probe_at: string | null;
  last_ok_at: string | null;
  latency_ms: number | null;
  reason_code: string | null;
  reason_human: string | null;
  trace_id: string | null;
  injected: boolean;
  /** BLOCKED: how many bots (that used it in the last 24 h) the outage stops; null otherwise */
  blocks_bots: number | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export interface HealthSnapshot {
  ts: Date;
  effective: Map<string, IntegrationState>;
  daemon: DaemonInfo;
  /** bots stopped per BLOCKED integration (core/db/dependents.ts) */
  dependents: Map<string, number>;
}

export async function readHealth(pool: pg.Pool, registry: Registry, config: Config): Promise<HealthSnapshot> {
  const [{ states: stored, now }, daemon] = await Promise.all([getStates(pool), readDaemonInfo(pool, config.daemon.staleAfterMs)]);
  const effective = new Map<string, IntegrationState>();
  for (const spec of registry.integrations) {
    // "connected" is what the probing process saw (stored with its probe); before any probe, this process's env
    const state = stored.get(spec.name);
    const connected = state ? state.connected : connectedOf(spec, config.env);
    effective.set(spec.name, effectiveState(spec, state, { connected, now, env: state ? undefined : config.env }));
  }
  // one more indexed read, and only while something is BLOCKED
  const blocked = [...effective.values()].filter((s) => s.status === 'BLOCKED').map((s) => s.integration);
  const dependents = await dependentBotCounts(pool, blocked);
  return { ts: now, effective, daemon, dependents };
}

export function integrationRows(registry: Registry, snap: HealthSnapshot, mode: Mode): IntegrationRow[] {
  return registry.integrations.map((spec) => {
    const s = snap.effective.get(spec.name)!;
    const req = requirementOf(registry, spec.name);
    const groups = registry.groups.filter((g) => g.modes.includes(mode) && g.anyOf.includes(spec.name)).map((g) => g.name);
    return {
      name: spec.name,
      kind: spec.kind,
      connected: s.connected,
      status: s.status,
      required_for_autonomy: spec.requiredFor.includes(mode) || groups.length > 0,
      required_for: req.modes,
      required_groups: groups,
      last_probe_at: iso(s.lastProbeAt),
      last_ok_at: iso(s.lastOkAt),
      latency_ms: s.latencyMs,
      reason_code: s.reasonCode,
      reason_human: s.reasonMessage,
      trace_id: s.lastTraceId,
      injected: s.injected,
      blocks_bots: s.status === 'BLOCKED' ? (snap.dependents?.get(spec.name) ?? 0) : null,
    };
  });
}

export interface AutonomyView {
  success: boolean;
  trace_id: string;
  ts: string;
  mode: Mode;
  bot_id: string | null;
  global_status: GateStatus;
  blockers: Blocker[];
  warnings: Blocker[];
  daemon: DaemonInfo | null;
}

export interface SystemStatusView {
  success: boolean;
  trace_id: string;
  ts: string;
  mode: Mode;
  integrations: IntegrationRow[];
  autonomy: { global_status: GateStatus; blockers: Blocker[]; warnings: Blocker[] };
  daemon: DaemonInfo | null;
}

/** The gate for one mode over an already-read snapshot (several modes need only one read). */
export function gateFrom(registry: Registry, snap: HealthSnapshot, mode: Mode, traceId: string, botBlockers: Blocker[] = []) {
  const g = evaluateGate({
    mode,
    registry,
    states: snap.effective,
    store: { reachable: true },
    daemon: { fresh: snap.daemon.fresh, ageMs: snap.daemon.heartbeat_age_ms, stoppedAgeMs: snap.daemon.last_stopped_age_ms },
    // the daemons' switch, not this reader's environment (migrations/004)
    liveTradingEnabled: snap.daemon.live_trading_enabled,
    botBlockers,
    traceId,
  });
  return { ...g, blockers: withDependents(g.blockers, snap.dependents ?? new Map()) };
}

/** The verdict when the store cannot be read: UNKNOWN, never the last good data. */
export function unavailableBlocker(err: unknown, traceId: string): Blocker {
  // the classified cause knows the fix (migrate, upgrade, create the database…); else the generic one
  const outage = describeOutage(err);
  return { code: 'STATUS_UNAVAILABLE', message: outage.message, fix: outage.fix, integration: 'postgres', trace_id: traceId };
}

/**
 * The autonomy answer when no verdict could be attempted — a bad flag or a broken config
 * (GATE_INPUT_INVALID), or a store that failed before the gate could read it — in
 * the same shape as every other autonomy answer, so a `--json` consumer always gets one object.
 */
export function unknownAutonomy(err: unknown, opts: { mode: Mode; botId: string | null; traceId?: string }): AutonomyView {
  const traceId = opts.traceId ?? newTraceId();
  const e = sanitizeError(err, 'GATE_INPUT_INVALID');
  const input = err instanceof ConfigError || err instanceof UsageError;
  return {
    success: false,
    trace_id: traceId,
    ts: new Date().toISOString(),
    mode: opts.mode,
    bot_id: opts.botId,
    global_status: 'UNKNOWN',
    blockers: [
      input
        ? {
            code: 'GATE_INPUT_INVALID',
            message: `no verdict: ${e.message}`,
            fix: isObservatoryError(err) && err.hint ? redactString(err.hint) : 'Fix the command line or the config file (`observatory gate check --help`)',
            integration: null,
            trace_id: traceId,
          }
        : unavailableBlocker(err, traceId),
    ],
    warnings: [],
    daemon: null,
  };
}

/**
 * The gate for one mode, and with `botId` that bot's own blockers too (core/autonomy.ts holds
 * both rule sets; a bot's heartbeat is held to the daemon's stale bound).
 */
export async function autonomyView(
  pool: pg.Pool,
  registry: Registry,
  config: Config,
  opts: { mode: Mode; botId?: string; traceId?: string },
): Promise<AutonomyView> {
  const traceId = opts.traceId ?? newTraceId();
  try {
    const snap = await readHealth(pool, registry, config);
    // every blocker carries a trace_id; a bot blocker without its own gets the evaluation's
    let bot: Blocker[] = [];
    if (opts.botId) {
      const [own, used] = await Promise.all([botBlockers(pool, opts.botId, config.daemon.staleAfterMs, opts.mode), integrationsUsedBy(pool, opts.botId)]);
      const global = gateFrom(registry, snap, opts.mode, traceId).blockers;
      // the bot's upstream outages, each named once with the integration's own trace_id
      bot = upstreamBotBlockers({ registry, states: snap.effective, used, own, global, dependents: snap.dependents }).map((b) => ({
        ...b,
        trace_id: b.trace_id ?? traceId,
      }));
    }
    const g = gateFrom(registry, snap, opts.mode, traceId, bot);
    return {
      success: true,
      trace_id: traceId,
      ts: snap.ts.toISOString(),
      mode: opts.mode,
      bot_id: opts.botId ?? null,
      global_status: g.global_status,
      blockers: g.blockers,
      warnings: g.warnings,
      daemon: snap.daemon,
    };
  } catch (err) {
    return unknownAutonomy(err, { mode: opts.mode, botId: opts.botId ?? null, traceId });
  }
}

/** GET /api/system/status — the brief's shape (plus mode, warnings, daemon and per-row extras). */
export async function systemStatusView(pool: pg.Pool, registry: Registry, config: Config, opts: { mode: Mode; traceId?: string }): Promise<SystemStatusView> {
  const traceId = opts.traceId ?? newTraceId();
  try {
    return statusFrom(registry, config, await readHealth(pool, registry, config), opts.mode, traceId);
  } catch (err) {
    const u = unknownAutonomy(err, { mode: opts.mode, botId: null, traceId });
    return {
      success: false,
      trace_id: traceId,
      ts: u.ts,
      mode: opts.mode,
      integrations: [],
      autonomy: { global_status: u.global_status, blockers: u.blockers, warnings: u.warnings },
      daemon: null,
    };
  }
}

/** The status view of a snapshot already read (the TUI reads it itself, to see a failure's own cause). */
export function statusFrom(registry: Registry, config: Config, snap: HealthSnapshot, mode: Mode, traceId: string = newTraceId()): SystemStatusView {
  const g = gateFrom(registry, snap, mode, traceId);
  return {
    success: true,
    trace_id: traceId,
    ts: snap.ts.toISOString(),
    mode,
    integrations: integrationRows(registry, snap, mode),
    autonomy: { global_status: g.global_status, blockers: g.blockers, warnings: g.warnings },
    daemon: snap.daemon,
  };
}

// ─── Panels B and C, and the integration drawer ─────────────────────────────────────

interface Envelope {
  success: true;
  trace_id: string;
  ts: string;
}

const envelope = (traceId?: string): Envelope => ({ success: true, trace_id: traceId ?? newTraceId(), ts: new Date().toISOString() });

export interface ProbeCount {
  integration: string;
  status: Status;
  n: number;
}

/** What /metrics exposes, from one read of the store: the health snapshot and the last hour's probes by status. */
export async function metricsSnapshot(pool: pg.Pool, registry: Registry, config: Config): Promise<{ snap: HealthSnapshot; probes: ProbeCount[] }> {
  const snap = await readHealth(pool, registry, config);
  return { snap, probes: await probeCounts(pool) };
}

/** Current status per integration, through the same rules as Panel A. */
export async function statusByIntegration(pool: pg.Pool, registry: Registry, config: Config): Promise<Record<string, Status>> {
  const snap = await readHealth(pool, registry, config);
  return Object.fromEntries([...snap.effective].map(([name, s]) => [name, s.status]));
}

export type VariablesView = Envelope & CatalogView;

/** GET /api/system/variables — Panel C. */
export async function variablesView(pool: pg.Pool, registry: Registry, config: Config, traceId?: string): Promise<VariablesView> {
  return { ...envelope(traceId), ...(await catalogView(pool, await statusByIntegration(pool, registry, config))) };
}

export type BotsView = Envelope & { window_hours: number; bots: TopBot[] };

/** GET /api/system/bots — the most active bots (Panel B's selector). */
export async function botsView(pool: pg.Pool, opts: { limit?: number; sinceHours?: number; traceId?: string } = {}): Promise<BotsView> {
  const sinceHours = opts.sinceHours ?? 24;
  return { ...envelope(opts.traceId), window_hours: sinceHours, bots: await topBots(pool, { sinceHours, limit: opts.limit ?? 10 }) };
}

export type BotProofView = Envelope & { proof: BotProof };

/** GET /api/system/bots/:id/proof — Panel B for one bot; null when the bot was never seen. */
export async function botProofView(pool: pg.Pool, botId: string, opts: { sinceHours?: number; traceId?: string } = {}): Promise<BotProofView | null> {
  const proof = await botProof(pool, botId, { sinceHours: opts.sinceHours ?? 24 });
  return proof ? { ...envelope(opts.traceId), proof } : null;
}

export type IntegrationEventsView = Envelope & { integration: string; events: EventView[]; probes: ProbeRow[] };

export interface EventsView extends Envelope {
  events: EventView[];
}

/** Sanitized events, newest first (or after `afterId`, oldest first), by the shared filters — `events --follow` pages with it. */
export async function readEvents(pool: pg.Pool, filters: EventFilters): Promise<EventView[]> {
  return listEvents(pool, filters);
}

/** Sanitized events, newest first, by the shared filters (`events --json`, GET /api/system/events). */
export async function eventsView(pool: pg.Pool, filters: EventFilters, traceId?: string): Promise<EventsView> {
  return { ...envelope(traceId), events: await listEvents(pool, filters) };
}

/** GET /api/system/integrations/:name/events — the drawer: last usage events and recent probes. */
export async function integrationEventsView(
  pool: pg.Pool,
  integration: string,
  opts: { limit?: number; traceId?: string } = {},
): Promise<IntegrationEventsView> {
  const limit = Math.max(1, Math.min(200, opts.limit ?? 20));
  const [events, probes] = await Promise.all([listEvents(pool, { integration, limit }), recentProbes(pool, integration, limit)]);
  return { ...envelope(opts.traceId), integration, events, probes };
}

/** Bots whose name or id matches `query` (the TUI's bot selector). */
export async function findBots(pool: pg.Pool, query: string, limit = 10): Promise<BotMatch[]> {
  return searchBots(pool, query, limit);
}

// ─── trace, history, sparklines ──────────────────────────────────────────────────────

export type { TraceHit, TraceSource } from './db/trace.js';
export type { HistorySummary, HistoryTransition, HistorySegment, HistoryKey, SparkCell } from './history.js';

export type TraceView = Envelope & {
  /** the id looked up (the envelope's trace_id is this request's own) */
  id: string;
  found: number;
  hits: TraceHit[];
  /** every table searched */
  searched: TraceSource[];
  /** tables with more rows for this id than shown */
  truncated: TraceSource[];
};

/** `observatory trace ID`, GET /api/trace/:id — every stored row carrying the id, oldest first. */
export async function traceView(pool: pg.Pool, id: string, traceId?: string): Promise<TraceView> {
  if (!isTraceId(id)) throw new UsageError('trace id: expected 32 lowercase hex digits (as printed by status, gate check or the TUI)');
  const { hits, truncated } = await findTrace(pool, id);
  return { ...envelope(traceId), id, found: hits.length, hits, searched: TRACE_LOOKUPS.map((l) => l.source), truncated };
}

export type HistoryView = Envelope & HistorySummary & { integration: string; stale_after_s: number };

/** `observatory history NAME`, GET /api/history/:name — from the probe rows. */
export async function historyView(pool: pg.Pool, registry: Registry, name: string, opts: { windowMs: number; traceId?: string }): Promise<HistoryView | null> {
  const spec = registry.integrations.find((s) => s.name === name);
  if (!spec) return null;
  const { now: dbNow } = await getStates(pool);
  const since = new Date(dbNow.getTime() - opts.windowMs);
  const { rows, now } = await boundaryProbes(pool, name, since, spec.staleAfterMs);
  const summary = summarize(segmentsOf(rows, since, now, spec.staleAfterMs), since, now);
  return { ...envelope(opts.traceId), integration: name, stale_after_s: spec.staleAfterMs / 1000, ...summary };
}

export interface SparklinesView {
  window_s: number;
  buckets: number;
  /** per integration, oldest bucket first */
  lines: Record<string, SparkCell[]>;
}

/** Panel A's sparkline: the worst status per bucket of the last hour, for every integration. */
export async function sparklinesView(pool: pg.Pool, names: readonly string[], opts: { windowMs?: number; buckets?: number } = {}): Promise<SparklinesView> {
  const windowMs = opts.windowMs ?? 3_600_000;
  const buckets = opts.buckets ?? 20;
  const lines: Record<string, SparkCell[]> = Object.fromEntries(names.map((n) => [n, Array<SparkCell>(buckets).fill(null)]));
  for (const r of await statusBuckets(pool, windowMs, buckets)) if (lines[r.integration]) lines[r.integration][r.bucket] = r.key;
  return { window_s: windowMs / 1000, buckets, lines };
}
