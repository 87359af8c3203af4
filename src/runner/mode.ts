/**
 * The runner's side of the one mode definition (core/modes.ts): which modes the reference bot
 * runs, whether a mode's orders reach a broker at all, and which broker it may use — the same
 * rules the gate applies, so a gate that says OK never sends the bot into a requirement the
 * gate checked (tests/mode-agreement.test.ts walks every mode × integration state).
 */
import { MODE_DEFINITIONS, modeDefinition, type ModeDefinition } from '../core/modes.js';
import type { IntegrationSpec, Mode } from '../core/types.js';
import { paperBrokerOf } from './brokers.js';

/** The modes the reference bot runs (paper and shadow; live is refused before anything starts). */
export function referenceBotModes(): Mode[] {
  return (Object.values(MODE_DEFINITIONS) as ModeDefinition[]).filter((d) => d.referenceBot).map((d) => d.mode);
}

/** Orders of this mode go to a broker (paper: its demo host); otherwise they are simulated. */
export function sendsOrders(mode: Mode): boolean {
  return modeDefinition(mode).needsBroker;
}

/**
 * Why `spec`'s host does not fit the mode's orders (paper: never a live host), or null. The
 * runner's own view of the host (its base URL and `<PREFIX>_ENV`), matching the gate's rule on
 * the probe's evidence.
 */
export function hostMismatch(mode: Mode, spec: IntegrationSpec, env: NodeJS.ProcessEnv): string | null {
  const d = modeDefinition(mode);
  if (!d.needsBroker) return null;
  const broker = paperBrokerOf(spec);
  if (!broker) return 'the runner has no broker client for it';
  return d.brokerEnvironment === 'demo' ? broker.liveHostReason(env) : 'the reference bot never sends live orders';
}

/** Brokers in the order the runner tries them: those whose host fits the mode first (the gate counts only those), then by status. */
export function orderBrokers(mode: Mode, candidates: IntegrationSpec[], env: NodeJS.ProcessEnv): IntegrationSpec[] {
  return candidates
    .map((s, i) => ({ s, i, fits: hostMismatch(mode, s, env) === null }))
    .sort((a, b) => Number(b.fits) - Number(a.fits) || a.i - b.i)
    .map((x) => x.s);
}
