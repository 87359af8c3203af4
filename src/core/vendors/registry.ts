/**
 * The integration registry: built-in integrations plus config-file overrides and custom
 * HTTP integrations, validated in full here (config.ts only checks the outer shape).
 *
 * Requirements (one place, documented here and in README):
 *  - group `marketdata` = any one of databento | polygon — required by live, paper, shadow
 *    (every mode needs bars; either vendor will do).
 *  - group `broker`     = any one of ironbeam | tradovate — required by live only (paper and
 *    shadow never send orders to a broker).
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
 *    (stored as the probe runner's template "Bearer ${MY_TOKEN}", see probes/custom.ts).
 *    Header env vars are secrets, "connected" needs them, and their values are registered with
 *    the redactor.
 * Environment beats file: `<VENDOR>_BASE_URL` beats `base_url`; TRADOVATE_ENV / IRONBEAM_ENV
 * = demo | live pick the documented host.
 */
import type * as Z from 'zod';
import { lazySchema } from '../lazy-zod.js';
import type { Config, FileCheck } from '../config.js';
import { rememberValid } from '../config-trust.js';
import { isLoopback } from '../loopback.js';
import { PROBE_INTERVAL_RULE, probeCron } from '../probe-schedule.js';
import { ConfigError } from '../errors.js';
import { isSecretEnvName, redactString, registerSecret } from '../redact.js';
import {
  MODES,
  REASON_CODES,
  type IntegrationKind,
  type IntegrationSpec,
  type Mode,
  type ProbeDef,
  type ReasonCode,
  type Registry,
  type RequirementGroup,
} from '../types.js';

export const BUILTIN_NAMES = ['databento', 'polygon', 'ironbeam', 'tradovate', 'openai', 'postgres', 'risk_engine'] as const;
export type BuiltinName = (typeof BUILTIN_NAMES)[number];

const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_DEGRADED_LATENCY_MS = 1_500;

const DAEMON_FIX =
  'Start the daemon (`observatory up` or `observatory daemon`) or run `observatory probe NAME`; if a daemon is running, check its log: one of them must hold probe leadership';

// ---------------------------------------------------------------- fixes

function setEnvFix(names: string[], secret: boolean): string {
  return `Set ${secret ? 'secret ' : ''}${names.join(', ')} in the daemon's environment`;
}

