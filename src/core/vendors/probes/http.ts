/**
 * The shared HTTP machinery of every vendor probe: one request with `traceparent`, no
 * redirects followed, secrets built into headers/body at the last moment, the reply reduced
 * to a status + parsed JSON. Response bodies, headers and URLs never reach a message:
 * messages are fixed phrases plus the HTTP status, the host and an errno-style code.
 */
import type { ProbeOutcome } from '../../types.js';
import { traceparent } from '../../trace.js';
import { VERSION } from '../../version.js';
import type { ProbeContext } from './context.js';

/** What one probe concluded, before latency and trace-id are attached. */
export interface Verdict {
  outcome: ProbeOutcome;
  httpStatus?: number;
  /** fixed wording; sanitized again (redactString + one line) before it is returned */
  message?: string;
}

/** ProbeContext plus what runProbe derives for this one attempt. */
export interface RunContext extends ProbeContext {
  /** aborts at the probe's deadline or when the caller's signal aborts */
  signal: AbortSignal;
  timeoutMs: number;
  now: () => number;
  integration: string;
}

export interface HttpCall {
  method: 'GET' | 'POST' | 'HEAD';
  url: URL;
  /** secret headers (Authorization…), called immediately before the request is sent */
  auth?: () => Record<string, string>;
  /** JSON body (may carry credentials), serialized immediately before the request is sent */
  json?: () => unknown;
}

export type BodyKind = 'json' | 'invalid_json' | 'empty' | 'not_read' | 'too_large';

export interface HttpReply {
  status: number;
  host: string;
  /** parsed JSON for a 2xx reply with a JSON body; undefined otherwise (never the raw text) */
  body: unknown;
  bodyKind: BodyKind;
}

/** Larger than any reply the probed endpoints give; bigger bodies are refused, not buffered. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

const USER_AGENT = `observatory/${VERSION}`;

export function isVerdict(x: HttpReply | Verdict): x is Verdict {
  return 'outcome' in x;
}

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

/** The status table of DESIGN.md for a non-2xx reply; null for 2xx. */
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
  if (Array.isArray(e.errors)) for (const x of e.errors) {
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

/**
 * Sends one request. A 2xx body is read (bounded) and parsed as JSON; any other body is
 * discarded unread. Throws nothing: transport failures come back as a Verdict.
 */
export async function send(rc: RunContext, call: HttpCall): Promise<HttpReply | Verdict> {
  const host = hostOf(call.url);
  let request: Request;
  try {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': USER_AGENT,
      traceparent: traceparent(rc.traceId),
    };
    let body: string | undefined;
    if (call.json) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json());
    }
    if (call.auth) Object.assign(headers, call.auth());
    request = new Request(call.url, { method: call.method, headers, body, redirect: 'manual', signal: rc.signal });
  } catch {
    // e.g. a header value with a newline, or a URL with user:password in it
    return { outcome: 'CHECK_FAILED', message: `request to ${host} could not be built (invalid header or URL)` };
  }
  try {
    const res = await fetch(request);
    if (res.status < 200 || res.status >= 300 || call.method === 'HEAD') {
      await res.body?.cancel().catch(() => undefined);
      return { status: res.status, host, body: undefined, bodyKind: 'not_read' };
    }
    const raw = await readCapped(res);
    if (raw === 'too_large') return { status: res.status, host, body: undefined, bodyKind: 'too_large' };
    if (raw.length === 0) return { status: res.status, host, body: undefined, bodyKind: 'empty' };
    try {
      return { status: res.status, host, body: JSON.parse(raw.toString('utf8')) as unknown, bodyKind: 'json' };
    } catch {
      // JSON.parse's message quotes the body: never use it
      return { status: res.status, host, body: undefined, bodyKind: 'invalid_json' };
    }
  } catch (err) {
    return classifyNetworkError(err, host, rc);
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
 * body (returns a short fixed description of what was expected when the body is wrong).
 */
export async function httpProbe(rc: RunContext, call: HttpCall, expected: string, validate: (body: unknown) => boolean): Promise<Verdict> {
  const reply = await send(rc, call);
  if (isVerdict(reply)) return reply;
  const byStatus = classifyStatus(reply.status, reply.host);
  if (byStatus) return byStatus;
  if (reply.bodyKind !== 'json' || !validate(reply.body)) return badBody(reply, expected);
  return { outcome: 'OK', httpStatus: reply.status };
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads an env var at request time; empty/whitespace counts as missing. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}
