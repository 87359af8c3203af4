/**
 * Reading the vendor environment: the one "unset or blank" rule (envValue), the one
 * missingEnv, and the demo/live host switch. Names only ever leave here, never values.
 */
import { ConfigError } from '../errors.js';
import type { IntegrationSpec } from '../types.js';

/** An env var read at request time; empty/whitespace counts as missing. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/**
 * Names (never values) of `spec`'s env vars — plus `alsoNeeded`, e.g. what its probe reads —
 * that are unset or blank in `env`.
 */
export function missingEnv(spec: Pick<IntegrationSpec, 'envVars'>, env: NodeJS.ProcessEnv, alsoNeeded: readonly string[] = []): string[] {
  const names = alsoNeeded.length ? new Set([...spec.envVars, ...alsoNeeded]) : spec.envVars;
  return [...names].filter((n) => envValue(env, n) === undefined);
}

/** `<PREFIX>_ENV`: demo (default) or live; anything else is a configuration error. */
export function hostEnv(env: NodeJS.ProcessEnv, name: string): 'demo' | 'live' {
  const v = env[name]?.trim().toLowerCase();
  if (!v || v === 'demo') return 'demo';
  if (v === 'live') return 'live';
  throw new ConfigError(`environment: ${name}: expected demo or live`);
}
