/**
 * The status rules table, in one place (README "The gate" documents it).
 *
 *  - applyProbe: the prober folds one probe result into the stored state (hysteresis, Consul's
 *    model: failures before DEGRADED / BLOCKED, successes before OK, so one blip never flaps).
 *  - effectiveState: what every reader shows; overlays what a stored row cannot know by itself
 *    (credentials missing now, never probed, probe too old). Never OK without a probe row.
 */
import { fixFor, missingEnv as missingEnvOf } from './vendors/registry.js';
import type { IntegrationSpec, IntegrationState, ProbeOutcome, ProbeResult, ReasonCode, Status } from './types.js';
import { describeWindow, inMaintenance, type CalendarConfig, type MaintenanceHit } from './calendar/index.js';

/** The rule table as data (README / --help render it; tests walk it). Order = precedence. */
export const STATUS_RULES: ReadonlyArray<{ condition: string; status: Status; reasonCode: ReasonCode | null }> = [
  { condition: 'a required env var missing or empty', status: 'BLOCKED', reasonCode: 'MISSING_CREDENTIALS' },
  { condition: 'never probed', status: 'BLOCKED', reasonCode: 'NEVER_PROBED' },
  { condition: 'last probe older than stale_after_ms (default 3 × interval)', status: 'BLOCKED', reasonCode: 'PROBE_STALE' },
  { condition: '401/403 from the vendor', status: 'BLOCKED', reasonCode: 'AUTH_REJECTED' },
  { condition: "the plan/licence does not cover the data (the vendor's own code)", status: 'BLOCKED', reasonCode: 'ENTITLEMENT_DENIED' },
  { condition: "the account is out of quota/credit (the vendor's own code)", status: 'BLOCKED', reasonCode: 'QUOTA_EXHAUSTED' },
  { condition: 'the vendor asked us to stop (captcha, lockout 429/423), until it lifts', status: 'BLOCKED', reasonCode: 'VENDOR_PENALTY' },
  {
    condition: '429 before any success (never probed OK, or no credentials): a rate limit proves nothing about the key',
    status: 'BLOCKED',
    reasonCode: 'RATE_LIMITED',
  },
  { condition: 'any other failure before any success: a failure never improves on NEVER_PROBED', status: 'BLOCKED', reasonCode: 'UPSTREAM_5XX' },
  {
    condition: 'timeout / network / 5xx / other 4xx / bad body / failed check, failures_before_degraded+ in a row',
    status: 'DEGRADED',
    reasonCode: 'UPSTREAM_5XX',
  },
  {
    condition:
      'same, failures_before_blocked+ in a row — confirmed at short spacing (probe-schedule.ts), so BLOCKED within 10 s of the first failed probe whatever the interval',
    status: 'BLOCKED',
    reasonCode: 'UPSTREAM_5XX',
  },
  {
    condition: '429 after a success (never worse than DEGRADED: the vendor is up; never better than the verdict it follows)',
    status: 'DEGRADED',
    reasonCode: 'RATE_LIMITED',
  },
  { condition: 'success but latency over degraded_latency_ms', status: 'DEGRADED', reasonCode: 'SLOW_RESPONSE' },
  { condition: 'active fault injection (status as the injected result)', status: 'BLOCKED', reasonCode: 'FAULT_INJECTED' },
  {
    condition:
      'inside a scheduled maintenance window (config `calendar.maintenance`): shown as MAINTENANCE, blocks like BLOCKED; failures inside move no counters',
    status: 'BLOCKED',
    reasonCode: 'MAINTENANCE',
  },
  { condition: 'success (after a failure: successes_before_ok in a row)', status: 'OK', reasonCode: null },
];

const RANK: Record<Status, number> = { OK: 0, DEGRADED: 1, BLOCKED: 2 };
/** The worse of two statuses (OK < DEGRADED < BLOCKED). */
export const worseStatus = (a: Status, b: Status): Status => (RANK[a] >= RANK[b] ? a : b);

const DEFAULT_MESSAGE: Record<ProbeOutcome, string> = {
  OK: 'probe succeeded',
  MISSING_CREDENTIALS: 'required env vars are missing or empty',
  AUTH_REJECTED: 'credentials rejected (401/403)',
  RATE_LIMITED: 'rate limited (429)',
  UPSTREAM_5XX: 'server error (5xx)',
  UPSTREAM_4XX: 'unexpected client error (4xx)',
  UPSTREAM_TIMEOUT: 'probe timed out',
  UPSTREAM_NETWORK: 'network error',
  UPSTREAM_BAD_RESPONSE: 'response not in the expected protocol',
  CHECK_FAILED: 'check failed',
  ENTITLEMENT_DENIED: 'the plan or licence does not cover the data',
  QUOTA_EXHAUSTED: 'the account is out of quota',
  VENDOR_PENALTY: 'the vendor asked us to stop for a while',
};

