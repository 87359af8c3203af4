/**
 * Gate rules, in one place: the global rules (evaluateGate) and the per-bot rules (botBlockers).
 * Fail-closed: whatever is missing, failing, stale or unknown blocks.
 *
 * Decisions:
 *  - store unreachable ⇒ global_status UNKNOWN with a STATUS_UNAVAILABLE blocker: nothing read
 *    from the store can be trusted, and "could not determine" is exit 3, never 0.
 *  - a required integration with no state at all counts as BLOCKED NEVER_PROBED.
 *  - a requirement group (any one of) is met when a member is OK or DEGRADED; otherwise
 *    REQUIREMENT_UNMET naming every member. Met by a DEGRADED member only ⇒ DEGRADED.
 *  - optional = not required for the mode (by itself or via a group that is met). An optional
 *    integration that is not OK makes the gate DEGRADED (OPTIONAL_NOT_OK warning) — except when it
 *    has no credentials at all: an integration nobody configured is not in use, and counting it
 *    would leave `--strict` permanently failing (e.g. tradovate unset while ironbeam trades).
 *  - a built-in requirement the config file dropped (`enabled: false`, or `required_for` without a
 *    mode the module requires) blocks that mode (REQUIREMENT_DISABLED): requirements per mode are
 *    the product's, not the config's to drop silently. A blocker rather than a refused config: a
 *    deployment that only runs shadow may disable risk_engine, and its shadow gate, status and TUI
 *    keep working, while the paper and live gates say exactly which line of the file blocks them.
 *  - every fix for an integration's state comes from status.fixForState (so a recovering
 *    integration says "wait", not "redo the fix"); a group blocker's fix lists each member's
 *    fix for its own cause (a key that is set is never "set the key").
 *  - brokers (modes.ts, one definition): a member of a requirement group of kind broker counts
 *    only when its latest probe evidence fits the mode — live: probed on the live host and the
 *    vendor reported a live account, else BROKER_NOT_LIVE; paper: never a live host, else
 *    REQUIREMENT_UNMET. Shadow needs no broker.
 *  - live: an integration in use (connected) on a non-default endpoint is a CUSTOM_ENDPOINT
 *    blocker unless the config file allows it by name (`allow_custom_endpoints`).
 *
 * Per-bot rules (brief Phase 5; facts read by db/bot-gate.ts): an unknown bot blocks
 * (BOT_UNKNOWN); its latest run ended BLOCKED or FAILED with no run started since
 * (BOT_RUN_BLOCKED / BOT_RUN_FAILED); a RUNNING run whose heartbeat is older than the daemon's
 * stale bound (BOT_HEARTBEAT_STALE); a BLOCKED attempt in the last hour not followed by a run
 * of the gate's mode (BOT_BLOCKED_ATTEMPT, one per integration and reason, latest trace_id);
 * a RUNNING bot whose last OK market-data event is older than the bound counted in OPEN-market
 * seconds (BOT_DATA_STALE, see botDataStaleBlocker).
 */
import type pg from 'pg';
import { ExitCode, STORE_UNREACHABLE_FIX, UsageError } from './errors.js';
import { fixForState, neverProbedState, type EffectiveState } from './status.js';
import { readBotGateFacts, type BotGateFacts } from './db/bot-gate.js';
import {
  exceedsOpenSecondsAt,
  formatCountdown,
  groupOfSymbol,
  isOpen,
  NO_OVERRIDES,
  notBeforeCalendar,
  openSecondsBetween,
  productGroup,
} from './calendar/index.js';
import type { CalendarOverrides } from './calendar/index.js';
import { isUuid } from './trace.js';
import type { Blocker, GateStatus, IntegrationSpec, IntegrationState, Mode, ReasonCode, Registry, RequirementGroup } from './types.js';
import { brokerMismatch, modeDefinition } from './modes.js';
import { brokerEnvFix, customEndpointFix } from './vendors/specs.js';
import { covers, describeScope, resumeCommand, type ScopeInForce } from './trading-state.js';

