/**
 * runProbe(spec, ctx): one probe attempt for one integration → ProbeResult.
 *
 * - Missing/empty env vars ⇒ MISSING_CREDENTIALS with no network call.
 * - One deadline (spec.timeoutMs) for the whole attempt, logins included: at the deadline the
 *   work is aborted and the result is UPSTREAM_TIMEOUT, whatever is still pending, so a hanging
 *   vendor costs at most its own timeout and never holds up another probe.
 * - A vendor that asked for a pause (Retry-After, a penalty ticket, a lockout) is not called
 *   before it ends: the attempt answers with the vendor's last word and the time it lifts
 *   (`retryAfterMs`), without a request. The pause lives in the per-process TokenCache, so the
 *   daemon's scheduler honours it on every tick without knowing about it.
 * - Never throws. Every message is a fixed phrase passed through redactString, one line,
 *   at most MAX_MESSAGE chars; response bodies, headers and URLs are never included.
 */
import type { IntegrationSpec, ProbeDef, ProbeResult } from '../types.js';
import { oneLine, redactString, sanitizeError } from '../redact.js';
import type { ProbeContext, RunContext, Verdict } from './module.js';
import { missingEnv } from './env.js';
import { moduleNamed } from './index.js';
import { customHttpProbe, headerEnvVars } from './custom.js';
import { holdKey, hostOf, untilText } from './http.js';

export const MAX_MESSAGE = 200;

/** Env vars a probe needs before it may touch the network (beyond spec.envVars). */
export function probeRequiredEnv(def: ProbeDef): string[] {
  if (def.type === 'http') return headerEnvVars(def);
  return [...(moduleNamed(def.vendor)?.envVars ?? [])];
}

function validBaseUrl(v: unknown): v is string {
  if (typeof v !== 'string' || !URL.canParse(v)) return false;
  const p = new URL(v).protocol;
  return p === 'http:' || p === 'https:';
}

function unknownType(t: unknown): Verdict {
  return { outcome: 'CHECK_FAILED', message: `unknown probe type ${typeof t === 'string' ? t.slice(0, 40) : ''}`.trim() };
}

/** async: a probe that throws, even before its first await, is a rejected promise (CHECK_FAILED), never a throw */
async function dispatch(spec: IntegrationSpec, rc: RunContext, startedAt: number): Promise<Verdict> {
  const def = spec.probe;
  if (def.type === 'http') return customHttpProbe(def, rc, startedAt);
  if (def.type !== 'vendor') return unknownType((def as { type?: unknown }).type);
  const m = moduleNamed(def.vendor);
  if (!m) return unknownType(def.vendor);
  if (!m.http) return m.probe(rc, '');
  if (!validBaseUrl(def.baseUrl)) return { outcome: 'CHECK_FAILED', message: `invalid baseUrl for the ${def.vendor} probe (expected an http(s) URL)` };
  return m.probe(rc, def.baseUrl);
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
    if (v.accountLive !== undefined) r.accountLive = v.accountLive;
    if (v.retryAfterMs !== undefined && v.retryAfterMs > 0) r.retryAfterMs = Math.ceil(v.retryAfterMs);
    return r;
  };

  const missing = missingEnv(spec, ctx.env, probeRequiredEnv(spec.probe));
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
  const hold = holdKey(spec.name, spec.probe.type === 'vendor' && spec.probe.baseUrl ? hostOf(spec.probe.baseUrl) : '');
  const now = rc.now();
  const held = ctx.tokenCache.holds.get(hold, now);
  if (held) return finish({ outcome: held.outcome, message: `not probed until ${untilText(held.until)}: ${held.message}`, retryAfterMs: held.until - now });

  const work = dispatch(spec, rc, startedAt).catch((err: unknown): Verdict => ({
    outcome: 'CHECK_FAILED',
    message: `probe error: ${sanitizeError(err, 'PROBE_ERROR').message}`,
  }));
  try {
    const v = await Promise.race([work, cutoff]);
    if (v.retryAfterMs && v.retryAfterMs > 0)
      ctx.tokenCache.holds.set(hold, { until: rc.now() + v.retryAfterMs, outcome: v.outcome, message: v.message ?? v.outcome });
    return finish(v);
  } finally {
    clearTimeout(timer);
    if (onCallerAbort) ctx.signal?.removeEventListener('abort', onCallerAbort);
    // whatever is still in flight (a late body, a pg query) is cut off now
    if (!deadline.signal.aborted) deadline.abort();
  }
}
