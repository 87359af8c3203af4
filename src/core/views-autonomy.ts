/**
 * The autonomy view (`gate check`, GET /api/system/autonomy, Panel D) and the reads under it:
 * the health snapshot, the daemons' heartbeats, the market session. Part of views.ts — which
 * re-exports all of it, one JSON shape per view as ever — kept in its own module so that
 * `gate check` loads only what its answer needs, not the catalog, proof, ranking, history and
 * trace readers of the other views.
 */
import type pg from 'pg';
import type { Config } from './config.js';
import type { Blocker, GateStatus, Mode, Registry } from './types.js';
import { endpointOf } from './vendors/specs.js';
import { connectedOf } from './vendors/registry.js';
import { effectiveState, maintenanceAt, withMaintenance, type EffectiveState } from './status.js';
import { botBlockers, evaluateGate, tradingStateBlockers, unknownBotBlocker, upstreamBotBlockers, withDependents, type BotMarketRule } from './autonomy.js';
import { namesOfKind } from './vendors/index.js';
import { accountsOfBot, readInForce } from './db/trading-state.js';
import type { ScopeInForce } from './trading-state.js';
import { dependentBotCounts, integrationsUsedBy } from './db/dependents.js';
import { getStates } from './db/state.js';
import { listHeartbeats } from './db/heartbeats.js';
import { isUuid, newTraceId } from './trace.js';
import { redactString, sanitizeError } from './redact.js';
import { ConfigError, isObservatoryError, UsageError } from './errors.js';
import { describeOutage } from './outage.js';
import { readSource, type ReadSource } from './db/replica.js';
import { calendarOf, marketOf } from './config.js';
import { formatWall, sessionView, type SessionView } from './calendar/index.js';

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

export interface HealthSnapshot {
  ts: Date;
  effective: Map<string, EffectiveState>;
  daemon: DaemonInfo;
  /** set when the read came from a standby (a host list that asks for one) */
  source?: ReadSource;
  /** kill-switch scopes not ACTIVE (absent in snapshots built by hand: nothing in force) */
  trading?: ScopeInForce[];
  /** bots stopped per BLOCKED integration (core/db/dependents.ts) */
  dependents: Map<string, number>;
}

/**
 * Every integration's effective state. `at` (epoch ms, `gate check --at`): the instant the
 * session-dependent rules (maintenance windows) are evaluated for; ages are always the store's now.
 */
export async function readHealth(pool: pg.Pool, registry: Registry, config: Config, opts: { at?: number } = {}): Promise<HealthSnapshot> {
  const [{ states: stored, now }, daemon, source, trading] = await Promise.all([
    getStates(pool),
    readDaemonInfo(pool, config.daemon.staleAfterMs),
    readSource(pool),
    readInForce(pool),
  ]);
  const effective = new Map<string, EffectiveState>();
  const at = opts.at ?? now.getTime();
  for (const spec of registry.integrations) {
    // "connected" is what the probing process saw (stored with its probe); before any probe, this process's env
    const state = stored.get(spec.name);
    const connected = state ? state.connected : connectedOf(spec, config.env);
    const eff = effectiveState(spec, state, { connected, now, env: state ? undefined : config.env });
    // a custom endpoint is shown (and judged in live) whether the prober or this reader is pointed at one
    if (!eff.customEndpoint && endpointOf(spec, config.env).customEndpoint) eff.customEndpoint = true;
    effective.set(spec.name, withMaintenance(eff, maintenanceAt(config.calendar, spec.name, at)));
  }
  // one more indexed read, and only while something is BLOCKED
  const blocked = [...effective.values()].filter((s) => s.status === 'BLOCKED').map((s) => s.integration);
  const dependents = await dependentBotCounts(pool, blocked);
  return { ts: now, effective, daemon, dependents, trading: trading.inForce, ...(source ? { source } : {}) };
}

export interface AutonomyView {
  success: boolean;
  trace_id: string;
  ts: string;
  mode: Mode;
  /** the bot's id (resolved from a name); null without a bot, or for a name no bot has */
  bot_id: string | null;
  /** the bot as the caller named it (id or name); null without a bot */
  bot_ref: string | null;
  global_status: GateStatus;
  blockers: Blocker[];
  warnings: Blocker[];
  daemon: DaemonInfo | null;
  /** present only when read from a standby: how old its data may be */
  read_from?: ReadSource;
  /** `gate check --at`: the instant the session-dependent rules were evaluated for (null: now) */
  at?: string | null;
  /** the market (config's default group) at that instant, so a verdict says whether it falls in a session */
  market?: MarketSessionView | null;
}

