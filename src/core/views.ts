/**
 * One JSON shape per view, built once here and served unchanged by the CLI (`--json`), the
 * TUI and the HTTP API. Readers show what the prober recorded, through the status rules
 * (effectiveState) and the gate rules (core/autonomy.ts: global and per-bot) — no second
 * derivation anywhere. A store that cannot be read is described once (core/outage.ts).
 * The autonomy view and the health snapshot live in views-autonomy.ts (re-exported here), so
 * `gate check` loads only what its answer needs.
 */
import type pg from 'pg';
import type { Config } from './config.js';
import type { Blocker, GateStatus, Mode, Registry, Status, VendorEnvironment } from './types.js';
import { endpointOf } from './vendors/specs.js';
import { requirementOf } from './vendors/registry.js';
import { botMarketTime } from './autonomy.js';
import { readMarketDataFacts } from './db/bot-gate.js';
import {
  applyTradingCommand,
  readHistory,
  readInForce,
  readPending,
  refusalsSince,
  type TradingCommandInput,
  type TradingStateChange,
} from './db/trading-state.js';
import { decideOrder, type OrderIntent, type PlaceDecision, type ScopeInForce } from './trading-state.js';
import { getStates, probeCounts, recentProbes, type ProbeRow } from './db/state.js';
import { catalogView, type CatalogView } from './catalog.js';
import { botProof, type BotProof } from './db/proof.js';
import { topBots, type TopBot } from './db/ranking.js';
import { listEvents, type EventFilters, type EventView } from './db/usage-events.js';
import { isTraceId, newTraceId } from './trace.js';
import { findTrace, TRACE_LOOKUPS, type TraceHit, type TraceSource } from './db/trace.js';
import { boundaryProbes, statusBuckets } from './db/history.js';
import { segmentsOf, summarize, type HistorySummary, type SparkCell } from './history.js';
import { UsageError } from './errors.js';
import { searchBots, type BotMatch } from './db/bots.js';
import { readSource, type ReadSource } from './db/replica.js';
import { describeReason, formatCountdown } from './calendar/index.js';
import {
  botMarketRule,
  gateFrom,
  marketSession,
  readHealth,
  unknownAutonomy,
  type DaemonInfo,
  type HealthSnapshot,
  type MarketSessionView,
} from './views-autonomy.js';

export {
  autonomyView,
  botMarketRule,
  gateFrom,
  marketSession,
  readDaemonInfo,
  readHealth,
  resolveBotRef,
  unavailableBlocker,
  unknownAutonomy,
  type AutonomyView,
  type DaemonInfo,
  type HealthSnapshot,
  type MarketSessionView,
} from './views-autonomy.js';

// The wire shapes the faces print, re-exported so no face reaches into core/db.
export type { BotProof, IntegrationProof } from './db/proof.js';
export type { TopBot } from './db/ranking.js';
export type { EventView, EventFilters } from './db/usage-events.js';
export type { ProbeRow } from './db/state.js';
export type { BotMatch } from './db/bots.js';
export { catalogView, VARIABLE_GROUPS, type CatalogView, type VariableView } from './catalog.js';
export type { SessionView, ReasonKind } from './calendar/index.js';
export { describeReason, formatCountdown, parseAt, parseInstant, KNOWN_GROUPS } from './calendar/index.js';
export { INSTANT_EXPECTED } from './calendar/instant.js';

/** Panel A row: the brief's integration shape plus what an operator needs. */
export interface IntegrationRow {
  name: string;
  kind: string;
  connected: boolean;
  status: 'OK' | 'DEGRADED' | 'BLOCKED';
  /** what faces show: `status`, or MAINTENANCE inside a scheduled window (status stays BLOCKED: fail-closed for every reader of `status`) */
  display_status: 'OK' | 'DEGRADED' | 'BLOCKED' | 'MAINTENANCE';
  /** inside a maintenance window: the window and when it ends */
  maintenance: { window: string; since: string; until: string } | null;
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
  /** `custom` when the base URL is not the vendor's own host (a stand-in, a sidecar, a proxy): by the last probe or this reader's config */
  endpoint: 'default' | 'custom';
  /** the vendor environment the last probe ran against (brokers: demo | live); null when none applies or never probed */
  environment: VendorEnvironment | null;
  /** what the vendor reported about the account at the last probe (Tradovate hasLive, Ironbeam isLive); null when it said nothing */
  account_live: boolean | null;
  /** BLOCKED: how many bots (that used it in the last 24 h) the outage stops; null otherwise */
  blocks_bots: number | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

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
      display_status: s.reasonCode === 'MAINTENANCE' ? 'MAINTENANCE' : s.status,
      maintenance: s.maintenance ?? null,
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
      endpoint: s.customEndpoint ? 'custom' : 'default',
      environment: s.environment ?? null,
      account_live: s.accountLive ?? null,
      blocks_bots: s.status === 'BLOCKED' ? (snap.dependents?.get(spec.name) ?? 0) : null,
    };
  });
}