/** A previous state that carries no probe evidence: first real result decides at once. */
function hasEvidence(prev: IntegrationState | undefined): prev is IntegrationState {
  return !!prev && prev.lastProbeAt !== null && prev.reasonCode !== 'NEVER_PROBED' && prev.reasonCode !== 'MISSING_CREDENTIALS';
}

/**
 * Folds one probe result into the integration's state. Pure.
 * `connected` is whether the probing process has the env vars (stored alongside, a boolean only).
 */
export function applyProbe(
  spec: IntegrationSpec,
  prev: IntegrationState | undefined,
  result: ProbeResult,
  opts: { connected: boolean; now: Date },
): IntegrationState {
  const base = {
    integration: spec.name,
    connected: opts.connected,
    lastProbeAt: opts.now,
    latencyMs: observedLatency(result),
    lastTraceId: result.traceId,
    injected: !!result.injected,
    environment: result.environment ?? null,
    accountLive: result.accountLive ?? null,
    customEndpoint: !!result.customEndpoint,
  };
  const evidence = hasEvidence(prev) ? prev : undefined;
  // a result can only be judged against a success: before one (never probed, no credentials, only
  // failures or drills so far) nothing this probe says can lift the verdict above BLOCKED
  const everOk = !!evidence && evidence.lastOkAt !== null && opts.connected;
  const message = result.message ?? DEFAULT_MESSAGE[result.outcome];
  // the reason a reader sees: a drill names itself, whatever it simulated
  const reason = (code: ReasonCode): ReasonCode => (result.injected ? 'FAULT_INJECTED' : code);

  if (result.outcome === 'OK' && result.injected) {
    // a drill that simulates success never makes an integration green without the vendor:
    // no OK, no last-OK time, no progress towards recovery
    return {
      ...base,
      lastOkAt: prev?.lastOkAt ?? null,
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      status: everOk ? worseStatus('DEGRADED', evidence.status) : 'BLOCKED',
      reasonCode: 'FAULT_INJECTED',
      reasonMessage: result.message ?? 'fault injected: a simulated success is not evidence of health',
    };
  }
  if (result.outcome === 'OK') {
    // slow successes count as successes; a failure resets the count
    const successes = (evidence?.consecutiveSuccesses ?? 0) + 1;
    const common = { ...base, lastOkAt: opts.now, consecutiveFailures: 0, consecutiveSuccesses: successes };
    // after a failure, hold the failed verdict until N successes in a row (no flapping back)
    if (evidence && evidence.status !== 'OK' && successes < spec.successesBeforeOk) {
      return {
        ...common,
        status: evidence.status,
        reasonCode: evidence.reasonCode,
        reasonMessage: `${RECOVERING} ${successes} of ${spec.successesBeforeOk} consecutive successes`,
      };
    }
    if (result.latencyMs > spec.degradedLatencyMs) {
      return {
        ...common,
        status: 'DEGRADED',
        reasonCode: reason('SLOW_RESPONSE'),
        reasonMessage: result.message ?? `latency ${result.latencyMs} ms over ${spec.degradedLatencyMs} ms`,
      };
    }
    return { ...common, status: 'OK', reasonCode: null, reasonMessage: null };
  }

  const failures = (evidence?.consecutiveFailures ?? 0) + 1;
  const common = { ...base, lastOkAt: prev?.lastOkAt ?? null, consecutiveFailures: failures, consecutiveSuccesses: 0 };
  const fail = (status: Status, code: ReasonCode): IntegrationState => ({
    ...common,
    status,
    reasonCode: reason(code),
    reasonMessage: message,
  });

  const keep = (p: IntegrationState): IntegrationState => ({ ...common, status: p.status, reasonCode: p.reasonCode, reasonMessage: p.reasonMessage });

  switch (result.outcome) {
    case 'MISSING_CREDENTIALS':
    case 'AUTH_REJECTED':
    case 'ENTITLEMENT_DENIED':
    case 'QUOTA_EXHAUSTED':
    case 'VENDOR_PENALTY':
      // deterministic, or the vendor's own word: retrying cannot help, block at once
      return fail('BLOCKED', result.outcome);
    case 'RATE_LIMITED':
      // 429: the vendor is up — DEGRADED at worst from OK (a blip under the threshold leaves
      // an OK verdict alone). Never an improvement: many vendors rate-limit before they check
      // the key, so a 429 before any success, after a rejected key or an outage keeps BLOCKED
      // until real successes.
      if (!everOk)
        return {
          ...common,
          status: 'BLOCKED',
          reasonCode: evidence?.status === 'BLOCKED' && evidence.reasonCode ? evidence.reasonCode : reason('RATE_LIMITED'),
          reasonMessage:
            evidence?.status === 'BLOCKED' ? evidence.reasonMessage : `${message}: no successful probe yet, and a rate limit proves nothing about the key`,
        };
      if (failures < spec.failuresBeforeDegraded && evidence.status === 'OK') return keep(evidence);
      if (evidence.status === 'BLOCKED') return keep(evidence);
      return fail('DEGRADED', 'RATE_LIMITED');
    default: {
      let status: Status;
      if (failures >= spec.failuresBeforeBlocked || !everOk) status = 'BLOCKED';
      else if (failures >= spec.failuresBeforeDegraded) status = 'DEGRADED';
      // a blip under the threshold keeps the previous verdict (never OK without evidence)
      else if (evidence?.status === 'OK') return keep(evidence);
      else status = evidence?.status ?? 'BLOCKED';
      // a failure never improves the verdict: BLOCKED, one success, one failure stays BLOCKED
      if (evidence) status = worseStatus(status, evidence.status);
      return fail(status, result.outcome);
    }
  }
}