/** The gate for one mode over an already-read snapshot (several modes need only one read). */
export function gateFrom(
  registry: Registry,
  snap: HealthSnapshot,
  mode: Mode,
  traceId: string,
  botBlockers: Blocker[] = [],
  bot?: { botId: string; accounts: string[] },
) {
  const trading = tradingStateBlockers({ mode, registry, inForce: snap.trading ?? [], botId: bot?.botId, accounts: bot?.accounts, traceId });
  const g = evaluateGate({
    mode,
    registry,
    states: snap.effective,
    store: { reachable: true },
    daemon: { fresh: snap.daemon.fresh, ageMs: snap.daemon.heartbeat_age_ms, stoppedAgeMs: snap.daemon.last_stopped_age_ms },
    // the daemons' switch, not this reader's environment (migrations/004)
    liveTradingEnabled: snap.daemon.live_trading_enabled,
    botBlockers: [...trading.blockers, ...botBlockers],
    traceId,
  });
  if (trading.warnings.length) {
    g.warnings.push(...trading.warnings);
    if (g.global_status === 'OK') g.global_status = 'DEGRADED';
  }
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
    bot_id: opts.botId !== null && isUuid(opts.botId) ? opts.botId : null,
    bot_ref: opts.botId,
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
 * both rule sets; a bot's heartbeat is held to the daemon's stale bound). `botId` may be a
 * bot's name: resolved through resolveBot (a name no bot has blocks BOT_UNKNOWN; an ambiguous
 * one is a bad input, UNKNOWN GATE_INPUT_INVALID naming the candidates).
 */
export async function autonomyView(
  pool: pg.Pool,
  registry: Registry,
  config: Config,
  opts: { mode: Mode; botId?: string; traceId?: string; at?: number },
): Promise<AutonomyView> {
  const traceId = opts.traceId ?? newTraceId();
  try {
    const botId = opts.botId ? await botIdOf(pool, opts.botId) : null;
    const snap = await readHealth(pool, registry, config, { at: opts.at });
    // every blocker carries a trace_id; a bot blocker without its own gets the evaluation's
    let bot: Blocker[] = [];
    if (opts.botId) {
      const own = botId
        ? await botBlockers(pool, botId, config.daemon.staleAfterMs, opts.mode, botMarketRule(registry, config, opts.at))
        : [unknownBotBlocker(opts.botId, true)];
      const used = botId ? await integrationsUsedBy(pool, botId) : [];
      const global = gateFrom(registry, snap, opts.mode, traceId).blockers;
      // the bot's upstream outages, each named once with the integration's own trace_id
      bot = upstreamBotBlockers({ registry, states: snap.effective, used, own, global, dependents: snap.dependents }).map((b) => ({
        ...b,
        trace_id: b.trace_id ?? traceId,
      }));
    }
    const accounts = botId ? await accountsOfBot(pool, botId) : [];
    const g = gateFrom(registry, snap, opts.mode, traceId, bot, botId ? { botId, accounts } : undefined);
    return {
      success: true,
      trace_id: traceId,
      ts: snap.ts.toISOString(),
      mode: opts.mode,
      bot_id: botId,
      bot_ref: opts.botId ?? null,
      global_status: g.global_status,
      blockers: g.blockers,
      warnings: g.warnings,
      daemon: snap.daemon,
      ...(snap.source ? { read_from: snap.source } : {}),
      at: opts.at === undefined ? null : new Date(opts.at).toISOString(),
      market: marketSession(config, { at: opts.at ?? snap.ts.getTime() }),
    };
  } catch (err) {
    return unknownAutonomy(err, { mode: opts.mode, botId: opts.botId ?? null, traceId });
  }
}

/**
 * A bot's id from its id or its name (`proof NAME`, `gate check --bot NAME`, the HTTP `bot`
 * parameters): null when no bot matches (an unknown UUID stays itself, for BOT_UNKNOWN);
 * AmbiguousBotError (a UsageError, exit 64) with the candidates when several bots match.
 */
export async function resolveBotRef(pool: pg.Pool, ref: string): Promise<string | null> {
  return botIdOf(pool, ref);
}

async function botIdOf(pool: pg.Pool, ref: string): Promise<string | null> {
  // loaded with a bot only: the proof module is not on the plain gate's path
  const { resolveBot } = await import('./db/proof.js');
  const id = await resolveBot(pool, ref);
  return id ?? (isUuid(ref) ? ref.toLowerCase() : null);
}

// ─── Market time ────────────────────────────────────────────────────────────────────

/** The BOT_DATA_STALE rule's inputs from the config and the registry (its market-data integrations). */
export function botMarketRule(registry: Registry, config: Pick<Config, 'calendar' | 'market'>, at?: number): BotMarketRule {
  const kinds = new Set(namesOfKind('marketdata'));
  const integrations = registry.integrations.filter((s) => s.kind === 'marketdata' || kinds.has(s.name)).map((s) => s.name);
  const m = marketOf(config);
  return { integrations, boundS: m.dataStaleAfterS, overrides: calendarOf(config).overrides, defaultGroup: m.defaultGroup, at };
}

/** SessionView plus the same instants as wall-clock text in the calendar's zone (for people; null where the instant is). */
export interface MarketSessionView extends SessionView {
  session_open_local: string | null;
  session_close_local: string | null;
  next_open_local: string | null;
}

/**
 * Where the market is at an instant (default now, on this process's clock) for a product group
 * (default the config's `market.default_group`), with the config file's overrides. An unknown
 * group or an instant before the calendar is a UsageError (exit 64). Shared by `observatory
 * session --json`, the TUI header and GET /api/session.
 */
export function marketSession(config: Pick<Config, 'calendar' | 'market'>, opts: { group?: string; at?: number } = {}): MarketSessionView {
  const v = sessionView(opts.group ?? marketOf(config).defaultGroup, opts.at ?? Date.now(), calendarOf(config).overrides);
  const local = (iso: string | null) => (iso === null ? null : formatWall(Date.parse(iso), v.time_zone));
  return { ...v, session_open_local: local(v.session_open), session_close_local: local(v.session_close), next_open_local: local(v.next_open) };
}