/** Fixes every integration shares; vendor entries override them. NAME is replaced by the integration's name. */
function commonFixes(name: string, label: string, envVars: string[], secret: boolean, urlHint: string): Partial<Record<ReasonCode, string>> {
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

interface VendorInfo {
  label: string;
  kind: IntegrationKind;
  description: string;
  envVars: string[];
  envPrefix: string;
  defaultUrl: (env: NodeJS.ProcessEnv) => string;
  statusPage?: string;
  authHint: string;
}

const VENDORS: Record<'databento' | 'polygon' | 'openai' | 'tradovate' | 'ironbeam', VendorInfo> = {
  databento: {
    label: 'Databento',
    kind: 'marketdata',
    description: 'Databento historical market data (HTTP API, basic auth with the key as user name)',
    envVars: ['DATABENTO_API_KEY'],
    envPrefix: 'DATABENTO',
    defaultUrl: () => 'https://hist.databento.com',
    statusPage: 'https://status.databento.com',
    authHint: 'Check the Databento API key is valid and entitled (DATABENTO_API_KEY)',
  },
  polygon: {
    label: 'Polygon',
    kind: 'marketdata',
    description: 'Polygon market data (REST API)',
    envVars: ['POLYGON_API_KEY'],
    envPrefix: 'POLYGON',
    defaultUrl: () => 'https://api.polygon.io',
    authHint: 'Check the Polygon API key is valid and its plan covers the endpoints used (POLYGON_API_KEY)',
  },
  openai: {
    label: 'OpenAI',
    kind: 'ai',
    description: 'OpenAI API (GET /v1/models, bearer auth)',
    envVars: ['OPENAI_API_KEY'],
    envPrefix: 'OPENAI',
    defaultUrl: () => 'https://api.openai.com',
    statusPage: 'https://status.openai.com',
    authHint: 'Check the OpenAI API key is valid and not revoked (OPENAI_API_KEY)',
  },
  tradovate: {
    label: 'Tradovate',
    kind: 'broker',
    description: 'Tradovate broker API (access-token auth; demo host unless TRADOVATE_ENV=live)',
    envVars: ['TRADOVATE_USERNAME', 'TRADOVATE_PASSWORD', 'TRADOVATE_CID', 'TRADOVATE_SECRET'],
    envPrefix: 'TRADOVATE',
    defaultUrl: (env) =>
      hostEnv(env, 'TRADOVATE_ENV') === 'live' ? 'https://live.tradovateapi.com/v1' : 'https://demo.tradovateapi.com/v1',
    authHint:
      'Check the Tradovate credentials and API key are valid for this host (TRADOVATE_USERNAME, TRADOVATE_PASSWORD, TRADOVATE_CID, TRADOVATE_SECRET; TRADOVATE_ENV picks demo or live)',
  },
  ironbeam: {
    label: 'Ironbeam',
    kind: 'broker',
    description: 'Ironbeam broker API (token auth; demo host unless IRONBEAM_ENV=live)',
    envVars: ['IRONBEAM_USERNAME', 'IRONBEAM_PASSWORD', 'IRONBEAM_API_KEY'],
    envPrefix: 'IRONBEAM',
    defaultUrl: (env) =>
      hostEnv(env, 'IRONBEAM_ENV') === 'live' ? 'https://live.ironbeamapi.com/v2' : 'https://demo.ironbeamapi.com/v2',
    authHint:
      'Check the Ironbeam credentials are valid for this host (IRONBEAM_USERNAME, IRONBEAM_PASSWORD, IRONBEAM_API_KEY; IRONBEAM_ENV picks demo or live)',
  },
};

function hostEnv(env: NodeJS.ProcessEnv, name: string): 'demo' | 'live' {
  const v = env[name]?.trim().toLowerCase();
  if (!v || v === 'demo') return 'demo';
  if (v === 'live') return 'live';
  throw new ConfigError(`environment: ${name}: expected demo or live`);
}

function timing(intervalMs = DEFAULT_INTERVAL_MS) {
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

function vendorSpec(name: keyof typeof VENDORS, env: NodeJS.ProcessEnv, requiredFor: Mode[]): IntegrationSpec {
  const v = VENDORS[name];
  const urlVar = `${v.envPrefix}_BASE_URL`;
  const fromEnv = env[urlVar]?.trim();
  const baseUrl = fromEnv ? checkUrl(fromEnv, () => new ConfigError(`environment: ${urlVar}: expected an http(s) URL`)) : v.defaultUrl(env);
  if (!credentialSafe(baseUrl)) throw new ConfigError(`environment: ${urlVar}: ${CLEARTEXT}`);
  const urlHint = `${urlVar} / integrations.${name}.base_url`;
  const upstream = `Check ${v.label} entitlement / network${v.statusPage ? `; see ${v.statusPage}` : ''}`;
  return {
    name,
    kind: v.kind,
    description: v.description,
    envVars: [...v.envVars],
    secretEnvVars: [...v.envVars],
    probe: { type: name, baseUrl } as ProbeDef,
    ...timing(),
    requiredFor,
    fixes: {
      ...commonFixes(name, v.label, v.envVars, true, urlHint),
      AUTH_REJECTED: v.authHint,
      UPSTREAM_5XX: upstream,
      UPSTREAM_TIMEOUT: upstream,
      UPSTREAM_NETWORK: upstream,
    },
  };
}

function builtinSpecs(env: NodeJS.ProcessEnv): IntegrationSpec[] {
  const postgres: IntegrationSpec = {
    name: 'postgres',
    kind: 'store',
    description: "Observatory's own status store (DATABASE_URL or the embedded Postgres)",
    envVars: [],
    secretEnvVars: [],
    probe: { type: 'postgres' },
    ...timing(15_000),
    requiredFor: ['live', 'paper', 'shadow'],
    fixes: {
      ...commonFixes('postgres', 'Postgres', [], false, 'DATABASE_URL'),
      UPSTREAM_NETWORK: 'Check DATABASE_URL and that Postgres is running (`observatory up` starts the embedded one)',
      UPSTREAM_TIMEOUT: 'Check DATABASE_URL and that Postgres is running and not overloaded',
      CHECK_FAILED: 'Postgres answered but the check failed: run `observatory migrate` and `observatory probe postgres`',
    },
  };
  const risk: IntegrationSpec = {
    name: 'risk_engine',
    kind: 'risk',
    description: "Self-check of the platform's configured risk limits (config file `risk_limits`)",
    envVars: [],
    secretEnvVars: [],
    probe: { type: 'risk_engine' },
    ...timing(),
    // invalid limits are deterministic, not a blip: block on the first failed check
    failuresBeforeBlocked: 1,
    requiredFor: ['live', 'paper'],
    fixes: {
      ...commonFixes('risk_engine', 'risk engine', [], false, 'the config file'),
      CHECK_FAILED:
        'Fix `risk_limits` in the config file (OBSERVATORY_CONFIG); `observatory probe risk_engine` names the failing limit',
    },
  };
  return [
    vendorSpec('databento', env, []),
    vendorSpec('polygon', env, []),
    vendorSpec('ironbeam', env, []),
    vendorSpec('tradovate', env, []),
    vendorSpec('openai', env, []),
    postgres,
    risk,
  ];
}

function builtinGroups(): RequirementGroup[] {
  return [
    { name: 'marketdata', anyOf: ['databento', 'polygon'], modes: ['live', 'paper', 'shadow'], fix: '' },
    { name: 'broker', anyOf: ['ironbeam', 'tradovate'], modes: ['live'], fix: '' },
  ];
}

// ---------------------------------------------------------------- config schema

const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/** The config-override schemas, built on first use (see lazy-zod.ts). */
const overrideSchemas = lazySchema((z) => {
  const envName = z.string().regex(ENV_NAME, 'expected an env var name (A-Z, 0-9, _)');
  const posInt = (min: number, max: number) =>
    z.number({ error: `expected an integer ${min}–${max}` }).int(`expected an integer ${min}–${max}`).min(min, `expected an integer ${min}–${max}`).max(max, `expected an integer ${min}–${max}`);
  const modes = z.array(z.enum(MODES, { error: `expected one of ${MODES.join(', ')}` }), { error: 'expected an array of modes' });
  const httpUrl = z.string({ error: 'expected an http(s) URL' }).refine((s) => isHttpUrl(s), 'expected an http(s) URL');

  const headerSource = z.union([envName, z.strictObject({ env: envName, prefix: z.string().max(64).regex(/^[\x20-\x23\x25-\x7e]*$/, 'expected printable ASCII without $').optional() })], {
    error: 'expected an env var name or {"env": NAME, "prefix": "Bearer "}',
  });

  const httpProbeSchema = z.strictObject({
    type: z.literal('http', { error: 'expected "http"' }).optional(),
    url: httpUrl,
    method: z.enum(['GET', 'HEAD'], { error: 'expected GET or HEAD' }).optional(),
    // a 4xx/5xx answer (a rejected key, a rate limit, an outage) is never "healthy"
    expect_status: z.array(posInt(100, 399), { error: 'expected an array of HTTP status codes 100–399' }).min(1).optional(),
    headers_from_env: z.record(z.string().regex(HEADER, 'expected an HTTP header name'), headerSource).optional(),
    expect_json: z
      .record(z.string().min(1).max(256), z.union([z.string(), z.number(), z.boolean(), z.null()], { error: 'expected a string, number, boolean or null' }))
      .optional(),
    max_latency_ms: posInt(1, 600_000).optional(),
  });

  const fixesSchema = z.partialRecord(z.enum(REASON_CODES, { error: 'expected a reason code' }), z.string().min(1).max(500));

  const overrideSchema = z.strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).optional(),
    kind: z.enum(['marketdata', 'broker', 'ai', 'store', 'risk', 'custom'], { error: 'expected marketdata, broker, ai, store, risk or custom' }).optional(),
    description: z.string({ error: 'expected a string' }).max(500).optional(),
    interval_ms: posInt(100, 86_400_000).optional(),
    timeout_ms: posInt(50, 600_000).optional(),
    degraded_latency_ms: posInt(1, 600_000).optional(),
    failures_before_degraded: posInt(1, 1000).optional(),
    failures_before_blocked: posInt(1, 1000).optional(),
    successes_before_ok: posInt(1, 1000).optional(),
    stale_after_ms: posInt(200, 7 * 86_400_000).optional(),
    required_for: modes.optional(),
    env_vars: z.array(envName, { error: 'expected an array of env var names' }).optional(),
    secret_env_vars: z.array(envName, { error: 'expected an array of env var names' }).optional(),
    base_url: httpUrl.optional(),
    probe: httpProbeSchema.optional(),
    fixes: fixesSchema.optional(),
    any_of_group: z.string({ error: 'expected a group name or null' }).regex(NAME, 'expected a lowercase group name').nullable().optional(),
    // never empty: a built-in requirement (a broker for live) must not vanish by config
    group_required_for: modes.min(1, 'expected at least one mode: a requirement group cannot be switched off by config').optional(),
  });
  return { overrideSchema };
});
type Override = Z.infer<ReturnType<typeof overrideSchemas>['overrideSchema']>;
type HttpProbeDef = Extract<ProbeDef, { type: 'http' }>;

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function checkUrl(s: string, err: () => ConfigError): string {
  if (!isHttpUrl(s)) throw err();
  return s.replace(/\/+$/, '');
}

