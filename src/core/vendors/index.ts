/**
 * THE list of integration modules (VENDOR_MODULES below: one line per module). Everything
 * per-vendor elsewhere derives from it: the registry's built-in specs and requirement groups
 * (registry.ts, specs.ts), the probe dispatch (probe.ts), the sanitizer's built-in secret env
 * names (../redact.ts), the catalog's sources (../catalog.ts), the config trust digest
 * (../config-trust.ts) and the runner's clients. Order is display order (status table, groups).
 *
 * Import cycle by design: redact.ts and config-trust.ts read this list, and modules reached
 * from here import redact.ts (postgres → db/errors → redact). Whichever file of the cycle is
 * loaded first, another one runs while some module binding is not yet initialized, so the list
 * is a function and every reader here is one too: nothing reads a module while modules load.
 */
import type { VariableGroup } from '../catalog.js';
import type { IntegrationKind, IntegrationSpec, Mode } from '../types.js';
import type { VendorModule } from './module.js';
import { modesNeedingBroker } from '../modes.js';
import { databento } from './databento.js';
import { polygon } from './polygon.js';
import { ironbeam } from './ironbeam.js';
import { tradovate } from './tradovate.js';
import { openai } from './openai.js';
import { postgres } from './postgres.js';
import { riskEngine } from './risk_engine.js';

const VENDOR_MODULES = (): VendorModule[] => [databento, polygon, ironbeam, tradovate, openai, postgres, riskEngine];

let modules: readonly VendorModule[] | undefined;

/** Every integration module, in display order. */
export function vendorModules(): readonly VendorModule[] {
  return (modules ??= Object.freeze(VENDOR_MODULES()));
}

/**
 * "Any one of" requirements, by module kind:
 *  - marketdata: every mode needs bars; any one vendor will do;
 *  - broker: the modes whose orders reach a broker (../modes.ts: live and paper; shadow
 *    simulates its fills and needs none). Which host the member must be proven on is the
 *    gate's broker rule (autonomy.ts, from the same definition).
 */
export const REQUIREMENT_GROUPS: ReadonlyArray<{ kind: IntegrationKind; modes: readonly Mode[] }> = [
  { kind: 'marketdata', modes: ['live', 'paper', 'shadow'] },
  { kind: 'broker', modes: modesNeedingBroker() },
];

let byName: Map<string, VendorModule> | undefined;

/** The module of a built-in name. */
export function moduleNamed(name: string): VendorModule | undefined {
  byName ??= new Map(vendorModules().map((m) => [m.name, m]));
  return byName.get(name);
}

/** The module whose protocol `spec` is probed with (none for a custom or overridden http probe). */
export function moduleOf(spec: Pick<IntegrationSpec, 'probe'>): VendorModule | undefined {
  return spec.probe.type === 'vendor' ? moduleNamed(spec.probe.vendor) : undefined;
}

export function builtinNames(): string[] {
  return vendorModules().map((m) => m.name);
}

/** Names of the modules of a kind, in list order (a requirement group's built-in members). */
export function namesOfKind(kind: IntegrationKind): string[] {
  return vendorModules()
    .filter((m) => m.kind === kind)
    .map((m) => m.name);
}

/** Every env var a module declares secret (the sanitizer's built-in names). */
export function vendorSecretEnv(): string[] {
  return [...new Set(vendorModules().flatMap((m) => m.secretEnvVars ?? m.envVars))];
}

/** user/password env pairs sent as basic auth (the sanitizer registers each pair's encoding). */
export function vendorCredentialPairs(): Array<readonly [string, string | null]> {
  return vendorModules().flatMap((m) => m.credentialPairs ?? []);
}

/** Integrations whose data a catalog variable group is computed from (any one suffices). */
export function producersOf(group: VariableGroup): string[] {
  return vendorModules()
    .filter((m) => m.produces.includes(group))
    .map((m) => m.name);
}

/** The module files (their declarations judge config files: see config-trust.ts). */
export function vendorSources(): string[] {
  return [import.meta.url, ...vendorModules().map((m) => m.source)];
}
