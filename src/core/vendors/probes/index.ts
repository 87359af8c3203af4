/**
 * runProbe(spec, ctx): one probe attempt for one integration → ProbeResult.
 *
 * - Missing/empty env vars ⇒ MISSING_CREDENTIALS with no network call.
 * - One deadline (spec.timeoutMs) for the whole attempt, logins included: at the deadline the
 *   work is aborted and the result is UPSTREAM_TIMEOUT, whatever is still pending, so a hanging
 *   vendor costs at most its own timeout and never holds up another probe.
 * - Never throws. Every message is a fixed phrase passed through redactString, one line,
 *   at most MAX_MESSAGE chars; response bodies, headers and URLs are never included.
 */
import type { IntegrationSpec, ProbeDef, ProbeResult } from '../../types.js';
import { oneLine, redactString, sanitizeError } from '../../redact.js';
import type { ProbeContext } from './context.js';
import { envValue, type RunContext, type Verdict } from './http.js';
import { DATABENTO_ENV, databentoProbe } from './databento.js';
import { POLYGON_ENV, polygonProbe } from './polygon.js';
import { OPENAI_ENV, openaiProbe } from './openai.js';
import { TRADOVATE_ENV, tradovateProbe } from './tradovate.js';
import { IRONBEAM_ENV, ironbeamProbe } from './ironbeam.js';
import { postgresProbe } from './postgres.js';
import { riskEngineProbe } from './risk.js';
import { customHttpProbe, customRequiredEnv } from './custom.js';

export { TokenCache, credentialFingerprint, type CachedToken, type ProbeContext } from './context.js';
export { checkRiskLimits, riskLimitsSchema, RISK_FIELDS, RISK_NOT_CONFIGURED, type RiskLimits } from './risk.js';
export { TRADOVATE_DEFAULT_TTL_MS, TRADOVATE_APP_ID, TRADOVATE_APP_VERSION } from './tradovate.js';
export { IRONBEAM_DEFAULT_TTL_MS } from './ironbeam.js';
export { TOKEN_REFRESH_MARGIN_MS } from './session.js';
export { classifyStatus, type Verdict } from './http.js';

export const MAX_MESSAGE = 200;

/** Env vars a probe type needs before it may touch the network (beyond spec.envVars). */
export function probeRequiredEnv(def: ProbeDef): string[] {
  switch (def.type) {
    case 'databento':
      return [...DATABENTO_ENV];
    case 'polygon':
      return [...POLYGON_ENV];
    case 'openai':
      return [...OPENAI_ENV];
    case 'tradovate':
      return [...TRADOVATE_ENV];
    case 'ironbeam':
      return [...IRONBEAM_ENV];
    case 'http':
      return customRequiredEnv(def);
    case 'postgres':
    case 'risk_engine':
      return [];
  }
}

/** Names (never values) of the required env vars that are unset or blank. */
export function missingEnv(spec: IntegrationSpec, env: NodeJS.ProcessEnv): string[] {
  const names = new Set([...spec.envVars, ...probeRequiredEnv(spec.probe)]);
  return [...names].filter((n) => envValue(env, n) === undefined);
}

const VENDOR_TYPES = new Set(['databento', 'polygon', 'openai', 'tradovate', 'ironbeam']);

function validBaseUrl(v: unknown): boolean {
  if (typeof v !== 'string' || !URL.canParse(v)) return false;
  const p = new URL(v).protocol;
  return p === 'http:' || p === 'https:';
}

function dispatch(spec: IntegrationSpec, rc: RunContext, startedAt: number): Promise<Verdict> {
  const def = spec.probe;
  if (VENDOR_TYPES.has(def.type) && !validBaseUrl((def as { baseUrl?: unknown }).baseUrl))
    return Promise.resolve({ outcome: 'CHECK_FAILED', message: `invalid baseUrl for the ${def.type} probe (expected an http(s) URL)` });
  switch (def.type) {
    case 'databento':
      return databentoProbe(def, rc);
    case 'polygon':
      return polygonProbe(def, rc);
    case 'openai':
      return openaiProbe(def, rc);
    case 'tradovate':
      return tradovateProbe(def, rc);
    case 'ironbeam':
      return ironbeamProbe(def, rc);
    case 'postgres':
      return postgresProbe(rc);
    case 'risk_engine':
      return riskEngineProbe(rc);
    case 'http':
      return customHttpProbe(def, rc, startedAt);
    default: {
      const t = (def as { type?: unknown }).type;
      return Promise.resolve({ outcome: 'CHECK_FAILED', message: `unknown probe type ${typeof t === 'string' ? t.slice(0, 40) : ''}`.trim() });
    }
  }
}

function cleanMessage(m: string | undefined): string | undefined {
  if (m === undefined || m === '') return undefined;
  return oneLine(redactString(m), MAX_MESSAGE);
}

export async function runProbe(spec: IntegrationSpec, ctx: ProbeContext): Promise<ProbeResult> {
  const startedAt = performance.now();
  const finish = (v: Verdict): ProbeResult => {
    const r: ProbeResult = { outcome: v.outcome, latencyMs: Math.max(0, Math.round(performance.now() - startedAt)), traceId: ctx.traceId };
    if (v.httpStatus !== undefined) r.httpStatus = v.httpStatus;
    const message = cleanMessage(v.message);
    if (message !== undefined) r.message = message;
    return r;
  };

  const missing = missingEnv(spec, ctx.env);
  if (missing.length > 0) return finish({ outcome: 'MISSING_CREDENTIALS', message: `missing environment variable(s): ${missing.join(', ')}` });

  const timeoutMs = Number.isFinite(spec.timeoutMs) && spec.timeoutMs > 0 ? spec.timeoutMs : 10_000;
  if (ctx.signal?.aborted) return finish({ outcome: 'UPSTREAM_TIMEOUT', message: 'probe aborted before it started' });

  // one controller for the attempt: aborted at the deadline or when the caller aborts
  // (wired by hand rather than AbortSignal.any, which can retain dependents of a long-lived signal)
  const deadline = new AbortController();
  const rc: RunContext = { ...ctx, signal: deadline.signal, timeoutMs, now: ctx.now ?? Date.now, integration: spec.name };

  let timer: NodeJS.Timeout | undefined;
  let onCallerAbort: (() => void) | undefined;
  const cutoff = new Promise<Verdict>((resolve) => {
    timer = setTimeout(() => {
      resolve({ outcome: 'UPSTREAM_TIMEOUT', message: `timeout after ${timeoutMs} ms` });
      deadline.abort();
    }, timeoutMs);
    if (ctx.signal) {
      onCallerAbort = () => {
        resolve({ outcome: 'UPSTREAM_TIMEOUT', message: 'probe aborted by caller' });
        deadline.abort();
      };
      ctx.signal.addEventListener('abort', onCallerAbort, { once: true });
    }
  });
  const work = dispatch(spec, rc, startedAt).catch(
    (err: unknown): Verdict => ({ outcome: 'CHECK_FAILED', message: `probe error: ${sanitizeError(err, 'PROBE_ERROR').message}` }),
  );
  try {
    return finish(await Promise.race([work, cutoff]));
  } finally {
    clearTimeout(timer);
    if (onCallerAbort) ctx.signal?.removeEventListener('abort', onCallerAbort);
    // whatever is still in flight (a late body, a pg query) is cut off now
    if (!deadline.signal.aborted) deadline.abort();
  }
}
