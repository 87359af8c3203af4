/**
 * Token sessions of the brokers (Tradovate, Ironbeam), written once for the probe and the
 * runner. A broker module describes its protocol (how to log in, how to read the login reply,
 * which cheap authenticated GET proves the token); this file does the rest:
 *  - probe: reuse a cached token (TokenCache, memory only, shared across probe rounds) and
 *    check it; log in only when there is no usable token, or once more when the vendor answers
 *    401 to the cached one; cache until shortly before the vendor's expiry;
 *  - runner: a PaperSession holds the token for one run; a 401 drops it and logs in once more.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { ProbeOutcome } from '../types.js';
import { envValue } from './env.js';
import {
  badBody,
  badShape,
  bearer,
  classifyStatus,
  isObject,
  isVerdict,
  joinUrl,
  parseJson,
  send,
  vendorRequest,
  VendorError,
  type HttpCall,
  type VendorCall,
} from './http.js';
import type { BrokerClient, BrokerFill, CallCtx, PaperOrder, RunContext, Verdict } from './module.js';

// ───────────────────────────────────────────── token cache

export interface CachedToken {
  /** the vendor's access token: a secret, kept in memory only */
  token: string;
  /** ms since epoch after which the token is not used any more */
  expiresAt: number;
}

/** Per-process key so a fingerprint is useless outside this process (no offline guessing). */
const FINGERPRINT_KEY = randomBytes(32);

/** A short HMAC of the credential parts: identifies "the same credentials", reveals nothing. */
export function credentialFingerprint(parts: ReadonlyArray<string | undefined>): string {
  const h = createHmac('sha256', FINGERPRINT_KEY);
  for (const p of parts) h.update(`${(p ?? '').length}:${p ?? ''}|`);
  return h.digest('hex').slice(0, 32);
}

/**
 * Tokens keyed by integration + base URL + credential fingerprint, so a rotated secret or
 * a different host never reuses a stale token. Expired entries are dropped on read.
 */
