/**
 * The integration registry: the built-in integrations (one module each, listed in index.ts)
 * plus config-file overrides and custom HTTP integrations (validated in overrides.ts; config.ts
 * only checks the outer shape).
 *
 * Requirements come from the modules (a marketdata or broker module joins that any-of group,
 * REQUIREMENT_GROUPS in index.ts; `requiredFor` in the others). With today's modules (README):
 *  - group `marketdata` = any one of databento | polygon — required by live, paper, shadow
 *    (every mode needs bars; either vendor will do).
 *  - group `broker`     = any one of ironbeam | tradovate — required by live and paper (modes.ts:
 *    live on its live host with a live account, paper on its demo host); shadow needs none.
 *  - risk_engine — required by live and paper (both size orders against the limits).
 *  - postgres    — required by every mode (it is where proof and state live).
 *  - openai      — optional everywhere (bots must be able to run without an LLM).
 *
 * Config file (`integrations.NAME`, snake_case keys, strict):
 *  built-in NAME: any of enabled (false removes it), kind, description, interval_ms, timeout_ms,
 *    degraded_latency_ms, failures_before_degraded, failures_before_blocked, successes_before_ok,
 *    stale_after_ms, required_for, env_vars, secret_env_vars, base_url (vendor probes), probe,
 *    fixes, any_of_group, group_required_for.
 *  new NAME: a custom integration; `probe` (type http) is required, kind defaults to custom.
 *  any_of_group: "broker" joins a group (null leaves the built-in one); a new group needs
 *    group_required_for on at least one member; group_required_for on a member of an existing
 *    group replaces that group's modes.
 *  probe.headers_from_env: { "X-Api-Key": "MY_KEY" } sends the env value as-is;
 *    { "Authorization": { "env": "MY_TOKEN", "prefix": "Bearer " } } prepends a literal prefix
 *    (stored as the probe runner's template "Bearer ${MY_TOKEN}", see custom.ts).
 *    Header env vars are secrets, "connected" needs them, and their values are registered with
 *    the redactor.
 * `allow_custom_endpoints` (top level): integrations live mode accepts on a non-default endpoint;
 * each must name an enabled integration. `simulator` is reserved (modes.ts).
 * Environment beats file: `<VENDOR>_BASE_URL` beats `base_url`; TRADOVATE_ENV / IRONBEAM_ENV
 * = demo | live pick the documented host.
 */
import type { Config, FileCheck } from '../config.js';
import { rememberValid } from '../config-trust.js';
import { ConfigError } from '../errors.js';
import { isSecretEnvName, redactString, registerSecret } from '../redact.js';
import type { DroppedRequirement, IntegrationSpec, Mode, ReasonCode, Registry, RequirementGroup } from '../types.js';
import { missingEnv } from './env.js';
import { builtinNames } from './index.js';
import { SIMULATOR } from '../modes.js';
import { applyOverride, customSpec, NAME, parseOverride, type Override } from './overrides.js';
import { builtinGroups, builtinSpecs, setEnvFix } from './specs.js';

export { missingEnv } from './env.js';
export { headerEnvVars } from './custom.js';

/** The built-in integrations' names, in display order (one per module in index.ts). */
export const BUILTIN_NAMES: readonly string[] = Object.freeze(builtinNames());

// ---------------------------------------------------------------- loading

type RegistryConfig = Pick<Config, 'integrations' | 'env'> & Partial<Pick<Config, 'allowCustomEndpoints'>> & { configPath?: string; fileCheck?: FileCheck };