export interface GateInput {
  mode: Mode;
  registry: Registry;
  /** effective states (status.effectiveState) by integration name */
  states: Map<string, IntegrationState | EffectiveState> | Record<string, IntegrationState | EffectiveState>;
  store: { reachable: boolean };
  /** stoppedAgeMs: how long ago the newest daemon that stopped cleanly last beat (none running) */
  daemon: { fresh: boolean; ageMs: number | null; stoppedAgeMs?: number | null };
  liveTradingEnabled: boolean;
  /** per-bot blockers computed elsewhere, merged in as-is */
  botBlockers?: Blocker[];
  traceId: string;
  now?: Date;
}

export interface GateResult {
  mode: Mode;
  global_status: GateStatus;
  blockers: Blocker[];
  warnings: Blocker[];
  evaluated_at: string;
  trace_id: string;
}

const DAEMON_FIX = 'Start the daemon (`observatory up` or `observatory daemon`) and check its logs; it writes a heartbeat every few seconds';
const LIVE_FIX = "Set LIVE_TRADING_ENABLED=true in the daemon's environment once live trading is approved";

function stateOf(states: GateInput['states'], name: string): IntegrationState | EffectiveState | undefined {
  return states instanceof Map ? states.get(name) : states[name];
}

/** The fix for a non-OK state, always through fixForState (a state without a code reads as a failed check). */
function fixOf(spec: IntegrationSpec, s: IntegrationState | EffectiveState): string {
  return fixForState(spec, { ...s, reasonCode: s.reasonCode ?? 'CHECK_FAILED' }) as string;
}

/**
 * A group blocker's fix: each member's own fix for its own failing cause (through fixForState),
 * so a member whose key is set but whose vendor answers 503 says "failing server-side", not
 * "set the key". The group's static fix only when no member is enabled.
 */
function groupFix(g: RequirementGroup, members: IntegrationSpec[], get: (s: IntegrationSpec) => IntegrationState | EffectiveState): string {
  if (members.length === 0) return g.fix;
  const each = members.map((m) => `${m.name} (${get(m).reasonCode ?? 'CHECK_FAILED'}): ${fixOf(m, get(m))}`);
  return `Make one of ${members.map((m) => m.name).join(', ')} healthy — ${each.join('; ')}`;
}

function describe(s: IntegrationState): string {
  return `${s.status}${s.reasonCode ? ` ${s.reasonCode}` : ''}`;
}

