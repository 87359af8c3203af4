/**
 * Built-in IntegrationSpecs, made from the module list (index.ts): default timing, the fixes
 * every integration shares (a module replaces the ones it knows better), base URLs from the
 * environment, and the any-of requirement groups. Also the URL rules config overrides obey.
 */
import { isLoopback } from '../loopback.js';
import { ConfigError } from '../errors.js';
import type { IntegrationSpec, ReasonCode, RequirementGroup, VendorEnvironment } from '../types.js';
import { hostEnv } from './env.js';
import { moduleNamed, namesOfKind, REQUIREMENT_GROUPS, vendorModules } from './index.js';
import type { VendorModule } from './module.js';

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_DEGRADED_LATENCY_MS = 1_500;

export function timing(intervalMs = DEFAULT_INTERVAL_MS) {
  return {
    intervalMs,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    degradedLatencyMs: DEFAULT_DEGRADED_LATENCY_MS,
    failuresBeforeDegraded: 1,
    failuresBeforeBlocked: 3,
    successesBeforeOk: 2,
    staleAfterMs: 3 * intervalMs,
  };
}

// ---------------------------------------------------------------- fixes

const DAEMON_FIX =
  'Start the daemon (`observatory up` or `observatory daemon`) or run `observatory probe NAME`; if a daemon is running, check its log: one of them must hold probe leadership';

export function setEnvFix(names: string[], secret: boolean): string {
  return `Set ${secret ? 'secret ' : ''}${names.join(', ')} in the daemon's environment`;
}

/** Fixes every integration shares; modules override them. NAME is replaced by the integration's name. */
export function commonFixes(name: string, label: string, envVars: string[], secret: boolean, urlHint: string): Partial<Record<ReasonCode, string>> {
  const net = `Check ${label} is reachable from the daemon (network, DNS, ${urlHint})`;
  return {
    MISSING_CREDENTIALS: envVars.length ? setEnvFix(envVars, secret) : `Check the ${label} configuration`,
    NEVER_PROBED: DAEMON_FIX.replace('NAME', name),
    PROBE_STALE: DAEMON_FIX.replace('NAME', name),
    FAULT_INJECTED: `A drill is active: \`observatory fault clear ${name}\``,
    AUTH_REJECTED: `Check the ${label} credentials are valid (${envVars.join(', ') || 'none configured'})`,
    RATE_LIMITED: `${label} is rate-limiting: raise integrations.${name}.interval_ms or check the plan's limits`,
    SLOW_RESPONSE: `Check the network path to ${label}; raise integrations.${name}.degraded_latency_ms if this latency is expected`,
    UPSTREAM_5XX: `${label} is failing server-side; check its status and retry`,
    UPSTREAM_4XX: `Check ${urlHint} points at the ${label} API`,
    UPSTREAM_TIMEOUT: net,
    UPSTREAM_NETWORK: net,
    UPSTREAM_BAD_RESPONSE: `The endpoint answered but not in the ${label} protocol: check ${urlHint}`,
    CHECK_FAILED: `The ${label} check failed: run \`observatory probe ${name}\` for details`,
  };
}

// ---------------------------------------------------------------- URLs

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Credentials travel only over TLS, or to this host (local stand-ins, a sidecar proxy). */
export function credentialSafe(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'https:' || isLoopback(u.hostname);
}
export const CLEARTEXT = 'expected an https URL: credentials are sent to it (plain http only to a loopback address)';

/** The env var that overrides a module's base URL (environment beats file). */
export const baseUrlVar = (m: Pick<VendorModule, 'http'>, name: string): string => `${m.http?.envPrefix ?? name.toUpperCase()}_BASE_URL`;

/** `<PREFIX>_BASE_URL`, else the documented host (`<PREFIX>_ENV` = demo | live picks one). */
function baseUrlOf(name: string, http: NonNullable<VendorModule['http']>, env: NodeJS.ProcessEnv): string {
  const urlVar = baseUrlVar({ http }, name);
  const fromEnv = env[urlVar]?.trim();
  let url: string;
  if (fromEnv) {
    if (!isHttpUrl(fromEnv)) throw new ConfigError(`environment: ${urlVar}: expected an http(s) URL`);
    url = fromEnv.replace(/\/+$/, '');
  } else url = typeof http.baseUrl === 'string' ? http.baseUrl : http.baseUrl[hostEnv(env, `${http.envPrefix}_ENV`)];
  if (!credentialSafe(url)) throw new ConfigError(`environment: ${urlVar}: ${CLEARTEXT}`);
  return url;
}

/**
 * Where a spec's probe points: the documented environment it selects (vendors with demo and
 * live hosts) and whether its base URL is one of the vendor's own hosts. A base URL that is
 * not (a stand-in, a sidecar, a proxy) is a custom endpoint, shown by every view.
 */
