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
 *  - every fix for an integration's state comes from status.fixForState (so a recovering
 *    integration says "wait", not "redo the fix").
 *
 * Per-bot rules (brief Phase 5; facts read by db/bot-gate.ts): an unknown bot blocks
 * (BOT_UNKNOWN); its latest run ended BLOCKED or FAILED with no run started since
 * (BOT_RUN_BLOCKED / BOT_RUN_FAILED); a RUNNING run whose heartbeat is older than the daemon's
 * stale bound (BOT_HEARTBEAT_STALE); a BLOCKED attempt in the last hour not followed by a run
 * of the gate's mode (BOT_BLOCKED_ATTEMPT, one per integration and reason, latest trace_id).
 */
import type pg from 'pg';
import { ExitCode, STORE_UNREACHABLE_FIX, UsageError } from './errors.js';
import { fixForState, neverProbedState, type EffectiveState } from './status.js';
import { readBotGateFacts, type BotGateFacts } from './db/bot-gate.js';
import { isUuid } from './trace.js';
import type { Blocker, GateStatus, IntegrationSpec, IntegrationState, Mode, ReasonCode, Registry } from './types.js';

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
      const usable = members.filter((m) => get(m).status !== 'BLOCKED');
      const ok = usable.filter((m) => get(m).status === 'OK');
      if (usable.length === 0) {
        const detail = members.length ? members.map((m) => `${m.name} ${describe(get(m))}`).join(', ') : 'no member is enabled';
        // point at the member an operator most likely relies on (configured, probed last) and its probe's trace
        const lead = [...members].sort(
          (a, b) => Number(get(b).connected) - Number(get(a).connected) || (get(b).lastProbeAt?.getTime() ?? 0) - (get(a).lastProbeAt?.getTime() ?? 0),
        )[0];
        blockers.push({
          ...gateBlocker('REQUIREMENT_UNMET', `${mode} needs one of group ${g.name} [${g.anyOf.join(', ')}]: ${detail}`, g.fix, lead?.name ?? null),
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

/** The per-bot rules over facts already read (pure): see the header. */
export function botRuleBlockers(botId: string, facts: BotGateFacts, staleMs: number): Blocker[] {
  if (!facts.known)
    return [
      {
        code: 'BOT_UNKNOWN',
        message: `bot ${botId} has never started a run or written a usage event`,
        fix: 'Check the bot id; a bot becomes known when it starts a run (runs.start) or records a usage event',
        integration: null,
        trace_id: null,
      },
    ];
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
  return out;
}

/**
 * The bot's own blockers for the per-bot gate, read and judged. `staleMs` is the daemon's stale
 * bound (a bot's heartbeat is held to the same limit); `mode` is the gate's (only a run of that
 * mode clears a blocked attempt).
 */
export async function botBlockers(pool: pg.Pool, botId: string, staleMs: number, mode?: Mode): Promise<Blocker[]> {
  if (!isUuid(botId)) throw new UsageError('bot id must be a UUID', 'pass the bot id, or resolve a name with resolveBot()');
  const facts = await readBotGateFacts(pool, botId, { staleMs, blockedWindowMs: BLOCKED_ATTEMPT_WINDOW_MS, mode });
  return botRuleBlockers(botId, facts, staleMs);
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
