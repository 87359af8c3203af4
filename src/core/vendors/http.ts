/**
 * The one HTTP client of every vendor call, probes and runner alike: one request with
 * `traceparent`, no redirects followed, secrets built into headers/bodies at the last moment
 * (closures over the environment), error bodies never read, 2xx bodies read bounded.
 *
 * `exchange` does the request; two thin adaptors give its result the caller's form:
 *  - probes: `send` → an HttpReply (status + parsed JSON) or a Verdict, never throws;
 *  - runner: `vendorRequest` → the 2xx body text, or throws a VendorError whose `code` is a
 *    reason code and whose message names the operation.
 * Messages are fixed phrases plus the HTTP status, the host and an errno-style code: never a
 * response body, header or URL (a URL may carry a key).
 *
 * An error reply's body is read (bounded) only to be handed to the call's `refine`, which looks
 * for the vendor's documented codes (OpenAI `insufficient_quota`, Polygon `NOT_AUTHORIZED`…) and
 * answers with fixed words; the body itself goes nowhere. `Retry-After` / `retry-after-ms`
 * (seconds or an HTTP date) becomes `retryAfterMs`, and a runner call is not sent again to a
 * host before the time the vendor asked for (HoldBook).
 */
import { traceparent } from '../trace.js';
import { VERSION } from '../version.js';
import type { ProbeOutcome } from '../types.js';
import type { RunContext, Verdict } from './module.js';

export interface HttpCall {
  method: 'GET' | 'POST' | 'DELETE' | 'HEAD';
  url: URL;
  /** secret headers (Authorization…), called immediately before the request is sent */
  auth?: () => Record<string, string>;
  /** JSON body (may carry credentials), serialized immediately before the request is sent */
  json?: () => unknown;
  /** application/x-www-form-urlencoded body */
  form?: () => Record<string, string>;
  /**
   * Reads an error reply's JSON (undefined when there is none) for the vendor's documented
   * codes; returns fixed words only, or null to fall back to the status rules.
   */
  refine?: Refiner;
}

/** What a vendor's documented error body means, in fixed words (never the body's own text). */
export interface Refined {
  outcome: ProbeOutcome;
  message: string;
  /** a pause the vendor's rules imply beyond any Retry-After header (a lockout) */
  holdMs?: number;
}
export type Refiner = (status: number, body: unknown, host: string) => Refined | null;

/** An error body is read only this far (for its code); anything longer is not parsed. */
const ERROR_BODY_BYTES = 64 * 1024;
/** a Retry-After further out than this is taken as this (a typo must not silence a vendor for days) */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

/** Larger than any reply the vendors' endpoints give; bigger bodies are refused, not buffered. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Exchange =
  | { kind: 'unbuildable'; host: string }
  | { kind: 'failed'; host: string; stage: 'send' | 'read'; err: unknown }
  /** body: undefined when not read (non-2xx, HEAD); errorJson: a non-2xx body parsed, for `refine` only */
  | { kind: 'reply'; host: string; status: number; body: Buffer | 'too_large' | undefined; errorJson?: unknown; retryAfterMs?: number };

/**
 * `retry-after-ms` (milliseconds), else `Retry-After` (delta-seconds or an HTTP date), as a
 * wait from `now`; undefined when absent or unreadable. Capped at MAX_RETRY_AFTER_MS.
 */
export function retryAfterOf(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  let wait: number | undefined;
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) wait = Number(ms);
  else {
    const ra = headers.get('retry-after')?.trim();
    if (ra && /^\d+(\.\d+)?$/.test(ra)) wait = Number(ra) * 1000;
    else if (ra) {
      const at = Date.parse(ra);
      if (!Number.isNaN(at)) wait = Math.max(0, at - now);
    }
  }
  if (wait === undefined || !Number.isFinite(wait)) return undefined;
  return Math.min(Math.ceil(wait), MAX_RETRY_AFTER_MS);
}