export function evaluateGate(input: GateInput): GateResult {
  const { mode, registry, traceId } = input;
  const blockers: Blocker[] = [];
  const warnings: Blocker[] = [];
  const gateBlocker = (code: ReasonCode, message: string, fix: string, integration: string | null = null): Blocker => ({
    code,
    message,
    fix,
    integration,
    trace_id: traceId,
  });
  const fromState = (spec: IntegrationSpec, s: IntegrationState | EffectiveState, code: ReasonCode, message: string): Blocker => ({
    code,
    message,
    fix: fixOf(spec, s),
    integration: spec.name,
    trace_id: s.lastTraceId ?? traceId,
  });

  if (!input.store.reachable)
    blockers.push(gateBlocker('STATUS_UNAVAILABLE', 'status store unreachable: no verdict can be reached', STORE_UNREACHABLE_FIX, 'postgres'));
  if (!input.daemon.fresh) {
    const { ageMs, stoppedAgeMs } = input.daemon;
    const age =
      ageMs !== null
        ? `newest daemon heartbeat is ${Math.round(ageMs / 1000)} s old`
        : stoppedAgeMs != null
          ? `no daemon is running (the last one stopped about ${Math.round(stoppedAgeMs / 1000)} s ago)`
          : 'no running daemon has written a heartbeat';
    blockers.push(gateBlocker('DAEMON_STALE', `${age}; probe results are not being refreshed`, DAEMON_FIX));
  }
  if (mode === 'live' && !input.liveTradingEnabled) blockers.push(gateBlocker('LIVE_TRADING_DISABLED', 'live trading is not enabled', LIVE_FIX));

  // Integration rules only when the states could be read at all.
  if (input.store.reachable) {
    const required = new Set<string>();
    const missingState = (spec: IntegrationSpec): IntegrationState => neverProbedState(spec, false, 'no state recorded');
    const get = (spec: IntegrationSpec) => stateOf(input.states, spec.name) ?? missingState(spec);

    for (const d of registry.dropped ?? []) {
      if (!d.modes.includes(mode)) continue;
      const how = d.field === 'enabled' ? 'is disabled in the config file' : `has ${mode} removed from its required_for in the config file`;
      blockers.push(
        gateBlocker(
          'REQUIREMENT_DISABLED',
          `${d.integration} ${how}, but ${mode} requires it`,
          `Remove integrations.${d.integration}.${d.field} from the config file (${mode} always needs ${d.integration}), or run in a mode that does not need it`,
          d.integration,
        ),
      );
    }

    for (const spec of registry.integrations) {
      if (!spec.requiredFor.includes(mode)) continue;
      required.add(spec.name);
      const s = get(spec);
      const code = s.reasonCode ?? 'CHECK_FAILED';
      const msg = `${spec.name} is ${describe(s)}${s.reasonMessage ? `: ${s.reasonMessage}` : ''} (required for ${mode})`;
      if (s.status === 'BLOCKED') blockers.push(fromState(spec, s, code, msg));
      else if (s.status === 'DEGRADED') warnings.push(fromState(spec, s, code, msg));
    }

    for (const g of registry.groups) {
      if (!g.modes.includes(mode)) continue;
      const members = g.anyOf.map((n) => registry.integrations.find((s) => s.name === n)).filter((s): s is IntegrationSpec => !!s);
      // a broker counts only when its probe evidence fits the mode (modes.ts: live host and live
      // account for live, never a live host for paper); a demo-proven broker never satisfies live
      const misfit = (m: IntegrationSpec) => (m.kind === 'broker' ? brokerMismatch(mode, get(m)) : null);
      const healthy = members.filter((m) => get(m).status !== 'BLOCKED');
      const usable = healthy.filter((m) => misfit(m) === null);
      const ok = usable.filter((m) => get(m).status === 'OK');
      const wrongHost = healthy.filter((m) => misfit(m) !== null);
      if (usable.length === 0 && wrongHost.length > 0) {
        const lead = wrongHost[0];
        const detail = wrongHost.map((m) => `${m.name} ${describe(get(m))}: ${misfit(m)}`).join('; ');
        const target = modeDefinition(mode).brokerEnvironment ?? 'demo';
        blockers.push({
          ...gateBlocker(
            mode === 'live' ? 'BROKER_NOT_LIVE' : 'REQUIREMENT_UNMET',
            `${mode} needs a broker ${mode === 'live' ? 'proven against its live host with a live account' : 'healthy on its demo host'} (group ${g.name}): ${detail}`,
            wrongHost.map((m) => brokerEnvFix(m, target)).join('; or '),
            lead.name,
          ),
          trace_id: get(lead).lastTraceId ?? traceId,
        });
        continue;
      }
      if (usable.length === 0) {
        const detail = members.length ? members.map((m) => `${m.name} ${describe(get(m))}`).join(', ') : 'no member is enabled';
        // point at the member an operator most likely relies on (configured, probed last) and its probe's trace
        const lead = [...members].sort(
          (a, b) => Number(get(b).connected) - Number(get(a).connected) || (get(b).lastProbeAt?.getTime() ?? 0) - (get(a).lastProbeAt?.getTime() ?? 0),
        )[0];
        // each member's own fix (a member in a maintenance window: wait for its end, status.ts)
        blockers.push({
          ...gateBlocker(
            'REQUIREMENT_UNMET',
            `${mode} needs one of group ${g.name} [${g.anyOf.join(', ')}]: ${detail}`,
            groupFix(g, members, get),
            lead?.name ?? null,
          ),
          trace_id: (lead && get(lead).lastTraceId) || traceId,
        });
        continue;
      }
      if (ok.length === 0) {
        // met only by DEGRADED members: the one in use is a required DEGRADED integration
        const m = usable[0];
        const s = get(m);
        if (!required.has(m.name))
          warnings.push(
            fromState(
              m,
              s,
              s.reasonCode ?? 'CHECK_FAILED',
              `group ${g.name} is met only by ${m.name} ${describe(s)}${s.reasonMessage ? `: ${s.reasonMessage}` : ''}`,
            ),
          );
        for (const u of usable) required.add(u.name);
      } else for (const u of ok) required.add(u.name);
    }

    // live orders must reach the vendor's own hosts: a stand-in, sidecar or proxy only when the operator allows it by name
    if (modeDefinition(mode).customEndpointNeedsAllow) {
      const allowed = new Set(registry.allowCustomEndpoints ?? []);
      for (const spec of registry.integrations) {
        const s = get(spec);
        if (!s.customEndpoint || !s.connected || allowed.has(spec.name)) continue;
        blockers.push({
          ...gateBlocker(
            'CUSTOM_ENDPOINT',
            `${spec.name} is reached at a custom endpoint (not the vendor's own host); ${mode} refuses it unless allowed`,
            customEndpointFix(spec),
            spec.name,
          ),
          trace_id: s.lastTraceId ?? traceId,
        });
      }
    }

    for (const spec of registry.integrations) {
      if (required.has(spec.name)) continue;
      const s = get(spec);
      if (s.status === 'OK' || s.reasonCode === 'MISSING_CREDENTIALS') continue;
      // code says "optional"; the fix is the one for the underlying reason (more useful)
      warnings.push(
        fromState(spec, s, 'OPTIONAL_NOT_OK', `${spec.name} (optional for ${mode}) is ${describe(s)}${s.reasonMessage ? `: ${s.reasonMessage}` : ''}`),
      );
    }
  }

  blockers.push(...(input.botBlockers ?? []));

  const global_status: GateStatus = !input.store.reachable ? 'UNKNOWN' : blockers.length > 0 ? 'BLOCKED' : warnings.length > 0 ? 'DEGRADED' : 'OK';
  return {
    mode,
    global_status,
    blockers,
    warnings,
    evaluated_at: (input.now ?? new Date()).toISOString(),
    trace_id: traceId,
  };
}