export interface EffectiveState extends IntegrationState {
  /** env var names missing in the reader's `env`, when one was given (names only) */
  missingEnv?: string[];
  /** set when the state reads MAINTENANCE: the window and when it ends (the fix is to wait for it) */
  maintenance?: MaintenanceInfo;
}

/** A probe's latency, or null when it made no request (no credentials: nothing to time, not "0 ms"). */
export function observedLatency(result: Pick<ProbeResult, 'outcome' | 'latencyMs'>): number | null {
  return result.outcome === 'MISSING_CREDENTIALS' ? null : Math.max(0, Math.round(result.latencyMs));
}

/** How a held verdict's message starts while successes accumulate towards OK. */
const RECOVERING = 'recovering:';

/** Clock disagreement tolerated between a probe's stamp and the reader's "now" (both the DB clock). */
const FUTURE_TOLERANCE_MS = 5_000;

/** The state of an integration nobody has probed: BLOCKED NEVER_PROBED, never anything better. */
export function neverProbedState(spec: IntegrationSpec, connected: boolean, reasonMessage: string | null): IntegrationState {
  return {
    integration: spec.name,
    connected,
    status: 'BLOCKED',
    reasonCode: 'NEVER_PROBED',
    reasonMessage,
    lastProbeAt: null,
    lastOkAt: null,
    latencyMs: null,
    consecutiveFailures: 0,
    consecutiveSuccesses: 0,
    lastTraceId: null,
    injected: false,
    environment: null,
    accountLive: null,
    customEndpoint: false,
  };
}

/**
 * What readers show. Precedence: missing credentials ⇒ BLOCKED MISSING_CREDENTIALS;
 * no probe row ⇒ BLOCKED NEVER_PROBED; probe older than staleAfterMs ⇒ BLOCKED PROBE_STALE;
 * otherwise the stored state; a probe stamped in the future ⇒ BLOCKED PROBE_STALE. Evidence fields (lastOkAt, lastTraceId…) are kept as recorded.
 *
 * `connected`: the prober's view (state.connected) for readers in another process, or
 * connectedOf(spec, env) in the prober; `env` (optional) lets the message name missing vars.
 */
