/**
 * Config-file overrides (`integrations.NAME`, snake_case keys, strict), validated in full here
 * (config.ts only checks the outer shape): the schema, a built-in spec with an override
 * applied, and custom HTTP integrations. registry.ts documents the keys and folds the result.
 */
import type * as Z from 'zod';
import { lazySchema } from '../lazy-zod.js';
import { PROBE_INTERVAL_RULE, probeCron } from '../probe-schedule.js';
import type { ConfigError } from '../errors.js';
import { isSecretEnvName } from '../redact.js';
import { MODES, REASON_CODES, type HttpProbeDef, type IntegrationSpec } from '../types.js';
import { headerEnvVars } from './custom.js';
import { moduleNamed } from './index.js';
import {
  baseUrlVar,
  CLEARTEXT,
  commonFixes,
  credentialSafe,
  DEFAULT_DEGRADED_LATENCY_MS,
  DEFAULT_INTERVAL_MS,
  DEFAULT_TIMEOUT_MS,
  isHttpUrl,
  setEnvFix,
} from './specs.js';

const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
export const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/;

/** The config-override schemas, built on first use (see lazy-zod.ts). */
const overrideSchemas = lazySchema((z) => {
  const envName = z.string().regex(ENV_NAME, 'expected an env var name (A-Z, 0-9, _)');
  const posInt = (min: number, max: number) =>
    z
      .number({ error: `expected an integer ${min}–${max}` })
      .int(`expected an integer ${min}–${max}`)
      .min(min, `expected an integer ${min}–${max}`)
      .max(max, `expected an integer ${min}–${max}`);
  const modes = z.array(z.enum(MODES, { error: `expected one of ${MODES.join(', ')}` }), { error: 'expected an array of modes' });
  const httpUrl = z.string({ error: 'expected an http(s) URL' }).refine((s) => isHttpUrl(s), 'expected an http(s) URL');

  const headerSource = z.union(
    [
      envName,
      z.strictObject({
        env: envName,
        prefix: z
          .string()
          .max(64)
          .regex(/^[\x20-\x23\x25-\x7e]*$/, 'expected printable ASCII without $')
          .optional(),
      }),
    ],
    {
      error: 'expected an env var name or {"env": NAME, "prefix": "Bearer "}',
    },
  );

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
export type Override = Z.infer<ReturnType<typeof overrideSchemas>['overrideSchema']>;

export function parseOverride(raw: unknown, fail: (path: string, what: string) => ConfigError): Override {
  const parsed = overrideSchemas().overrideSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const what = issue.code === 'unrecognized_keys' ? `unknown key(s): ${issue.keys.join(', ')}` : issue.message;
  throw fail(issue.path.map(String).join('.'), what);
}

export type Fail = (name: string, field: string, what: string) => ConfigError;

export function applyOverride(base: IntegrationSpec, o: Override, name: string, env: NodeJS.ProcessEnv, fail: Fail): IntegrationSpec {
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
    const urlVar = baseUrlVar(moduleNamed(name) ?? {}, name);
    if (!credentialSafe(o.base_url)) throw fail(name, 'base_url', CLEARTEXT);
    if (!env[urlVar]?.trim()) s.probe = { ...s.probe, baseUrl: o.base_url.replace(/\/+$/, '') };
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

export function customSpec(name: string, o: Override, fail: Fail): IntegrationSpec {
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

/** headers_from_env → the probe runner's form: an env var name, or "Prefix ${NAME}" (custom.ts). */
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

/** Header values are credentials by construction; other env vars only when named so or secret-looking. */
function secretsOf(envVars: string[], headerEnv: string[], declared: string[]): string[] {
  return [...new Set([...headerEnv, ...declared, ...envVars.filter(isSecretEnvName)])];
}

function checkThresholds(s: IntegrationSpec, name: string, fail: Fail): void {
  if (s.failuresBeforeBlocked < s.failuresBeforeDegraded) throw fail(name, 'failures_before_blocked', 'expected at least failures_before_degraded');
  if (s.staleAfterMs <= s.intervalMs) throw fail(name, 'stale_after_ms', 'expected more than interval_ms');
  if (s.timeoutMs > s.intervalMs) throw fail(name, 'timeout_ms', 'expected at most interval_ms');
  // the daemon schedules each integration with cron: refuse now what it could not schedule later
  if (probeCron(s.intervalMs) === null) throw fail(name, 'interval_ms', PROBE_INTERVAL_RULE);
}