/** Nagios/Consul convention: 0 OK (and DEGRADED unless strict), 1 DEGRADED strict, 2 BLOCKED, 3 UNKNOWN. */
export function exitCodeFor(status: GateStatus, strict = false): number {
  switch (status) {
    case 'OK':
      return ExitCode.OK;
    case 'DEGRADED':
      return strict ? ExitCode.GATE_DEGRADED : ExitCode.OK;
    case 'BLOCKED':
      return ExitCode.GATE_BLOCKED;
    default:
      return ExitCode.GATE_UNKNOWN;
  }
}

// ─── Per-bot rules ──────────────────────────────────────────────────────────────────

/** How recent a BLOCKED event must be to block the bot (brief Phase 5). */
export const BLOCKED_ATTEMPT_WINDOW_MS = 60 * 60_000;

/** The market-time rule's inputs (config `market` and `calendar`, the registry's market-data integrations). */
export interface BotMarketRule {
  /** market-data integrations whose OK events count as data */
  integrations: readonly string[];
  /** BOT_DATA_STALE bound in open-market seconds */
  boundS: number;
  overrides?: CalendarOverrides;
  /** product group when the bot's last event names no known symbol */
  defaultGroup: string;
  /** `gate check --at`: judge the session at this instant (epoch ms) instead of now */
  at?: number;
}

/**
 * BOT_DATA_STALE (pure). Only a RUNNING bot; its data age is counted in open-market seconds of
 * its product group (from the last OK market-data event's symbol, else the default group) from
 * the later of that event and the run's start (a run just started gets the bound to deliver), and
 * it blocks only while the market is open: outside sessions nothing is stale for lack of data.
 * With `at`, the session at that instant decides; the data's age is what is known now (up to
 * `at` when it is in the past, up to now when it is in the future: "if the feed keeps up").
 */