export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();

  static key(integration: string, baseUrl: string, credentialParts: ReadonlyArray<string | undefined>): string {
    return `${integration}|${baseUrl}|${credentialFingerprint(credentialParts)}`;
  }

  get(key: string, now: number = Date.now()): CachedToken | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  set(key: string, token: string, expiresAt: number): void {
    this.entries.set(key, { token, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Keys only (they hold fingerprints, never secrets): for diagnostics and tests. */
  keys(): string[] {
    return [...this.entries.keys()];
  }
}

/** Refresh this long before the vendor's expiry (less for very short-lived tokens). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export function cacheUntil(now: number, expiresAt: number | undefined, defaultTtlMs: number): number {
  const end = expiresAt !== undefined && Number.isFinite(expiresAt) && expiresAt > now ? expiresAt : now + defaultTtlMs;
  const lifetime = end - now;
  return end - Math.min(TOKEN_REFRESH_MARGIN_MS, Math.floor(lifetime / 2));
}

// ───────────────────────────────────────────── the protocol a broker module describes

export interface Login {
  token: string;
  /** when the vendor says the token expires (ms since epoch), if it says */
  expiresAt?: number;
}

/** The vendor answered 2xx but refused: the outcome and a fixed phrase naming the host. */
export interface Refusal {
  outcome: ProbeOutcome;
  message: string;
}

export interface BrokerProtocol {
  integration: string;
  /** every credential the login sends (the token cache key fingerprints them) */
  credentialEnv: readonly string[];
  /** token lifetime assumed when the vendor gives none */
  defaultTtlMs: number;
  login: {
    /** the login request; credentials are read from `env` inside the body closure */
    request(baseUrl: string, env: NodeJS.ProcessEnv): HttpCall & { method: 'POST' };
    /** runner messages: "Tradovate access token" */
    what: string;
    /** what a good reply is, for messages: "an access token reply" */
    expected: string;
    /** a 2xx JSON object → the token, a refusal, or null when it is not the promised shape */
    read(body: Record<string, unknown>, host: string): Login | Refusal | null;
  };
  /** the probe's cheap authenticated GET */
  check: {
    path: string;
    expected: string;
    /** a 2xx body: OK, REAUTH (the vendor rejected the token itself), BAD (not the promised shape) */
    read(body: unknown): 'OK' | 'REAUTH' | 'BAD';
  };
}

// ───────────────────────────────────────────── probe

async function probeLogin(rc: RunContext, baseUrl: string, p: BrokerProtocol): Promise<(Login & { httpStatus: number }) | Verdict> {
  const reply = await send(rc, p.login.request(baseUrl, rc.env));
  if (isVerdict(reply)) return reply;
  const byStatus = classifyStatus(reply.status, reply.host);
  if (byStatus) return byStatus;
  const b = reply.body;
  const r = reply.bodyKind === 'json' && isObject(b) ? p.login.read(b, reply.host) : null;
  if (!r) return badBody(reply, p.login.expected);
  if ('outcome' in r) return { outcome: r.outcome, httpStatus: reply.status, message: r.message };
  return { ...r, httpStatus: reply.status };
}

async function probeCheck(rc: RunContext, baseUrl: string, p: BrokerProtocol, token: string): Promise<Verdict | 'REAUTH'> {
  const reply = await send(rc, { method: 'GET', url: joinUrl(baseUrl, p.check.path), auth: bearer(token) });
  if (isVerdict(reply)) return reply;
  if (reply.status === 401) return 'REAUTH';
  const byStatus = classifyStatus(reply.status, reply.host);
  if (byStatus) return byStatus;
  const r = reply.bodyKind === 'json' ? p.check.read(reply.body) : 'BAD';
  if (r === 'REAUTH') return 'REAUTH';
  return r === 'OK' ? { outcome: 'OK', httpStatus: reply.status } : badBody(reply, p.check.expected);
}

/** The broker probe: a cached token checked, else (or after a 401) one login, cached. */
export async function sessionProbe(rc: RunContext, baseUrl: string, p: BrokerProtocol): Promise<Verdict> {
  const cacheKey = TokenCache.key(
    p.integration,
    baseUrl,
    p.credentialEnv.map((n) => envValue(rc.env, n)),
  );
  const cached = rc.tokenCache.get(cacheKey, rc.now());
  if (cached) {
    const v = await probeCheck(rc, baseUrl, p, cached.token);
    if (v !== 'REAUTH') return v;
    rc.tokenCache.delete(cacheKey);
  }
  const login = await probeLogin(rc, baseUrl, p);
  if ('outcome' in login) return login;
  // a login that finished after the deadline is not trusted (its request was aborted)
  if (rc.signal.aborted) return { outcome: 'UPSTREAM_TIMEOUT', message: `timeout after ${rc.timeoutMs} ms` };
  const now = rc.now();
  rc.tokenCache.set(cacheKey, login.token, cacheUntil(now, login.expiresAt, p.defaultTtlMs));
  return { outcome: 'OK', httpStatus: login.httpStatus };
}

// ───────────────────────────────────────────── runner

type Req = Omit<VendorCall, 'traceId' | 'timeoutMs' | 'signal'>;

/** A paper-order session for one run: the token and account ids stay in this object. */
export abstract class PaperSession implements BrokerClient {
  private token: string | null = null;
  constructor(
    protected readonly protocol: BrokerProtocol,
    protected readonly baseUrl: string,
    protected readonly env: NodeJS.ProcessEnv,
  ) {}

  get name(): string {
    return this.protocol.integration;
  }

  abstract placeOrder(order: PaperOrder, call: CallCtx): Promise<{ orderId: string }>;
  abstract fills(orderId: string, call: CallCtx): Promise<BrokerFill[]>;

  private async login(call: CallCtx): Promise<string> {
    const { what, expected } = this.protocol.login;
    const reply = await vendorRequest({ ...this.protocol.login.request(this.baseUrl, this.env), what, ...call });
    const b = parseJson(reply, what);
    const r = isObject(b) ? this.protocol.login.read(b, reply.host) : null;
    if (!r) throw badShape(reply, what, expected);
    if ('outcome' in r) throw new VendorError(r.outcome, `${what}: ${r.message}`, reply.status);
    return r.token;
  }

  /** An authenticated call; a 401 drops the token and logs in once more. */
  protected async authed(call: CallCtx, req: Req): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      if (!this.token) this.token = await this.login(call);
      try {
        const reply = await vendorRequest({ ...req, auth: bearer(this.token), ...call });
        return parseJson(reply, req.what);
      } catch (err) {
        if (attempt === 0 && err instanceof VendorError && err.status === 401) {
          this.token = null;
          continue;
        }
        throw err;
      }
    }
  }
}