export interface SystemStatusView {
  success: boolean;
  trace_id: string;
  ts: string;
  mode: Mode;
  integrations: IntegrationRow[];
  autonomy: { global_status: GateStatus; blockers: Blocker[]; warnings: Blocker[] };
  daemon: DaemonInfo | null;
  /** present only when read from a standby: how old its data may be */
  read_from?: ReadSource;
  /** the market (config's default group) at the read: the TUI header's session state and countdown */
  market?: MarketSessionView | null;
  /** kill switch: the scopes not ACTIVE (who, why, since) — the TUI's header and Panel D show them */
  trading_state: ScopeInForce[];
}

/** GET /api/system/status — the brief's shape (plus mode, warnings, daemon and per-row extras). */
export async function systemStatusView(pool: pg.Pool, registry: Registry, config: Config, opts: { mode: Mode; traceId?: string }): Promise<SystemStatusView> {
  const traceId = opts.traceId ?? newTraceId();
  try {
    return statusFrom(registry, config, await readHealth(pool, registry, config), opts.mode, traceId);
  } catch (err) {
    return unknownStatus(err, { mode: opts.mode, traceId });
  }
}

/** The status answer when the store could not be read (or did not answer in time): UNKNOWN, STATUS_UNAVAILABLE, no rows. */
export function unknownStatus(err: unknown, opts: { mode: Mode; traceId?: string }): SystemStatusView {
  const u = unknownAutonomy(err, { mode: opts.mode, botId: null, traceId: opts.traceId });
  return {
    success: false,
    trace_id: u.trace_id,
    ts: u.ts,
    mode: opts.mode,
    integrations: [],
    autonomy: { global_status: u.global_status, blockers: u.blockers, warnings: u.warnings },
    daemon: null,
    trading_state: [],
  };
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
    ...(snap.source ? { read_from: snap.source } : {}),
    market: marketSession(config, { at: snap.ts.getTime() }),
    trading_state: snap.trading ?? [],
  };
}

// ─── Panels B and C, and the integration drawer ─────────────────────────────────────

interface Envelope {
  success: true;
  trace_id: string;
  ts: string;
  /** present only when read from a standby: how old its data may be */
  read_from?: ReadSource;
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
  const [bots, source] = await Promise.all([topBots(pool, { sinceHours, limit: opts.limit ?? 10 }), readSource(pool)]);
  return { ...envelope(opts.traceId), ...(source ? { read_from: source } : {}), window_hours: sinceHours, bots };
}

export type BotProofView = Envelope & {
  proof: BotProof;
  market_time?: BotMarketView | null;
  /** integrations of the proof this observatory reaches through a non-default base URL now (a stand-in, a proxy): shown as `[endpoint: custom]` */
  custom_endpoints?: string[];
};

/**
 * Panel B's market-time context for one bot: where its market is, whether it runs, how much OPEN
 * market time has passed since its last OK market-data event, and BOT_DATA_STALE when that is
 * over the bound — so zero bars on a weekend read as "market closed", not as an outage.
 */
export interface BotMarketView {
  group: string;
  state: MarketSessionView['state'];
  reason: MarketSessionView['reason'];
  next_open: string | null;
  next_close: string | null;
  running: boolean;
  last_market_data_at: string | null;
  last_market_data_trace_id: string | null;
  open_seconds_since_last: number | null;
  bound_s: number;
  stale: boolean;
  blocker: Blocker | null;
  /** one line for people */
  note: string;
}

export async function botMarketView(pool: pg.Pool, registry: Registry, config: Config, botId: string): Promise<BotMarketView> {
  const rule = botMarketRule(registry, config);
  const facts = await readMarketDataFacts(pool, botId, rule.integrations);
  const full = { known: true, badRun: null, staleRuns: [], blockedAttempts: [], ...facts };
  const m = botMarketTime(full, rule);
  const s = marketSession(config, { group: m.group, at: facts.now ? Date.parse(facts.now) : undefined });
  const since = m.openSecondsSinceLast;
  const note = m.stale
    ? m.stale.message
    : !m.marketOpen
      ? `market ${s.state} (${describeReason({ kind: s.reason.kind, name: s.reason.name ?? undefined })}): no bars are expected${s.next_open_local ? `; opens ${s.next_open_local}` : ''}`
      : !m.running
        ? 'market open; the bot has no running run'
        : `market open; ${since === null ? 'no' : formatCountdown(since)} of open market since the last market data (bound ${formatCountdown(rule.boundS)})`;
  return {
    group: m.group,
    state: s.state,
    reason: s.reason,
    next_open: s.next_open,
    next_close: s.next_close,
    running: m.running,
    last_market_data_at: facts.lastMarketData?.at ?? null,
    last_market_data_trace_id: facts.lastMarketData?.trace_id ?? null,
    open_seconds_since_last: since,
    bound_s: rule.boundS,
    stale: m.stale !== null,
    blocker: m.stale,
    note,
  };
}

