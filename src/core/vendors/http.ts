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
 */
import { traceparent } from '../trace.js';
import { VERSION } from '../version.js';
import type { RunContext, Verdict } from './module.js';

export interface HttpCall {
  method: 'GET' | 'POST' | 'HEAD';
  url: URL;
  /** secret headers (Authorization…), called immediately before the request is sent */
  auth?: () => Record<string, string>;
  /** JSON body (may carry credentials), serialized immediately before the request is sent */
  json?: () => unknown;
  /** application/x-www-form-urlencoded body */
  form?: () => Record<string, string>;
}

/** Larger than any reply the vendors' endpoints give; bigger bodies are refused, not buffered. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Exchange =
  | { kind: 'unbuildable'; host: string }
  | { kind: 'failed'; host: string; stage: 'send' | 'read'; err: unknown }
  /** body: undefined when not read (non-2xx, HEAD) */
  | { kind: 'reply'; host: string; status: number; body: Buffer | 'too_large' | undefined };

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
  if (res.status < 200 || res.status >= 300 || call.method === 'HEAD') {
    // the body of an error may echo the credential; the Location of a redirect may carry it: never read
    await res.body?.cancel().catch(() => undefined);
    return { kind: 'reply', host, status: res.status, body: undefined };
  }
  try {
    return { kind: 'reply', host, status: res.status, body: await readCapped(res) };
  } catch (err) {
    return { kind: 'failed', host, stage: 'read', err };
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
}

const PROBE_UA = `observatory/${VERSION}`;

export function isVerdict(x: HttpReply | Verdict): x is Verdict {
  return 'outcome' in x;
}

/** One probe request: transport failures come back as a Verdict, a reply as status + JSON. */
export async function send(rc: RunContext, call: HttpCall): Promise<HttpReply | Verdict> {
  const x = await exchange(call, { traceId: rc.traceId, signal: rc.signal, userAgent: PROBE_UA });
  if (x.kind === 'unbuildable') return { outcome: 'CHECK_FAILED', message: unbuildable(x.host) };
  if (x.kind === 'failed') return classifyNetworkError(x.err, x.host, rc);
  const { status, host, body: raw } = x;
  if (raw === undefined) return { status, host, body: undefined, bodyKind: 'not_read' };
  if (raw === 'too_large') return { status, host, body: undefined, bodyKind: 'too_large' };
  if (raw.length === 0) return { status, host, body: undefined, bodyKind: 'empty' };
  try {
    return { status, host, body: JSON.parse(raw.toString('utf8')) as unknown, bodyKind: 'json' };
  } catch {
    // JSON.parse's message quotes the body: never use it
    return { status, host, body: undefined, bodyKind: 'invalid_json' };
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
export async function httpProbe(rc: RunContext, call: HttpCall, expected: string, validate: (body: unknown) => boolean): Promise<Verdict> {
  const reply = await send(rc, call);
  if (isVerdict(reply)) return reply;
  const byStatus = classifyStatus(reply.status, reply.host);
  if (byStatus) return byStatus;
  if (reply.bodyKind !== 'json' || !validate(reply.body)) return badBody(reply, expected);
  return { outcome: 'OK', httpStatus: reply.status };
}

// ───────────────────────────────────────────── runner form

/** A vendor call that failed. `code` is the usage event's reason code; `message` is safe to store. */
export class VendorError extends Error {
  readonly code: string;
  readonly status?: number;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'VendorError';
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

export interface VendorCall extends Omit<HttpCall, 'method'> {
  method: 'GET' | 'POST';
  /** what the call is, for messages: "Polygon aggregates" */
  what: string;
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

/** Sends one request with its own deadline; 2xx ⇒ the body text (bounded), anything else ⇒ VendorError. */
export async function vendorRequest(call: VendorCall): Promise<VendorReply> {
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
    const byStatus = classifyStatus(x.status, x.host);
    if (byStatus) throw new VendorError(byStatus.outcome, `${call.what}: ${byStatus.message ?? `HTTP ${x.status} from ${x.host}`}`, x.status);
    if (x.body === 'too_large') throw new VendorError('UPSTREAM_BAD_RESPONSE', `body over ${MAX_BODY_BYTES} bytes`);
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