/** Sends one request; reads the body of a 2xx reply to anything but HEAD. Never throws. */
async function exchange(call: HttpCall, opts: { traceId: string; signal: AbortSignal; userAgent: string }): Promise<Exchange> {
  const host = hostOf(call.url);
  let request: Request;
  try {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': opts.userAgent, traceparent: traceparent(opts.traceId) };
    let body: string | undefined;
    if (call.json) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json());
    } else if (call.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(call.form()).toString();
    }
    if (call.auth) Object.assign(headers, call.auth());
    request = new Request(call.url, { method: call.method, headers, body, redirect: 'manual', signal: opts.signal });
  } catch {
    // e.g. a header value with a newline, or a URL with user:password in it
    return { kind: 'unbuildable', host };
  }
  let res: Response;
  try {
    res = await fetch(request);
  } catch (err) {
    return { kind: 'failed', host, stage: 'send', err };
  }
  const retryAfterMs = retryAfterOf(res.headers);
  const withWait = <T extends object>(x: T) => (retryAfterMs === undefined ? x : { ...x, retryAfterMs });
  if (res.status >= 400 && call.refine && call.method !== 'HEAD') {
    // read only for the vendor's documented code (refine answers in fixed words); never stored or shown
    const errorJson = await readErrorJson(res);
    return withWait({ kind: 'reply', host, status: res.status, body: undefined, errorJson });
  }
  if (res.status < 200 || res.status >= 300 || call.method === 'HEAD') {
    // the body of an error may echo the credential; the Location of a redirect may carry it: never read
    await res.body?.cancel().catch(() => undefined);
    return withWait({ kind: 'reply', host, status: res.status, body: undefined });
  }
  try {
    return withWait({ kind: 'reply', host, status: res.status, body: await readCapped(res) });
  } catch (err) {
    return { kind: 'failed', host, stage: 'read', err };
  }
}

async function readErrorJson(res: Response): Promise<unknown> {
  try {
    const raw = await readCapped(res, ERROR_BODY_BYTES);
    return raw === 'too_large' || raw.length === 0 ? undefined : (JSON.parse(raw.toString('utf8')) as unknown);
  } catch {
    return undefined;
  }
}

/** Reads a body up to `max` bytes; a larger one is cancelled unread past the limit ('too_large'). */
export async function readCapped(res: Response, max = MAX_BODY_BYTES): Promise<Buffer | 'too_large'> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > max) {
      await reader.cancel().catch(() => undefined);
      return 'too_large';
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

// ───────────────────────────────────────────── classification (shared)

/** `{base}{path}` with exactly one slash between them; the base keeps its own path (/v1, /v2). */
export function joinUrl(base: string, path: string): URL {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return u;
}

/** host[:port] only: never userinfo, path or query (a URL may carry a key). */
export function hostOf(url: URL | string): string {
  try {
    return (typeof url === 'string' ? new URL(url) : url).host || 'host';
  } catch {
    return 'host';
  }
}

/** The status rules (core/status.ts, README "The gate") for a non-2xx reply; null for 2xx. */
export function classifyStatus(status: number, host: string): Verdict | null {
  if (status >= 200 && status < 300) return null;
  const base = { httpStatus: status, message: `HTTP ${status} from ${host}` };
  if (status === 401 || status === 403) return { outcome: 'AUTH_REJECTED', ...base };
  if (status === 429) return { outcome: 'RATE_LIMITED', ...base };
  if (status >= 500) return { outcome: 'UPSTREAM_5XX', ...base };
  if (status >= 400) return { outcome: 'UPSTREAM_4XX', ...base };
  if (status >= 300 && status < 400)
    // the Location header may carry the key: it is neither followed nor read
    return { outcome: 'UPSTREAM_BAD_RESPONSE', httpStatus: status, message: `unexpected redirect (HTTP ${status}) from ${host}; not followed` };
  return { outcome: 'UPSTREAM_BAD_RESPONSE', ...base };
}

const SAFE_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

function errorCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && SAFE_CODE.test(e.code)) return e.code;
  const fromCause = errorCode(e.cause, depth + 1);
  if (fromCause) return fromCause;
  if (Array.isArray(e.errors))
    for (const x of e.errors) {
      const c = errorCode(x, depth + 1);
      if (c) return c;
    }
  return undefined;
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);