export function botDataStaleBlocker(facts: BotGateFacts, rule: BotMarketRule): Blocker | null {
  const run = facts.runningRun;
  if (!run || !facts.now) return null;
  const md = facts.lastMarketData ?? null;
  const overrides = rule.overrides ?? NO_OVERRIDES;
  const group = (md?.symbol ? groupOfSymbol(md.symbol) : undefined) ?? rule.defaultGroup;
  const now = Date.parse(facts.now);
  const at = rule.at ?? now;
  if (!isOpen(group, at, overrides)) return null;
  const started = Date.parse(run.started_at);
  const lastAt = md ? Date.parse(md.at) : null;
  const from = notBeforeCalendar(productGroup(group), Math.max(lastAt ?? started, started));
  const until = Math.max(from, Math.min(at, now));
  const since = openSecondsBetween(group, from, until, overrides);
  if (since <= rule.boundS) return null;
  const exceeded = exceedsOpenSecondsAt(group, from, rule.boundS, overrides);
  const last = md
    ? `last OK ${md.integration} event at ${md.at}${md.symbol ? ` (${md.symbol})` : ''}`
    : `no OK market-data event since run ${run.id} started at ${run.started_at}`;
  return {
    code: 'BOT_DATA_STALE',
    message: `${formatCountdown(since)} of open ${group} market time without market data (bound ${formatCountdown(rule.boundS)}); ${last}${
      exceeded !== null ? `; stale since ${new Date(exceeded).toISOString()}` : ''
    }`,
    fix: `Check the bot's market-data feed (\`observatory status\` for ${rule.integrations.join('/')}, the bot's logs and its subscription); the gate clears once the bot records an OK market-data event`,
    integration: md?.integration ?? null,
    trace_id: md?.trace_id ?? run.trace_id,
  };
}

/** What BOT_DATA_STALE looked at for one bot (Panel B's market-time context): pure. */
export interface BotMarketTime {
  group: string;
  running: boolean;
  /** open-market seconds from the reference (last OK market-data event, or the run's start) to now; null when not running */
  openSecondsSinceLast: number | null;
  marketOpen: boolean;
  stale: Blocker | null;
}

export function botMarketTime(facts: BotGateFacts, rule: BotMarketRule): BotMarketTime {
  const md = facts.lastMarketData ?? null;
  const overrides = rule.overrides ?? NO_OVERRIDES;
  const group = (md?.symbol ? groupOfSymbol(md.symbol) : undefined) ?? rule.defaultGroup;
  const now = facts.now ? Date.parse(facts.now) : Date.now();
  const at = rule.at ?? now;
  const run = facts.runningRun ?? null;
  let since: number | null = null;
  if (run || md) {
    const ref = notBeforeCalendar(productGroup(group), Math.max(md ? Date.parse(md.at) : Date.parse(run!.started_at), run ? Date.parse(run.started_at) : 0));
    since = openSecondsBetween(group, ref, Math.max(ref, Math.min(at, now)), overrides);
  }
  return { group, running: run !== null, openSecondsSinceLast: since, marketOpen: isOpen(group, at, overrides), stale: botDataStaleBlocker(facts, rule) };
}

/** A bot nobody knows (its id, or with `byName` a name no bot has): fail-closed, BOT_UNKNOWN. */
export function unknownBotBlocker(ref: string, byName = false): Blocker {
  return {
    code: 'BOT_UNKNOWN',
    message: byName
      ? `no bot named '${ref.slice(0, 128)}' has started a run or written a usage event`
      : `bot ${ref} has never started a run or written a usage event`,
    fix: 'Check the bot id or name (`observatory proof` lists the active bots); a bot becomes known when it starts a run (runs.start) or records a usage event',
    integration: null,
    trace_id: null,
  };
}

