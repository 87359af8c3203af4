/**
 * The runner's vendor HTTP calls: one request with `traceparent`, redirects never followed,
 * credentials built into headers/bodies at the last moment (closures over the environment),
 * bodies read bounded. Failures become a VendorError whose `code` is a reason code
 * (UPSTREAM_5XX, AUTH_REJECTED, …) and whose message is a fixed phrase naming the HTTP status,
 * the host and the operation — never a response body, header or URL with a query.
 *
 * Reuses the probes' helpers (joinUrl, hostOf, classifyStatus, classifyNetworkError) so the
 * runner and the prober classify a vendor's answer the same way.
 */
import { classifyNetworkError, classifyStatus, hostOf, joinUrl, MAX_BODY_BYTES, readCapped } from '../core/vendors/probes/http.js';
import { traceparent } from '../core/trace.js';
import { VERSION } from '../core/version.js';

export { joinUrl, hostOf };

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

export interface VendorCall {
  method: 'GET' | 'POST';
  url: URL;
  /** secret headers (Authorization…), called immediately before the request is sent */
  auth?: () => Record<string, string>;
  /** JSON body (may carry credentials), serialized immediately before the request is sent */
  json?: () => unknown;
  /** application/x-www-form-urlencoded body */
  form?: () => Record<string, string>;
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

/** Sends one request; 2xx ⇒ the body text (bounded), anything else ⇒ VendorError. */
export async function vendorRequest(call: VendorCall): Promise<VendorReply> {
  const host = hostOf(call.url);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), call.timeoutMs);
  const onAbort = () => deadline.abort();
  call.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let request: Request;
    try {
      const headers: Record<string, string> = {
        accept: 'application/json',
        'user-agent': `observatory-runner/${VERSION}`,
        traceparent: traceparent(call.traceId),
      };
      let body: string | undefined;
      if (call.json) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(call.json());
      } else if (call.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(call.form()).toString();
      }
      if (call.auth) Object.assign(headers, call.auth());
      request = new Request(call.url, { method: call.method, headers, body, redirect: 'manual', signal: deadline.signal });
    } catch {
      throw new VendorError('CHECK_FAILED', `${call.what}: request to ${host} could not be built (invalid header or URL)`);
    }
    let res: Response;
    try {
      res = await fetch(request);
    } catch (err) {
      throwIfCancelled(call);
      const v = classifyNetworkError(err, host, { signal: deadline.signal, timeoutMs: call.timeoutMs });
      throw new VendorError(v.outcome, `${call.what}: ${v.message ?? v.outcome}`);
    }
    const byStatus = classifyStatus(res.status, host);
    if (byStatus) {
      // the body of an error may echo the credential: never read
      await res.body?.cancel().catch(() => undefined);
      throw new VendorError(byStatus.outcome, `${call.what}: ${byStatus.message ?? `HTTP ${res.status} from ${host}`}`, res.status);
    }
    let text: string;
    try {
      text = await readText(res);
    } catch (err) {
      if (err instanceof VendorError) throw err;
      throwIfCancelled(call);
      const v = classifyNetworkError(err, host, { signal: deadline.signal, timeoutMs: call.timeoutMs });
      throw new VendorError(v.outcome, `${call.what}: ${v.message ?? v.outcome} while reading the body`);
    }
    return { status: res.status, host, text };
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

async function readText(res: Response): Promise<string> {
  const raw = await readCapped(res, MAX_BODY_BYTES);
  if (raw === 'too_large') throw new VendorError('UPSTREAM_BAD_RESPONSE', `body over ${MAX_BODY_BYTES} bytes`);
  return raw.toString('utf8');
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

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function finite(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}
