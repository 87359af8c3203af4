/**
 * Hand-built IntegrationSpecs and ProbeContexts for probe tests (independent of the
 * registry), plus a credential env whose every value is a unique canary.
 */
import { randomBytes } from 'node:crypto';
import type { IntegrationSpec, ProbeDef, VendorProbeDef } from '../../src/core/types.js';
import { TokenCache } from '../../src/core/vendors/session.js';
import { moduleNamed } from '../../src/core/vendors/index.js';
import type { ProbeContext } from '../../src/core/vendors/module.js';
import { newTraceId } from '../../src/core/trace.js';

// long enough that a loaded CI machine never times out a healthy local probe; hang tests wait this long
export const TEST_TIMEOUT_MS = 1000;

/** The probe of a built-in module: `{type: 'vendor', vendor: name, baseUrl}`. */
export function vendorDef(vendor: string, baseUrl?: string): VendorProbeDef {
  return baseUrl === undefined ? { type: 'vendor', vendor } : { type: 'vendor', vendor, baseUrl };
}

/** A spec for `probe`: a vendor probe takes its module's name, kind and env vars. */
export function makeSpec(probe: ProbeDef, over: Partial<IntegrationSpec> = {}): IntegrationSpec {
  const m = probe.type === 'vendor' ? moduleNamed(probe.vendor) : undefined;
  const envVars = [...(m?.envVars ?? [])];
  const name = probe.type === 'http' ? 'custom_http' : probe.vendor;
  return {
    name,
    kind: m?.kind ?? 'custom',
    description: `test spec for ${name}`,
    envVars,
    secretEnvVars: envVars,
    probe,
    intervalMs: 60_000,
    timeoutMs: TEST_TIMEOUT_MS,
    degradedLatencyMs: 2_000,
    failuresBeforeDegraded: 1,
    failuresBeforeBlocked: 3,
    successesBeforeOk: 1,
    staleAfterMs: 180_000,
    requiredFor: [],
    fixes: {},
    ...over,
  };
}

export function makeCtx(over: Partial<ProbeContext> = {}): ProbeContext {
  return { env: {}, traceId: newTraceId(), tokenCache: new TokenCache(), ...over };
}

/** A distinct, unguessable canary per credential env var (digits for TRADOVATE_CID, as Tradovate's cid is numeric). */
export function canaryEnv(): Record<string, string> {
  const c = (tag: string) => `CANARY${tag}${randomBytes(9).toString('hex')}`;
  return {
    DATABENTO_API_KEY: `db-${c('DB')}`,
    POLYGON_API_KEY: c('PG'),
    OPENAI_API_KEY: `sk-proj-${c('OA')}`,
    TRADOVATE_USERNAME: c('TVU'),
    TRADOVATE_PASSWORD: c('TVP'),
    TRADOVATE_CID: String(7_000_000_000 + Math.floor(Math.random() * 999_999_999)),
    TRADOVATE_SECRET: c('TVS'),
    IRONBEAM_USERNAME: c('IBU'),
    IRONBEAM_PASSWORD: c('IBP'),
    IRONBEAM_API_KEY: c('IBK'),
    ACME_TOKEN: c('ACME'),
  };
}

/** Every form a secret could take on the way out: raw, base64 (also inside basic auth), URL-encoded. */
export function leakForms(secret: string): string[] {
  const forms = new Set<string>([
    secret,
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
    Buffer.from(`${secret}:`).toString('base64').replace(/=+$/, ''),
  ]);
  return [...forms];
}

export function findLeaks(text: string, secrets: string[]): string[] {
  const hits: string[] = [];
  for (const s of secrets) for (const f of leakForms(s)) if (text.includes(f)) hits.push(f);
  return hits;
}