/** A thrown fetch/body error → outcome + fixed message (the error's own text is not used). */
export function classifyNetworkError(err: unknown, host: string, rc: Pick<RunContext, 'signal' | 'timeoutMs'>): Verdict {
  if (rc.signal.aborted) return { outcome: 'UPSTREAM_TIMEOUT', message: `timeout after ${rc.timeoutMs} ms` };
  const code = errorCode(err);
  if (code && TIMEOUT_CODES.has(code)) return { outcome: 'UPSTREAM_TIMEOUT', message: `timeout (${code}) contacting ${host}` };
  if (code === 'ECONNREFUSED') return { outcome: 'UPSTREAM_NETWORK', message: `connection refused by ${host}` };
  if (code && RESET_CODES.has(code)) return { outcome: 'UPSTREAM_NETWORK', message: `connection reset by ${host} (${code})` };
  if (code && DNS_CODES.has(code)) return { outcome: 'UPSTREAM_NETWORK', message: `DNS lookup failed for ${host} (${code})` };
  if (code && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO/.test(code)) return { outcome: 'UPSTREAM_NETWORK', message: `TLS error with ${host} (${code})` };
  return { outcome: 'UPSTREAM_NETWORK', message: `network error contacting ${host}${code ? ` (${code})` : ''}` };
}

