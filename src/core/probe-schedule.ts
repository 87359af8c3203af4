/**
 * Which probe intervals can be scheduled: the daemon runs one cron task per integration, and a
 * cron step must divide its unit, so an interval must divide a minute, an hour or a day. The
 * registry refuses any other interval when the config is loaded; the scheduler reads the cron
 * expression from here.
 */

import type { IntegrationSpec, IntegrationState, ProbeOutcome, ProbeResult } from './types.js';

export const PROBE_INTERVAL_RULE = 'expected an interval that divides a minute, an hour or a day (e.g. 5000, 30000, 60000, 300000)';

/** The cron expression (with seconds) for `intervalMs`, or null when no cron step fits it. */
export function probeCron(intervalMs: number): string | null {
  const s = intervalMs / 1000;
  if (Number.isInteger(s) && s >= 1 && s < 60 && 60 % s === 0) return `*/${s} * * * * *`;
  const m = s / 60;
  if (Number.isInteger(m) && m >= 1 && m < 60 && 60 % m === 0) return `0 */${m} * * * *`;
  const h = m / 60;
  if (Number.isInteger(h) && h >= 1 && h <= 24 && 24 % h === 0) return `0 0 */${h} * * *`;
  return null;
}

/**
 * Confirming a failure (status rules, README "The gate"): after a hard failure — 5xx, other 4xx,
 * timeout, network, bad body, failed check, injected or real — the integration is probed again
 * at short spacing instead of an interval later, so it reaches BLOCKED (failures_before_blocked
 * in a row) within CONFIRM_WINDOW_MS of the first failed probe whatever its interval. Recovery is
 * not hurried: successes come at the normal interval. A 429, a rejected key or missing
 * credentials are not confirmed (the first backs off, the others block at once).
 *
 * Each confirmation gets an equal share of the window: the spacing (at least
 * CONFIRM_MIN_SPACING_MS, or the vendor's Retry-After when longer) and a probe timeout cut to
 * what is left of the share (never longer than the integration's own). A Retry-After longer than
 * the share can push BLOCKED past the window: the vendor's rate limit wins.
 */
export const CONFIRM_WINDOW_MS = 10_000;
/** the share of the window the probes get; the rest is for recording them */
const CONFIRM_BUDGET_MS = 9_000;
const CONFIRM_MIN_SPACING_MS = 500;
const CONFIRM_MIN_TIMEOUT_MS = 1_000;

const HARD_FAILURES: ReadonlySet<ProbeOutcome> = new Set<ProbeOutcome>([
  'UPSTREAM_5XX',
  'UPSTREAM_4XX',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_NETWORK',
  'UPSTREAM_BAD_RESPONSE',
  'CHECK_FAILED',
]);

export interface ConfirmationPlan {
  /** wait this long after the failed probe was recorded */
  delayMs: number;
  /** the confirming probe's timeout */
  timeoutMs: number;
}

/** The next confirming probe after `result` left the integration in `state`, or null when none is due. */
export function confirmationPlan(
  spec: Pick<IntegrationSpec, 'intervalMs' | 'timeoutMs' | 'failuresBeforeBlocked'>,
  result: Pick<ProbeResult, 'outcome'>,
  state: Pick<IntegrationState, 'status' | 'consecutiveFailures'>,
  opts: { retryAfterMs?: number } = {},
): ConfirmationPlan | null {
  if (!HARD_FAILURES.has(result.outcome) || state.status === 'BLOCKED' || state.consecutiveFailures >= spec.failuresBeforeBlocked) return null;
  const share = Math.floor(CONFIRM_BUDGET_MS / Math.max(1, spec.failuresBeforeBlocked - 1));
  const delayMs = Math.max(CONFIRM_MIN_SPACING_MS, opts.retryAfterMs ?? 0);
  // the regular probe comes as soon: nothing to hurry
  if (delayMs >= spec.intervalMs) return null;
  return { delayMs, timeoutMs: Math.min(spec.timeoutMs, Math.max(CONFIRM_MIN_TIMEOUT_MS, share - delayMs)) };
}