/** The per-bot rules over facts already read (pure): see the header. */
export function botRuleBlockers(botId: string, facts: BotGateFacts, staleMs: number, market?: BotMarketRule): Blocker[] {
  if (!facts.known) return [unknownBotBlocker(botId)];
  const out: Blocker[] = [];
  const run = facts.badRun;
  if (run && (run.status === 'BLOCKED' || run.status === 'FAILED')) {
    const why = run.reason_code ? ` (${run.reason_code})` : '';
    out.push({
      code: run.status === 'BLOCKED' ? 'BOT_RUN_BLOCKED' : 'BOT_RUN_FAILED',
      message: `${run.mode} run ${run.id} ended ${run.status}${why}, and no run has started since`,
      fix: `Fix the cause${why} and start a new run; the gate clears once a run starts after it`,
      integration: null,
      trace_id: run.trace_id,
    });
  }
  for (const r of facts.staleRuns) {
    out.push({
      code: 'BOT_HEARTBEAT_STALE',
      message: `run ${r.id} is RUNNING but its last heartbeat was ${Math.round(r.heartbeat_age_s)} s ago (limit ${Math.round(staleMs / 1000)} s)`,
      fix: 'Check the bot process is alive and calling runs.heartbeat(); if it died, starting a new run for this bot ends the lost one (FAILED HEARTBEAT_LOST)',
      integration: null,
      trace_id: r.trace_id,
    });
  }
  for (const r of facts.blockedAttempts) {
    out.push({
      code: 'BOT_BLOCKED_ATTEMPT',
      // the rollup hour may hold older attempts too, so say "latest at", not an exact hourly count
      message: `${r.integration} attempt blocked (${r.reason_code || 'UNSPECIFIED'}) at ${r.last_at}, within the last hour`,
      fix: `Resolve ${r.reason_code || 'the blocking condition'} for ${r.integration} (see \`observatory gate check\` and the integration's fix), then start a new run`,
      integration: r.integration,
      trace_id: r.last_trace_id,
    });
  }
  const stale = market ? botDataStaleBlocker(facts, market) : null;
  if (stale) out.push(stale);
  return out;
}

/**
 * The bot's own blockers for the per-bot gate, read and judged. `staleMs` is the daemon's stale
 * bound (a bot's heartbeat is held to the same limit); `mode` is the gate's (only a run of that
 * mode clears a blocked attempt).
 */
export async function botBlockers(pool: pg.Pool, botId: string, staleMs: number, mode?: Mode, market?: BotMarketRule): Promise<Blocker[]> {
  if (!isUuid(botId)) throw new UsageError('bot id must be a UUID', 'pass the bot id, or resolve a name with resolveBot()');
  const facts = await readBotGateFacts(pool, botId, {
    staleMs,
    blockedWindowMs: BLOCKED_ATTEMPT_WINDOW_MS,
    mode,
    marketDataIntegrations: market?.integrations,
  });
  return botRuleBlockers(botId, facts, staleMs, market);
}

// ─── Trading state (the kill switch) ────────────────────────────────────────────────

export interface TradingGateInput {
  mode: Mode;
  registry: Registry;
  /** scopes not ACTIVE (db/trading-state.ts readInForce) */
  inForce: ScopeInForce[];
  /** with a bot: its id and the accounts (user_ids) its runs were recorded under */
  botId?: string | null;
  accounts?: string[];
  traceId: string;
}

/** Whether an integration scope takes the mode down: required by itself, or every member of a group the mode needs is halted too. */
function integrationCoversMode(name: string, mode: Mode, registry: Registry, halted: Set<string>): boolean {
  if (registry.integrations.some((s) => s.name === name && s.requiredFor.includes(mode))) return true;
  return registry.groups.some((g) => g.modes.includes(mode) && g.anyOf.includes(name) && g.anyOf.every((m) => halted.has(m)));
}

function tradingBlocker(s: ScopeInForce, code: 'TRADING_HALTED' | 'TRADING_REDUCING', what: string): Blocker {
  const until = s.expires_at ? ` until ${s.expires_at}` : '';
  return {
    code,
    message: `trading ${s.state} (${describeScope(s)}) by ${s.actor} since ${s.since}${until}: ${s.reason}${what}`,
    fix: resumeCommand(s),
    integration: s.scope === 'integration' ? s.target : null,
    trace_id: s.trace_id,
    trading_state: { scope: s.scope, target: s.target, state: s.state, actor: s.actor, reason: s.reason, since: s.since, expires_at: s.expires_at },
  };
}

