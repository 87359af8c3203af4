/**
 * The trading modes, defined once. The gate's requirements (vendors/index.ts requirement
 * groups, autonomy.ts broker rules) and the reference runner's behaviour (src/runner/mode.ts)
 * both derive from this table, so `gate check --mode M` and `bot run --mode M` cannot disagree
 * about what M needs.
 *
 * | mode   | orders                      | broker required                               | fills |
 * |--------|-----------------------------|-----------------------------------------------|-------|
 * | live   | sent to a live account      | probed on its live host + vendor says live    | LIVE  |
 * | paper  | sent to a demo/paper account| healthy on its demo host (never a live host)  | PAPER |
 * | shadow | never sent                  | none: fills are simulated (`simulator`)       | SIM   |
 *
 * Pure data and pure predicates: no imports beyond the shared types (the vendor list reads
 * this module while it loads).
 */
import type { IntegrationState, Mode, VendorEnvironment } from './types.js';

/** Where simulated orders and fills are recorded: never on a broker integration. */
export const SIMULATOR = 'simulator';

export type FillProvenance = 'LIVE' | 'PAPER' | 'SIM';

export interface ModeDefinition {
  mode: Mode;
  /** where orders go: a broker environment, or nowhere (simulated) */
  orders: VendorEnvironment | 'simulated';
  /** a healthy broker is required (any one member of the broker group) */
  needsBroker: boolean;
  /** the broker host the mode's orders go to; null when no broker is used */
  brokerEnvironment: VendorEnvironment | null;
  /** the vendor must report a live account (Tradovate `hasLive`, Ironbeam `isLive`) */
  needsLiveAccount: boolean;
  /** provenance of the mode's fills */
  fills: FillProvenance;
  /** an integration on a non-default endpoint blocks unless allowed by name (config `allow_custom_endpoints`) */
  customEndpointNeedsAllow: boolean;
  /** the reference bot (src/runner) runs this mode */
  referenceBot: boolean;
  /** one line for help texts and blockers */
  summary: string;
}

export const MODE_DEFINITIONS: Readonly<Record<Mode, ModeDefinition>> = Object.freeze({
  live: {
    mode: 'live',
    orders: 'live',
    needsBroker: true,
    brokerEnvironment: 'live',
    needsLiveAccount: true,
    fills: 'LIVE',
    customEndpointNeedsAllow: true,
    referenceBot: false,
    summary: 'orders go to a live account: a broker probed on its live host whose vendor reports a live account',
  },
  paper: {
    mode: 'paper',
    orders: 'demo',
    needsBroker: true,
    brokerEnvironment: 'demo',
    needsLiveAccount: false,
    fills: 'PAPER',
    customEndpointNeedsAllow: false,
    referenceBot: true,
    summary: "orders go to a broker's demo/paper account: a broker healthy on its demo host",
  },
  shadow: {
    mode: 'shadow',
    orders: 'simulated',
    needsBroker: false,
    brokerEnvironment: null,
    needsLiveAccount: false,
    fills: 'SIM',
    customEndpointNeedsAllow: false,
    referenceBot: true,
    summary: 'no broker at all: orders are never sent, fills are simulated (integration `simulator`, provenance SIM)',
  },
});

export function modeDefinition(mode: Mode): ModeDefinition {
  return MODE_DEFINITIONS[mode];
}

/** The modes that require a broker (the `broker` requirement group's modes). */
export function modesNeedingBroker(): Mode[] {
  return (Object.values(MODE_DEFINITIONS) as ModeDefinition[]).filter((d) => d.needsBroker).map((d) => d.mode);
}

/**
 * Why a broker's latest probe evidence does not fit the mode, or null when it does. Only the
 * evidence counts (the environment the probe ran against, what the vendor said of the account):
 *  - live: probed on the live host AND the vendor reported a live account;
 *  - paper: never a live host (orders there would reach real money);
 *  - shadow: no broker is used.
 */
export function brokerMismatch(mode: Mode, s: Pick<IntegrationState, 'environment' | 'accountLive'>): string | null {
  const d = MODE_DEFINITIONS[mode];
  if (!d.needsBroker) return null;
  if (d.brokerEnvironment === 'live') {
    if (s.environment !== 'live') return s.environment === 'demo' ? 'its probe ran against the demo host' : 'its probe did not run against a live host';
    if (d.needsLiveAccount && s.accountLive !== true)
      return s.accountLive === false ? 'the vendor reports no live account for these credentials' : 'the vendor did not confirm a live account';
    return null;
  }
  if (s.environment === 'live') return 'its probe ran against the live host; paper orders go to the demo host only';
  return null;
}