export function loadRegistry(config: RegistryConfig): Registry {
  const env = config.env;
  const where = `config file${config.configPath ? ` ${config.configPath}` : ''}`;
  const fail = (name: string, field: string, what: string) =>
    new ConfigError(
      redactString(`${where}: field \`integrations.${name}${field ? `.${field}` : ''}\`: ${what}`),
      'fix the field and run again (see README "Configuration")',
    );

  const specs = new Map(builtinSpecs(env).map((s) => [s.name, s]));
  const groups = new Map(builtinGroups().map((g) => [g.name, g]));
  const groupModeSetBy = new Map<string, string>();
  // requirements per mode are not the config's to drop: a built-in's own modes that the file
  // removes are remembered, and the gate blocks those modes (REQUIREMENT_DISABLED, autonomy.ts)
  const dropped: DroppedRequirement[] = [];

  for (const [name, raw] of Object.entries(config.integrations ?? {})) {
    if (!NAME.test(name)) throw fail(name, '', 'expected a lowercase name: a-z, 0-9, _');
    // simulated orders and fills are recorded under this name (modes.ts): no probe may claim it
    if (name === SIMULATOR) throw fail(name, '', `${SIMULATOR} is reserved for simulated (shadow) orders and fills`);
    const o = config.fileCheck?.trusted ? (raw as Override) : parseOverride(raw, (path, what) => fail(name, path, what));
    const builtin = specs.get(name);
    if (o.enabled === false) {
      if (builtin?.requiredFor.length) dropped.push({ integration: name, modes: [...builtin.requiredFor], field: 'enabled' });
      specs.delete(name);
      for (const g of groups.values()) g.anyOf = g.anyOf.filter((m) => m !== name);
      continue;
    }
    const spec = builtin ? applyOverride(builtin, o, name, env, fail) : customSpec(name, o, fail);
    specs.set(name, spec);
    const narrowed = builtin?.requiredFor.filter((m) => !spec.requiredFor.includes(m)) ?? [];
    if (narrowed.length) dropped.push({ integration: name, modes: narrowed, field: 'required_for' });

    if (o.any_of_group !== undefined) {
      for (const g of groups.values()) g.anyOf = g.anyOf.filter((m) => m !== name);
      if (o.any_of_group !== null) {
        const g = groups.get(o.any_of_group) ?? { name: o.any_of_group, anyOf: [], modes: [], fix: '' };
        g.anyOf.push(name);
        groups.set(g.name, g);
      }
    }
    if (o.group_required_for) {
      const gname = o.any_of_group ?? [...groups.values()].find((g) => g.anyOf.includes(name))?.name;
      if (!gname) throw fail(name, 'group_required_for', 'expected any_of_group to be set as well');
      const prevSetter = groupModeSetBy.get(gname);
      const g = groups.get(gname)!;
      if (prevSetter && !sameModes(g.modes, o.group_required_for))
        throw fail(name, 'group_required_for', `disagrees with integrations.${prevSetter}.group_required_for for group ${gname}`);
      g.modes = [...new Set(o.group_required_for)];
      groupModeSetBy.set(gname, name);
    }
    registerSpecSecrets(spec, env);
  }

  for (const g of groups.values()) {
    if (g.modes.length === 0 && !builtinGroups().some((b) => b.name === g.name)) {
      throw fail(g.anyOf[0] ?? g.name, 'group_required_for', `expected the modes that require new group ${g.name}`);
    }
  }

  const integrations = [...specs.values()];
  for (const g of groups.values()) g.fix = groupFix(g, specs);
  const allowCustomEndpoints = config.allowCustomEndpoints ?? [];
  for (const n of allowCustomEndpoints)
    if (!specs.has(n))
      throw new ConfigError(
        redactString(`${where}: field \`allow_custom_endpoints\`: ${n} is not an enabled integration`),
        `name integrations from \`observatory status\` (${[...specs.keys()].join(', ')})`,
      );
  // the file passed both schemas (config and these overrides) and every rule above
  if (config.fileCheck && !config.fileCheck.trusted) rememberValid(config.fileCheck.home, config.fileCheck.digest);
  // A group whose members were all disabled stays: the mode still needs one (fail-closed).
  return {
    integrations,
    groups: [...groups.values()].filter((g) => g.modes.length > 0),
    allowCustomEndpoints: [...allowCustomEndpoints],
    ...(dropped.length ? { dropped } : {}),
  };
}

function sameModes(a: Mode[], b: Mode[]): boolean {
  return a.length === new Set(b).size && b.every((m) => a.includes(m));
}

function registerSpecSecrets(spec: IntegrationSpec, env: NodeJS.ProcessEnv): void {
  for (const n of spec.secretEnvVars) registerSecret(env[n]);
}

function groupFix(g: RequirementGroup, specs: Map<string, IntegrationSpec>): string {
  const members = g.anyOf.map((m) => specs.get(m)).filter((s): s is IntegrationSpec => !!s);
  if (members.length === 0) return `Enable an integration in group ${g.name} (integrations.NAME.any_of_group) in the config file`;
  const opts = members.map((s) => (s.envVars.length ? `${s.envVars.join(', ')} (${s.name})` : `${s.name}`));
  return `Make one of ${members.map((s) => s.name).join(', ')} healthy: set ${opts.join(' or ')} in the daemon's environment`;
}

// ---------------------------------------------------------------- queries

export function getSpec(registry: Registry, name: string): IntegrationSpec | undefined {
  return registry.integrations.find((s) => s.name === name);
}

/** "Connected": every declared env var present and non-empty (missingEnv, env.ts). A boolean, never the values. */
export function connectedOf(spec: IntegrationSpec, env: NodeJS.ProcessEnv): boolean {
  return missingEnv(spec, env).length === 0;
}

/** Modes that need this integration, on its own or as a group member ("Required" column). */
export function requirementOf(registry: Registry, name: string): { modes: Mode[]; groups: string[] } {
  const spec = getSpec(registry, name);
  const groups = registry.groups.filter((g) => g.anyOf.includes(name));
  return { modes: spec ? [...spec.requiredFor] : [], groups: groups.map((g) => g.name) };
}

/**
 * The actionable fix for `code`. With `missingEnv`, MISSING_CREDENTIALS names only the missing
 * variables. Never includes a value.
 */
export function fixFor(spec: IntegrationSpec, code: ReasonCode, opts: { missingEnv?: string[] } = {}): string {
  if (code === 'MISSING_CREDENTIALS' && opts.missingEnv?.length) {
    const secret = opts.missingEnv.every((n) => spec.secretEnvVars.includes(n) || isSecretEnvName(n));
    return setEnvFix(opts.missingEnv, secret);
  }
  return spec.fixes[code] ?? `Run \`observatory probe ${spec.name}\` and check the daemon's logs`;
}
