/**
 * Paper orders for the reference bot, through the broker client of the integration's own
 * module (src/core/vendors/<name>.ts, `client.broker`) at the broker's DEMO host. Paper mode
 * refuses a live host outright (`<PREFIX>_ENV=live`, e.g. TRADOVATE_ENV, or a host named
 * live.*): paper trading must never reach a live account.
 *
 * Tokens and account ids live in the client for the run only, never in an event or a line.
 * A fill is reported only when the broker lists one for the order: nothing is ever inferred.
 */
import type { IntegrationSpec } from '../core/types.js';
import { moduleNamed, moduleOf } from '../core/vendors/index.js';
import type { BrokerClient } from '../core/vendors/module.js';

export type { BrokerClient, BrokerFill, CallCtx, PaperOrder } from '../core/vendors/module.js';

/** Null when the base URL is a demo (or local) host; otherwise why paper mode must not use it. */
export function liveHostReason(name: string, baseUrl: string, env: NodeJS.ProcessEnv): string | null {
  const http = moduleNamed(name)?.http;
  // a module with demo and live hosts has a switch between them
  const envSwitch = http && typeof http.baseUrl === 'object' ? `${http.envPrefix}_ENV` : undefined;
  if (envSwitch && env[envSwitch]?.trim().toLowerCase() === 'live') return `${envSwitch}=live selects the live host`;
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return 'the base URL is not a URL';
  }
  if (host.startsWith('live.') || host.includes('.live.')) return `${host} is a live host`;
  return null;
}

export interface PaperBroker {
  /** null when `spec`'s host is a demo (or local) one; otherwise why paper mode must not use it */
  liveHostReason(env: NodeJS.ProcessEnv): string | null;
  /** the symbol as this broker's order API takes it, or null when the broker cannot trade it */
  symbol(symbol: string): string | null;
  /** a session for the run */
  open(env: NodeJS.ProcessEnv): BrokerClient;
}

/** The paper-order client for `spec`, or undefined when its module has none (or it is probed by a custom http check). */
export function paperBrokerOf(spec: IntegrationSpec): PaperBroker | undefined {
  const m = moduleOf(spec);
  const factory = m?.client?.broker;
  const baseUrl = spec.probe.type === 'vendor' ? spec.probe.baseUrl : undefined;
  if (!m || !factory || baseUrl === undefined) return undefined;
  return {
    liveHostReason: (env) => liveHostReason(m.name, baseUrl, env),
    symbol: (s) => factory.symbol(s),
    open: (env) => factory.open(baseUrl, env),
  };
}