/**
 * The kill switch in the gate: a HALTED scope covering the mode (global, an integration the mode
 * cannot do without) or the bot (its id, its account) blocks with TRADING_HALTED; a REDUCING one
 * blocks starting a new run with TRADING_REDUCING (a running bot may still reduce — enforced by
 * the SDK's canPlace, not here). An integration scope the mode can route around is a warning.
 */
export function tradingStateBlockers(input: TradingGateInput): { blockers: Blocker[]; warnings: Blocker[] } {
  const blockers: Blocker[] = [];
  const warnings: Blocker[] = [];
  const halted = new Set(input.inForce.filter((s) => s.scope === 'integration' && s.state === 'HALTED').map((s) => s.target));
  const reducingOrHalted = new Set(input.inForce.filter((s) => s.scope === 'integration').map((s) => s.target));
  for (const s of input.inForce) {
    let applies: boolean;
    if (s.scope === 'integration') applies = integrationCoversMode(s.target, input.mode, input.registry, s.state === 'HALTED' ? halted : reducingOrHalted);
    else if (s.scope === 'global') applies = true;
    else applies = covers(s, { botId: input.botId ?? null, userId: null }) || (s.scope === 'account' && (input.accounts ?? []).includes(s.target));
    const code = s.state === 'HALTED' ? 'TRADING_HALTED' : 'TRADING_REDUCING';
    const what = s.state === 'HALTED' ? '' : ' — no new run may start; running bots may only reduce';
    if (applies) blockers.push(tradingBlocker(s, code, what));
    else if (s.scope === 'integration') warnings.push(tradingBlocker(s, code, ` — ${input.mode} can route around it`));
  }
  return { blockers, warnings };
}

// ─── dependency attribution: an outage is one incident, counted in the bots it stops ───

/** How many bots (that used it in the last 24 h) each BLOCKED integration stops. */
export type Dependents = ReadonlyMap<string, number>;

/**
 * The gate's integration blockers with the number of bots each outage stops (`blocks_bots`), so
 * the verdict says "blocks 37 bots" once, on the integration — not once per bot.
 */
export function withDependents(blockers: readonly Blocker[], dependents: Dependents): Blocker[] {
  return blockers.map((b) => {
    const n = b.integration ? dependents.get(b.integration) : undefined;
    return n ? { ...b, blocks_bots: n } : b;
  });
}

/**
 * A bot's blockers from its upstream integrations: each integration the bot used in the window
 * that is BLOCKED now is one blocker naming that integration, carrying the integration's own
 * trace_id (the outage's incident, the same for every bot it stops); the bot's own BLOCKED
 * attempts stay as its evidence. An integration the global gate already blocks on is not repeated.
 */
export function upstreamBotBlockers(input: {
  registry: Registry;
  states: GateInput['states'];
  used: readonly string[];
  own: readonly Blocker[];
  global: readonly Blocker[];
  dependents: Dependents;
}): Blocker[] {
  const upstream: Blocker[] = [];
  for (const name of input.used) {
    const spec = input.registry.integrations.find((s) => s.name === name);
    const s = spec && stateOf(input.states, name);
    if (!spec || !s || s.status !== 'BLOCKED') continue;
    if (input.global.some((b) => b.integration === name)) continue;
    const n = input.dependents.get(name);
    upstream.push({
      code: s.reasonCode ?? 'CHECK_FAILED',
      message: `this bot uses ${name}, which is ${describe(s)}${s.reasonMessage ? `: ${s.reasonMessage}` : ''}${n ? ` (the outage blocks ${n} bot${n === 1 ? '' : 's'})` : ''}`,
      fix: fixOf(spec, s),
      integration: name,
      trace_id: s.lastTraceId,
      ...(n ? { blocks_bots: n } : {}),
    });
  }
  // the bot's own BLOCKED attempts stay (its evidence, with their own trace ids); the incident is the upstream one
  return [...upstream, ...input.own];
}