export function effectiveState(
  spec: IntegrationSpec,
  state: IntegrationState | undefined,
  opts: { connected: boolean; now: Date; env?: NodeJS.ProcessEnv },
): EffectiveState {
  const base: IntegrationState = state ?? neverProbedState(spec, opts.connected, null);
  if (!opts.connected) {
    const missing = opts.env ? missingEnvOf(spec, opts.env) : undefined;
    const names = missing?.length ? missing : spec.envVars;
    return {
      ...base,
      connected: false,
      status: 'BLOCKED',
      reasonCode: 'MISSING_CREDENTIALS',
      reasonMessage: `missing or empty: ${names.join(', ')}`,
      ...(missing?.length ? { missingEnv: missing } : {}),
    };
  }
  if (!state || state.lastProbeAt === null) {
    return {
      ...base,
      connected: true,
      status: 'BLOCKED',
      reasonCode: 'NEVER_PROBED',
      reasonMessage: 'no probe has run yet',
    };
  }
  const ageMs = opts.now.getTime() - state.lastProbeAt.getTime();
  if (ageMs < -FUTURE_TOLERANCE_MS) {
    // a probe from the future can never go stale: distrust it rather than read it as fresh
    return {
      ...base,
      status: 'BLOCKED',
      reasonCode: 'PROBE_STALE',
      reasonMessage: `last probe is stamped ${Math.round(-ageMs / 1000)} s in the future: the prober's and the database's clocks disagree`,
    };
  }
  if (ageMs > spec.staleAfterMs) {
    return {
      ...base,
      status: 'BLOCKED',
      reasonCode: 'PROBE_STALE',
      reasonMessage: `last probe ${Math.round(ageMs / 1000)} s ago, over the ${Math.round(spec.staleAfterMs / 1000)} s bound`,
    };
  }
  return { ...state };
}

/** The fix a reader prints for an effective state (null when OK). */
export function fixForState(spec: IntegrationSpec, state: EffectiveState): string | null {
  if (!state.reasonCode) return null;
  // the cause is gone and probes succeed again: the fix is to wait, not to redo the fix (a
  // reader-side verdict — missing credentials, stale — replaces the message, so it never matches)
  if (state.reasonCode === 'MAINTENANCE' && state.maintenance)
    return `Scheduled maintenance (${state.maintenance.window}): wait until ${state.maintenance.until}; the integration is probed again then. If the window is wrong, edit calendar.maintenance.${state.integration} in the config file`;
  if (state.reasonMessage?.startsWith(RECOVERING))
    return `Recovering: probes succeed again; OK after ${spec.successesBeforeOk} consecutive successes — no action needed if the cause is fixed`;
  return fixFor(spec, state.reasonCode, { missingEnv: state.missingEnv });
}

// ─── Maintenance windows (market time) ──────────────────────────────────────────────
//
// A scheduled window (config `calendar.maintenance.<integration>`: dated, weekly, or a product
// group's daily break from the session calendar) puts the integration in MAINTENANCE.
// MAINTENANCE is not a fourth status: it is BLOCKED with reason code MAINTENANCE, so every
// consumer that tests `status === 'BLOCKED'` or `status !== 'OK'` (the gate's requirement rules,
// the readiness endpoint, the runner, the SDK) keeps failing closed without knowing about it;
// faces show the reason code. Two rules, both pure:
//  - withMaintenance (readers): inside a window the state reads BLOCKED MAINTENANCE with the
//    window's end as the fix — over a stored verdict, NEVER_PROBED or PROBE_STALE, but not over
//    missing credentials (that is still the operator's to fix).
//  - inMaintenanceProbe (prober): a FAILED probe inside a window is recorded in the history with
//    reason MAINTENANCE (left out of uptime) and leaves the stored state untouched — no
//    hysteresis counter moves, no status change, no notification. A success is evidence as usual.

export interface MaintenanceInfo {
  /** the window's one-line description */
  window: string;
  /** ISO instant the window (with any adjoining one) ends */
  until: string;
  since: string;
}

/** The maintenance window an integration is in at `at` (epoch ms), or null. */
export function maintenanceAt(calendar: CalendarConfig | undefined, integration: string, at: number): MaintenanceHit | null {
  const windows = calendar?.maintenance.get(integration);
  return windows?.length ? inMaintenance(windows, at, calendar!.overrides) : null;
}

/** Reader rule: the effective state inside a window. Missing credentials still win. */
export function withMaintenance(state: EffectiveState, hit: MaintenanceHit | null): EffectiveState {
  if (!hit || state.reasonCode === 'MISSING_CREDENTIALS') return state;
  const info: MaintenanceInfo = { window: describeWindow(hit.window), until: new Date(hit.end).toISOString(), since: new Date(hit.start).toISOString() };
  const before = state.reasonCode && state.reasonCode !== 'MAINTENANCE' ? `; verdict before the window: ${state.status} ${state.reasonCode}` : '';
  return {
    ...state,
    status: 'BLOCKED',
    reasonCode: 'MAINTENANCE',
    reasonMessage: `scheduled maintenance ${info.window}, until ${info.until}${before}`,
    maintenance: info,
  };
}

/** Prober rule: true when this result is a failure inside a window (record it as MAINTENANCE, leave the state). */
export function inMaintenanceProbe(result: Pick<ProbeResult, 'outcome'>, hit: MaintenanceHit | null): boolean {
  return hit !== null && result.outcome !== 'OK';
}