/**
 * GET /api/system/bots/:id/proof — Panel B for one bot; null when the bot was never seen. With
 * `registry` and `config`, also the bot's market-time context (`market_time`).
 */
export async function botProofView(
  pool: pg.Pool,
  botId: string,
  opts: { sinceHours?: number; traceId?: string; registry?: Registry; config?: Config } = {},
): Promise<BotProofView | null> {
  const [proof, source] = await Promise.all([botProof(pool, botId, { sinceHours: opts.sinceHours ?? 24 }), readSource(pool)]);
  if (!proof) return null;
  const { registry, config } = opts;
  const market_time = registry && config ? await botMarketView(pool, registry, config, botId) : undefined;
  const custom_endpoints =
    registry && config
      ? proof.integrations.map((i) => i.integration).filter((n) => registry.integrations.some((s) => s.name === n && endpointOf(s, config.env).customEndpoint))
      : undefined;
  return {
    ...envelope(opts.traceId),
    ...(source ? { read_from: source } : {}),
    proof,
    ...(market_time ? { market_time } : {}),
    ...(custom_endpoints ? { custom_endpoints } : {}),
  };
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

/** Flat: the sanitizer drops any key named `session` (a cookie's usual name). */
export type SessionApiView = Envelope & MarketSessionView;

/** `observatory session --json` and GET /api/session. */
export function sessionApiView(config: Pick<Config, 'calendar' | 'market'>, opts: { group?: string; at?: number; traceId?: string } = {}): SessionApiView {
  return { ...envelope(opts.traceId), ...marketSession(config, opts) };
}

// ─── The kill switch ─────────────────────────────────────────────────────────────────

export type { ScopeInForce, PlaceDecision, OrderIntent } from './trading-state.js';
export type { TradingStateChange } from './db/trading-state.js';

/** `observatory trading-state --json`, GET /api/trading-state: what is in force and why, pending resumes, the latest audit rows. */
export interface TradingStateView extends Envelope {
  /** the global state (ACTIVE when nothing global is in force) */
  global: 'ACTIVE' | 'REDUCING' | 'HALTED';
  in_force: ScopeInForce[];
  /** resumes waiting for a second actor (two-person rule) */
  pending: TradingStateChange[];
  recent: TradingStateChange[];
}

export async function tradingStateView(pool: pg.Pool, opts: { traceId?: string; recent?: number } = {}): Promise<TradingStateView> {
  const [{ inForce, now }, pending, recent] = await Promise.all([readInForce(pool), readPending(pool), readHistory(pool, opts.recent ?? 20)]);
  return {
    ...envelope(opts.traceId),
    ts: now.toISOString(),
    global: inForce.find((s) => s.scope === 'global')?.state ?? 'ACTIVE',
    in_force: inForce,
    pending,
    recent,
  };
}

/** `observatory halt|reduce|resume --json`, POST /api/trading-state: the row written and the state now in force. */
export interface TradingChangeView extends Envelope {
  change: TradingStateChange;
  /** true: a resume request recorded, waiting for a second, different actor; nothing lifted yet */
  pending: boolean;
  in_force: ScopeInForce[];
}

export async function applyTradingChange(pool: pg.Pool, input: TradingCommandInput): Promise<TradingChangeView> {
  const res = await applyTradingCommand(pool, input);
  const { inForce } = await readInForce(pool);
  return { ...envelope(input.traceId), change: res.change, pending: res.pending, in_force: inForce };
}

/** POST /api/trading-state/check — canPlace for bots in other languages: the same rules over the state in force now. */
export interface TradingCheckView extends Envelope {
  decision: PlaceDecision;
  /** the BLOCKED usage event recorded for a refusal (null when allowed) */
  event_id: string | null;
}

export async function tradingCheckView(pool: pg.Pool, order: OrderIntent, traceId?: string): Promise<TradingCheckView> {
  const { inForce } = await readInForce(pool);
  return { ...envelope(traceId), decision: decideOrder(inForce, order), event_id: null };
}

/** Orders refused by the trading state since `since` (metrics: a counter that starts when the daemon does). */
export const tradingRefusalsSince = refusalsSince;
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
