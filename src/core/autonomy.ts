/**
 * Gate rules, in one place. Fail-closed: whatever is missing, failing, stale or unknown blocks.
 *
 * Decisions (see DESIGN.md "Global autonomy"):
 *  - store unreachable ⇒ global_status UNKNOWN with a STATUS_UNAVAILABLE blocker: nothing read
 *    from the store can be trusted, and "could not determine" is exit 3, never 0.
 *  - a required integration with no state at all counts as BLOCKED NEVER_PROBED.
 *  - a requirement group (any one of) is met when a member is OK or DEGRADED; otherwise
 *    REQUIREMENT_UNMET naming every member. Met by a DEGRADED member only ⇒ DEGRADED.
 *  - optional = not required for the mode (by itself or via a group that is met). An optional
 *    integration that is not OK makes the gate DEGRADED (OPTIONAL_NOT_OK warning) — except when it
 *    has no credentials at all: an integration nobody configured is not in use, and counting it
 *    would leave `--strict` permanently failing (e.g. tradovate unset while ironbeam trades).
 */
import { ExitCode, STORE_UNREACHABLE_FIX } from './errors.js';
import { fixFor } from './vendors/registry.js';
import { neverProbedState, type EffectiveState } from './status.js';
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
    fix: fixFor(spec, code, { missingEnv: (s as EffectiveState).missingEnv }),
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
  if (mode === 'live' && !input.liveTradingEnabled)
    blockers.push(gateBlocker('LIVE_TRADING_DISABLED', 'live trading is not enabled', LIVE_FIX));

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
        const lead = [...members].sort((a, b) => Number(get(b).connected) - Number(get(a).connected) || (get(b).lastProbeAt?.getTime() ?? 0) - (get(a).lastProbeAt?.getTime() ?? 0))[0];
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
          warnings.push(fromState(m, s, s.reasonCode ?? 'CHECK_FAILED', `group ${g.name} is met only by ${m.name} ${describe(s)}${s.reasonMessage ? `: ${s.reasonMessage}` : ''}`));
        for (const u of usable) required.add(u.name);
      } else for (const u of ok) required.add(u.name);
    }

    for (const spec of registry.integrations) {
      if (required.has(spec.name)) continue;
      const s = get(spec);
      if (s.status === 'OK' || s.reasonCode === 'MISSING_CREDENTIALS') continue;
      // code says "optional"; the fix is the one for the underlying reason (more useful)
      warnings.push({
        ...fromState(spec, s, 'OPTIONAL_NOT_OK', `${spec.name} (optional for ${mode}) is ${describe(s)}${s.reasonMessage ? `: ${s.reasonMessage}` : ''}`),
        fix: fixFor(spec, s.reasonCode ?? 'CHECK_FAILED', { missingEnv: (s as EffectiveState).missingEnv }),
      });
    }
  }

  blockers.push(...(input.botBlockers ?? []));

  const global_status: GateStatus = !input.store.reachable
    ? 'UNKNOWN'
    : blockers.length > 0
      ? 'BLOCKED'
      : warnings.length > 0
        ? 'DEGRADED'
        : 'OK';
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