export function endpointOf(spec: Pick<IntegrationSpec, 'probe'>, env: NodeJS.ProcessEnv): { environment?: VendorEnvironment; customEndpoint: boolean } {
  // a configured HTTP check has no vendor host to differ from
  if (spec.probe.type !== 'vendor') return { customEndpoint: false };
  const http = moduleNamed(spec.probe.vendor)?.http;
  if (!http || !spec.probe.baseUrl) return { customEndpoint: false };
  const norm = (u: string) => u.replace(/\/+$/, '');
  const url = norm(spec.probe.baseUrl);
  if (typeof http.baseUrl === 'string') return { customEndpoint: norm(http.baseUrl) !== url };
  const environment = hostEnv(env, `${http.envPrefix}_ENV`);
  return { environment, customEndpoint: norm(http.baseUrl[environment]) !== url };
}

// ---------------------------------------------------------------- built-ins

function specOf(m: VendorModule, env: NodeJS.ProcessEnv): IntegrationSpec {
  const envVars = [...m.envVars];
  const secretEnvVars = [...(m.secretEnvVars ?? m.envVars)];
  const secret = envVars.every((n) => secretEnvVars.includes(n));
  const base = { name: m.name, kind: m.kind, description: m.description, envVars, secretEnvVars };
  const t = timing(m.timing?.intervalMs);
  if (m.timing?.failuresBeforeBlocked !== undefined) t.failuresBeforeBlocked = m.timing.failuresBeforeBlocked;
  const requiredFor = [...(m.requiredFor ?? [])];
  if (!m.http) {
    const fixes = { ...commonFixes(m.name, m.label, envVars, secret, m.configHint ?? `integrations.${m.name}`), ...m.fixes };
    return { ...base, probe: { type: 'vendor', vendor: m.name }, ...t, requiredFor, fixes };
  }
  const urlHint = `${baseUrlVar(m, m.name)} / integrations.${m.name}.base_url`;
  const upstream = `Check ${m.label} entitlement / network${m.http.statusPage ? `; see ${m.http.statusPage}` : ''}`;
  const fixes = {
    ...commonFixes(m.name, m.label, envVars, secret, urlHint),
    UPSTREAM_5XX: upstream,
    UPSTREAM_TIMEOUT: upstream,
    UPSTREAM_NETWORK: upstream,
    ...m.fixes,
  };
  return { ...base, probe: { type: 'vendor', vendor: m.name, baseUrl: baseUrlOf(m.name, m.http, env) }, ...t, requiredFor, fixes };
}

export function builtinSpecs(env: NodeJS.ProcessEnv): IntegrationSpec[] {
  return vendorModules().map((m) => specOf(m, env));
}

export function builtinGroups(): RequirementGroup[] {
  return REQUIREMENT_GROUPS.map((g) => ({ name: g.kind, anyOf: namesOfKind(g.kind), modes: [...g.modes], fix: '' }));
}

// ---------------------------------------------------------------- mode fixes (gate)

function envSwitchOf(spec: Pick<IntegrationSpec, 'probe'>): string | undefined {
  const http = spec.probe.type === 'vendor' ? moduleNamed(spec.probe.vendor)?.http : undefined;
  return http && typeof http.baseUrl === 'object' ? `${http.envPrefix}_ENV` : undefined;
}

/**
 * How to get a broker proven on the host a mode needs (modes.ts): the module's `<PREFIX>_ENV`
 * switch and its credentials, then a probe. Names env vars, never values.
 */
export function brokerEnvFix(spec: Pick<IntegrationSpec, 'name' | 'probe' | 'envVars'>, target: VendorEnvironment): string {
  const sw = envSwitchOf(spec);
  const probe = `then run \`observatory probe ${spec.name}\``;
  if (!sw)
    return target === 'live'
      ? `${spec.name} has no documented live host to prove a live account on: live mode needs a broker module with demo and live hosts probed with <PREFIX>_ENV=live`
      : `Point ${spec.name} at its demo/paper host, ${probe}`;
  if (target === 'live')
    return `Set ${sw}=live with the live account's credentials (${spec.envVars.join(', ')}) in the daemon's environment, ${probe}; a demo-proven broker never satisfies live`;
  return `Unset ${sw} (or set ${sw}=demo) in the daemon's environment so ${spec.name} is probed on its demo host, ${probe}`;
}

/** How to clear a CUSTOM_ENDPOINT blocker: use the vendor's own host, or allow the endpoint by name. */
export function customEndpointFix(spec: Pick<IntegrationSpec, 'name' | 'probe'>): string {
  const m = spec.probe.type === 'vendor' ? moduleNamed(spec.probe.vendor) : undefined;
  const where = m?.http ? `${baseUrlVar(m, spec.name)} / integrations.${spec.name}.base_url` : `integrations.${spec.name}.probe.url`;
  return `Remove the override (${where}) so ${spec.name} uses the vendor's own host, or allow it by name in the config file: "allow_custom_endpoints": ["${spec.name}"]`;
}