const unbuildable = (host: string) => `request to ${host} could not be built (invalid header or URL)`;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function finite(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

export const bearer = (token: string) => () => ({ authorization: `Bearer ${token}` });

// ───────────────────────────────────────────── probe form

export type BodyKind = 'json' | 'invalid_json' | 'empty' | 'not_read' | 'too_large';

export interface HttpReply {
  status: number;
  host: string;
  /** parsed JSON for a 2xx reply with a JSON body; undefined otherwise (never the raw text) */
  body: unknown;
  bodyKind: BodyKind;
  /** what the call's `refine` made of an error reply */
  refined?: Refined;
  /** the vendor's Retry-After, in ms */
  retryAfterMs?: number;
}

/** The verdict for a non-2xx reply: the vendor's documented code first, then the status rules; Retry-After attached. */
export function verdictOfStatus(reply: HttpReply): Verdict | null {
  if (reply.status >= 200 && reply.status < 300) return null;
  const v: Verdict = reply.refined
    ? { outcome: reply.refined.outcome, httpStatus: reply.status, message: reply.refined.message }
    : classifyStatus(reply.status, reply.host)!;
  const wait = Math.max(reply.retryAfterMs ?? 0, reply.refined?.holdMs ?? 0);
  if (wait > 0) v.retryAfterMs = wait;
  return v;
}

const PROBE_UA = `observatory/${VERSION}`;

export function isVerdict<T extends object>(x: T | Verdict): x is Verdict {
  return 'outcome' in x;
}

/** One probe request: transport failures come back as a Verdict, a reply as status + JSON. */
export async function send(rc: RunContext, call: HttpCall): Promise<HttpReply | Verdict> {
  const x = await exchange(call, { traceId: rc.traceId, signal: rc.signal, userAgent: PROBE_UA });
  if (x.kind === 'unbuildable') return { outcome: 'CHECK_FAILED', message: unbuildable(x.host) };
  if (x.kind === 'failed') return classifyNetworkError(x.err, x.host, rc);
  const { status, host, body: raw } = x;
  const extra: Pick<HttpReply, 'refined' | 'retryAfterMs'> = {};
  if (x.retryAfterMs !== undefined) extra.retryAfterMs = x.retryAfterMs;
  if (status >= 400 && call.refine) {
    const r = call.refine(status, x.errorJson, host);
    if (r) extra.refined = r;
  }
  if (raw === undefined) return { status, host, body: undefined, bodyKind: 'not_read', ...extra };
  if (raw === 'too_large') return { status, host, body: undefined, bodyKind: 'too_large', ...extra };
  if (raw.length === 0) return { status, host, body: undefined, bodyKind: 'empty', ...extra };
  try {
    return { status, host, body: JSON.parse(raw.toString('utf8')) as unknown, bodyKind: 'json', ...extra };
  } catch {
    // JSON.parse's message quotes the body: never use it
    return { status, host, body: undefined, bodyKind: 'invalid_json', ...extra };
  }
}

/** A 2xx reply whose body is not the JSON the protocol promises. */
export function badBody(reply: HttpReply, what: string): Verdict {
  const why =
    reply.bodyKind === 'invalid_json'
      ? 'not valid JSON'
      : reply.bodyKind === 'empty'
        ? 'empty'
        : reply.bodyKind === 'too_large'
          ? `over ${MAX_BODY_BYTES} bytes`
          : `not ${what}`;
  return { outcome: 'UPSTREAM_BAD_RESPONSE', httpStatus: reply.status, message: `HTTP ${reply.status} from ${reply.host}: body ${why}` };
}

/**
 * One request, classified: transport failure, non-2xx status, then `validate` on the JSON
 * body (`expected` is a short fixed description of what the body should have been).
 */
export async function httpProbe(
  rc: RunContext,
  call: HttpCall,
  expected: string,
  validate: (body: unknown) => boolean | { message: string },
): Promise<Verdict> {
  const reply = await send(rc, call);
  if (isVerdict(reply)) return reply;
  const byStatus = verdictOfStatus(reply);
  if (byStatus) return byStatus;
  const ok = reply.bodyKind === 'json' ? validate(reply.body) : false;
  if (ok === false) return badBody(reply, expected);
  return ok === true ? { outcome: 'OK', httpStatus: reply.status } : { outcome: 'OK', httpStatus: reply.status, message: ok.message };
}

// ───────────────────────────────────────────── runner form

/** A vendor call that failed. `code` is the usage event's reason code; `message` is safe to store. */
export class VendorError extends Error {
  readonly code: string;
  readonly status?: number;
  /** the vendor asked not to be called again for this long */
  readonly retryAfterMs?: number;
  constructor(code: string, message: string, status?: number, retryAfterMs?: number) {
    super(message);
    this.name = 'VendorError';
    this.code = code;
    if (status !== undefined) this.status = status;
    if (retryAfterMs !== undefined && retryAfterMs > 0) this.retryAfterMs = retryAfterMs;
  }
}

export interface Hold {
  /** ms since epoch before which the vendor is not called */
  until: number;
  outcome: ProbeOutcome;
  /** fixed words: why (the vendor's signal) */
  message: string;
}

/** Told when a hold starts or grows (`set`) and when it ends (`ended`: over, or lifted by hand). */
export interface HoldListener {
  set(key: string, hold: Hold): void;
  ended(key: string, hold: Hold): void;
}

/**
 * Pauses the vendors asked for, by key (integration + host): nothing is sent under that key
 * before `until`. A later hold never shortens an earlier one. Memory only; a listener (the
 * probes' TokenCache) may write them through to a store so a restart keeps them.
 */
export class HoldBook {
  private readonly holds = new Map<string, Hold>();
  constructor(private readonly listener?: HoldListener) {}

  /** `quiet`: not reported to the listener (a hold read back from the store) */
  set(key: string, hold: Hold, quiet = false): void {
    const prev = this.holds.get(key);
    if (prev && prev.until >= hold.until) return;
    this.holds.set(key, hold);
    if (!quiet) this.listener?.set(key, hold);
  }

  get(key: string, now: number = Date.now()): Hold | undefined {
    const h = this.holds.get(key);
    if (h && h.until <= now) {
      this.holds.delete(key);
      this.listener?.ended(key, h);
      return undefined;
    }
    return h;
  }

  delete(key: string): void {
    const h = this.holds.get(key);
    if (!h) return;
    this.holds.delete(key);
    this.listener?.ended(key, h);
  }

  clear(): void {
    this.holds.clear();
  }
}

/** The runner's holds (one process = one bot run): every vendorRequest honours them. */
export const runnerHolds = new HoldBook();

export const holdKey = (integrationOrWhat: string, host: string) => `${integrationOrWhat}|${host}`;

/** When a wait ends, for messages: "2026-01-02T10:00:00Z". */
export const untilText = (until: number) => new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');

export interface VendorCall extends Omit<HttpCall, 'method'> {
  /** DELETE: Ironbeam's order cancel */
  method: 'GET' | 'POST' | 'DELETE';
  /** what the call is, for messages: "Polygon aggregates" */
  what: string;
  /** the runner hold this call obeys and extends (default: the host) */
  hold?: string;
  traceId: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface VendorReply {
  status: number;
  host: string;
  text: string;
}

const RUNNER_UA = `observatory-runner/${VERSION}`;

/**
 * Sends one request with its own deadline; 2xx ⇒ the body text (bounded), anything else ⇒
 * VendorError. Not sent while the vendor's own pause (Retry-After, penalty) is running; a reply
 * that asks for one starts it.
 */
export async function vendorRequest(call: VendorCall): Promise<VendorReply> {
  const key = call.hold ?? hostOf(call.url);
  const held = runnerHolds.get(key);
  if (held)
    throw new VendorError(held.outcome, `${call.what}: not sent: ${held.message}; wait until ${untilText(held.until)}`, undefined, held.until - Date.now());
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), call.timeoutMs);
  const onAbort = () => deadline.abort();
  call.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const x = await exchange(call, { traceId: call.traceId, signal: deadline.signal, userAgent: RUNNER_UA });
    if (x.kind === 'unbuildable') throw new VendorError('CHECK_FAILED', `${call.what}: ${unbuildable(x.host)}`);
    if (x.kind === 'failed') {
      throwIfCancelled(call);
      const v = classifyNetworkError(x.err, x.host, { signal: deadline.signal, timeoutMs: call.timeoutMs });
      throw new VendorError(v.outcome, `${call.what}: ${v.message ?? v.outcome}${x.stage === 'read' ? ' while reading the body' : ''}`);
    }
    const byStatus = verdictOfStatus({
      status: x.status,
      host: x.host,
      body: undefined,
      bodyKind: 'not_read',
      refined: x.status >= 400 ? (call.refine?.(x.status, x.errorJson, x.host) ?? undefined) : undefined,
      retryAfterMs: x.retryAfterMs,
    });
    if (byStatus) {
      const message = `${call.what}: ${byStatus.message ?? `HTTP ${x.status} from ${x.host}`}`;
      if (byStatus.retryAfterMs) runnerHolds.set(key, { until: Date.now() + byStatus.retryAfterMs, outcome: byStatus.outcome, message });
      throw new VendorError(byStatus.outcome, message, x.status, byStatus.retryAfterMs);
    }
    if (x.body === 'too_large') throw new VendorError('UPSTREAM_BAD_RESPONSE', `${call.what}: body over ${MAX_BODY_BYTES} bytes`);
    return { status: x.status, host: x.host, text: (x.body ?? Buffer.alloc(0)).toString('utf8') };
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The operator stopped the run (Ctrl-C, SIGTERM) in the middle of a call: that is not the
 * vendor timing out, and its proof must not say so — reason CANCELLED, not UPSTREAM_TIMEOUT.
 */
function throwIfCancelled(call: VendorCall): void {
  if (call.signal?.aborted) throw Object.assign(new Error(`${call.what}: cancelled by the operator before the reply`), { code: 'CANCELLED' });
}

/** The reply as JSON; a body that is not JSON is a bad response (JSON.parse's message quotes the body: unused). */
export function parseJson(reply: VendorReply, what: string): unknown {
  if (reply.text.trim() === '') throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: HTTP ${reply.status} from ${reply.host}: empty body`, reply.status);
  try {
    return JSON.parse(reply.text) as unknown;
  } catch {
    throw new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: HTTP ${reply.status} from ${reply.host}: body is not valid JSON`, reply.status);
  }
}

export function badShape(reply: VendorReply, what: string, expected: string): VendorError {
  return new VendorError('UPSTREAM_BAD_RESPONSE', `${what}: HTTP ${reply.status} from ${reply.host}: body is not ${expected}`, reply.status);
}