/** Credentials travel only over TLS, or to this host (local stand-ins, a sidecar proxy). */
function credentialSafe(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'https:' || isLoopback(u.hostname);
}
const CLEARTEXT = 'expected an https URL: credentials are sent to it (plain http only to a loopback address)';

function parseOverride(raw: unknown, fail: (path: string, what: string) => ConfigError): Override {
  const parsed = overrideSchemas().overrideSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const what = issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message;
  throw fail(issue.path.map(String).join('.'), what);
}

// ---------------------------------------------------------------- loading

type RegistryConfig = Pick<Config, 'integrations' | 'env'> & { configPath?: string; fileCheck?: FileCheck };

export function loadRegistry(config: RegistryConfig): Registry {
  const env = config.env;
  const where = `config file${config.configPath ? ` ${config.configPath}` : ''}`;
  const fail = (name: string, field: string, what: string) =>
    new ConfigError(redactString(`${where}: field \`integrations.${name}${field ? `.${field}` : ''}\`: ${what}`), 'fix the field and run again (see README "Configuration")');

  const specs = new Map(builtinSpecs(env).map((s) => [s.name, s]));
  const groups = new Map(builtinGroups().map((g) => [g.name, g]));
  const groupModeSetBy = new Map<string, string>();

  for (const [name, raw] of Object.entries(config.integrations ?? {})) {
    if (!NAME.test(name)) throw fail(name, '', 'expected a lowercase name: a-z, 0-9, _');
    const o = config.fileCheck?.trusted ? (raw as Override) : parseOverride(raw, (path, what) => fail(name, path, what));
    const builtin = specs.get(name);
    if (o.enabled === false) {
      specs.delete(name);
      for (const g of groups.values()) g.anyOf = g.anyOf.filter((m) => m !== name);
      continue;
    }
    const spec = builtin ? applyOverride(builtin, o, name, env, fail) : customSpec(name, o, fail);
    specs.set(name, spec);

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
  // the file passed both schemas (config and these overrides) and every rule above
  if (config.fileCheck && !config.fileCheck.trusted) rememberValid(config.fileCheck.home, config.fileCheck.digest);
  // A group whose members were all disabled stays: the mode still needs one (fail-closed).
  return { integrations, groups: [...groups.values()].filter((g) => g.modes.length > 0) };
}

function sameModes(a: Mode[], b: Mode[]): boolean {
  return a.length === new Set(b).size && b.every((m) => a.includes(m));
}

type Fail = (name: string, field: string, what: string) => ConfigError;

function applyOverride(base: IntegrationSpec, o: Override, name: string, env: NodeJS.ProcessEnv, fail: Fail): IntegrationSpec {
  const s: IntegrationSpec = { ...base, fixes: { ...base.fixes } };
  if (o.kind) s.kind = o.kind;
  if (o.description !== undefined) s.description = o.description;
  if (o.interval_ms !== undefined) {
    s.intervalMs = o.interval_ms;
    s.staleAfterMs = 3 * o.interval_ms;
    // a probe must finish before the next one is due
    s.timeoutMs = Math.min(s.timeoutMs, o.interval_ms);
  }
  if (o.timeout_ms !== undefined) s.timeoutMs = o.timeout_ms;
  if (o.degraded_latency_ms !== undefined) s.degradedLatencyMs = o.degraded_latency_ms;
  if (o.failures_before_degraded !== undefined) s.failuresBeforeDegraded = o.failures_before_degraded;
  if (o.failures_before_blocked !== undefined) s.failuresBeforeBlocked = o.failures_before_blocked;
  if (o.successes_before_ok !== undefined) s.successesBeforeOk = o.successes_before_ok;
  if (o.stale_after_ms !== undefined) s.staleAfterMs = o.stale_after_ms;
  if (o.required_for) s.requiredFor = [...new Set(o.required_for)];
  if (o.probe) s.probe = httpProbe(o.probe, (field, what) => fail(name, field, what));
  if (o.base_url !== undefined) {
    if (!('baseUrl' in s.probe)) throw fail(name, 'base_url', 'only vendor probes have a base_url; set probe.url instead');
    // environment beats file: a <VENDOR>_BASE_URL override stays
    const urlVar = `${VENDORS[name as keyof typeof VENDORS]?.envPrefix ?? name.toUpperCase()}_BASE_URL`;
    if (!credentialSafe(o.base_url)) throw fail(name, 'base_url', CLEARTEXT);
    if (!env[urlVar]?.trim()) s.probe = { ...s.probe, baseUrl: o.base_url.replace(/\/+$/, '') } as ProbeDef;
  }
  const headerEnv = headerEnvVars(s.probe);
  if (o.env_vars) s.envVars = [...new Set(o.env_vars)];
  if (o.env_vars || o.probe) s.envVars = [...new Set([...s.envVars, ...headerEnv])];
  s.secretEnvVars = secretsOf(s.envVars, headerEnv, o.secret_env_vars ?? base.secretEnvVars);
  if (o.env_vars) s.fixes.MISSING_CREDENTIALS = s.envVars.length ? setEnvFix(s.envVars, true) : base.fixes.MISSING_CREDENTIALS;
  Object.assign(s.fixes, o.fixes ?? {});
  checkThresholds(s, name, fail);
  return s;
}

function customSpec(name: string, o: Override, fail: Fail): IntegrationSpec {
  if (!o.probe) throw fail(name, 'probe', 'a new integration needs a probe: {"type": "http", "url": …}');
  if (o.base_url !== undefined) throw fail(name, 'base_url', 'only vendor probes have a base_url; set probe.url instead');
  const probe = httpProbe(o.probe, (field, what) => fail(name, field, what));
  const headerEnv = headerEnvVars(probe);
  const envVars = [...new Set([...(o.env_vars ?? []), ...headerEnv])];
  const intervalMs = o.interval_ms ?? DEFAULT_INTERVAL_MS;
  const label = name;
  const s: IntegrationSpec = {
    name,
    kind: o.kind ?? 'custom',
    description: o.description ?? `Custom HTTP integration ${name}`,
    envVars,
    secretEnvVars: secretsOf(envVars, headerEnv, o.secret_env_vars ?? []),
    probe,
    intervalMs,
    timeoutMs: o.timeout_ms ?? Math.min(DEFAULT_TIMEOUT_MS, intervalMs),
    degradedLatencyMs: o.degraded_latency_ms ?? DEFAULT_DEGRADED_LATENCY_MS,
    failuresBeforeDegraded: o.failures_before_degraded ?? 1,
    failuresBeforeBlocked: o.failures_before_blocked ?? 3,
    successesBeforeOk: o.successes_before_ok ?? 2,
    staleAfterMs: o.stale_after_ms ?? 3 * intervalMs,
    requiredFor: [...new Set(o.required_for ?? [])],
    fixes: {
      ...commonFixes(name, label, envVars, true, `integrations.${name}.probe.url`),
      CHECK_FAILED: `The response did not meet integrations.${name}.probe expectations (expect_status / expect_json / max_latency_ms)`,
      ...(o.fixes ?? {}),
    },
  };
  checkThresholds(s, name, fail);
  return s;
}

/** headers_from_env → the probe runner's form: an env var name, or "Prefix ${NAME}" (probes/custom.ts). */
function httpProbe(p: NonNullable<Override['probe']>, fail: (field: string, what: string) => ConfigError): HttpProbeDef {
  if (p.headers_from_env && Object.keys(p.headers_from_env).length && !credentialSafe(p.url)) throw fail('probe.url', CLEARTEXT);
  const headersFromEnv: Record<string, string> = {};
  for (const [h, src] of Object.entries(p.headers_from_env ?? {}))
    headersFromEnv[h] = typeof src === 'string' ? src : src.prefix ? `${src.prefix}\${${src.env}}` : src.env;
  const def: HttpProbeDef = { type: 'http', url: p.url, method: p.method ?? 'GET' };
  if (p.expect_status) def.expectStatus = [...p.expect_status];
  if (Object.keys(headersFromEnv).length) def.headersFromEnv = headersFromEnv;
  if (p.expect_json) def.expectJson = { ...p.expect_json };
  if (p.max_latency_ms !== undefined) def.maxLatencyMs = p.max_latency_ms;
  return def;
}

/** Env var names an http probe's headers read (plain name or `${NAME}` / `$NAME` references). */
export function headerEnvVars(probe: ProbeDef): string[] {
  if (probe.type !== 'http') return [];
  return Object.values(probe.headersFromEnv ?? {}).flatMap((v) =>
    v.includes('$') ? [...v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? m[2]) : [v],
  );
}

/** Header values are credentials by construction; other env vars only when named so or secret-looking. */
function secretsOf(envVars: string[], headerEnv: string[], declared: string[]): string[] {
  return [...new Set([...headerEnv, ...declared, ...envVars.filter(isSecretEnvName)])];
}

function checkThresholds(s: IntegrationSpec, name: string, fail: Fail): void {
  if (s.failuresBeforeBlocked < s.failuresBeforeDegraded)
    throw fail(name, 'failures_before_blocked', 'expected at least failures_before_degraded');
  if (s.staleAfterMs <= s.intervalMs) throw fail(name, 'stale_after_ms', 'expected more than interval_ms');
  if (s.timeoutMs > s.intervalMs) throw fail(name, 'timeout_ms', 'expected at most interval_ms');
  // the daemon schedules each integration with cron: refuse now what it could not schedule later
  if (probeCron(s.intervalMs) === null) throw fail(name, 'interval_ms', PROBE_INTERVAL_RULE);
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

/** Env var names of `spec` that are unset or blank in `env` (names only, never values). */
export function missingEnv(spec: IntegrationSpec, env: NodeJS.ProcessEnv): string[] {
  return spec.envVars.filter((n) => !(env[n] ?? '').trim());
}

/** "Connected": every declared env var present and non-empty. A boolean, never the values. */
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
