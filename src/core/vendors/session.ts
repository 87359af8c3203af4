/**
 * Token sessions of the brokers (Tradovate, Ironbeam), written once for the probe and the
 * runner. A broker module describes its protocol (how to log in, how to read the login reply,
 * how to renew, which cheap authenticated GET proves the token, how the vendor signals a
 * penalty); this file does the rest, with the operator's access to the broker as the thing to
 * protect (a broker locks an account or a network out after too many logins):
 *  - probe: reuse a cached token (TokenCache, shared across probe rounds; tokens and tickets in
 *    memory only, pauses and refused logins written through to a store so a restart keeps them) and
 *    prove it with the authenticated check on every round; renew it before the vendor's expiry
 *    instead of logging in again; log in afresh at least every `reproveAfterMs` when the vendor
 *    documents no expiry; a fresh token is proven by the same check, and a 401 on it is
 *    AUTH_REJECTED, never a silent second login. A refused login is not retried with the same
 *    credentials (fingerprint, never values) until LOGIN_REFUSAL_BACKOFF_MS has passed.
 *    A penalty in any reply (status or body) becomes a hold (probe.ts) or a resend with the
 *    vendor's ticket after the time it asked for;
 *  - runner: a PaperSession holds the token for one run; a 401 on a token that already worked
 *    logs in once more, a 401 on a fresh one is AUTH_REJECTED; penalties stop the run's calls.
 */
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { REASON_CODES, type ProbeOutcome } from '../types.js';
import { envValue } from './env.js';
import {
  badBody,
  badShape,
  bearer,
  HoldBook,
  hostOf,
  isObject,
  isVerdict,
  joinUrl,
  parseJson,
  runnerHolds,
  send,
  untilText,
  vendorRequest,
  VendorError,
  verdictOfStatus,
  type HttpCall,
  type HttpReply,
  type Refiner,
  type VendorCall,
} from './http.js';
import type { BrokerClient, BrokerFill, CallCtx, PaperOrder, RunContext, Verdict } from './module.js';

// ───────────────────────────────────────────── token cache

export interface CachedToken {
  /** the vendor's access token: a secret, kept in memory only */
  token: string;
  /** ms since epoch after which the token is not used any more */
  expiresAt: number;
  /** the vendor's own expiry, when it gave one (renewal is timed from it) */
  vendorExpiresAt?: number;
  /** what the vendor said about the account when the token was issued (Tradovate hasLive) */
  accountLive?: boolean;
  /** when a login last proved the credentials themselves */
  provenAt: number;
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
 * A stable device id for a broker login: the same machine and account always send the same id
 * (a broker may tie its security checks to it), derived from the host name and the account's
 * non-secret identity, never random per run.
 */
export function stableDeviceId(integration: string, identity: ReadonlyArray<string | undefined>): string {
  const h = createHash('sha256').update(`observatory-device|${integration}|${hostname()}|`);
  for (const p of identity) h.update(`${(p ?? '').length}:${p ?? ''}|`);
  const x = h.digest('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A login the vendor refused: not retried with the same credentials before `until`. */
export interface LoginRefusal {
  fingerprint: string;
  at: number;
  until: number;
  message: string;
}

/** A refused login waits this long before the same credentials are tried again (a change of credentials lifts it at once). */
export const LOGIN_REFUSAL_BACKOFF_MS = 60 * 60_000;

// ───────────────────────────────────────────── credential check (refusals kept across restarts)

/**
 * scrypt cost of a stored credential check: one of OWASP's equivalent settings for password
 * storage (N=2^15, r=8, p=3: 32 MiB, the same work as N=2^17, p=1 without its 128 MiB peak,
 * which the daemon's memory limit could not take). It is computed once per refused login and
 * once per stored refusal when a prober starts.
 */
const CHECK_COST = { N: 2 ** 15, r: 8, p: 3 } as const;
const CHECK_BYTES = 32;
/** a stored check asking for more than this is not computed (a hostile row must not exhaust memory) */
const CHECK_MAXMEM = 64 * 1024 * 1024;
const CHECK_FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{16,128})$/;

function checkInput(parts: ReadonlyArray<string | undefined>): Buffer {
  return Buffer.from(['observatory-credential-check|', ...parts.map((p) => `${(p ?? '').length}:${p ?? ''}|`)].join(''), 'utf8');
}

function scryptAsync(input: Buffer, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(input, salt, CHECK_BYTES, { ...cost, maxmem: CHECK_MAXMEM }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * A slow, salted hash of the credential parts, for a refusal kept in the store: a restarted
 * process tells "the same credentials" from "changed" with it, and guessing a password from it
 * offline costs a full scrypt per guess. Format: scrypt$N$r$p$salt$hash (base64url).
 */
export async function credentialCheck(parts: ReadonlyArray<string | undefined>): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(checkInput(parts), salt, CHECK_COST);
  return `scrypt$${CHECK_COST.N}$${CHECK_COST.r}$${CHECK_COST.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** Whether `check` was made from these parts; undefined when it cannot be read or computed. */
export async function credentialCheckMatches(check: string, parts: ReadonlyArray<string | undefined>): Promise<boolean | undefined> {
  const m = CHECK_FORMAT.exec(check);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const want = Buffer.from(m[5], 'base64url');
  try {
    const got = await scryptAsync(checkInput(parts), Buffer.from(m[4], 'base64url'), { N, r, p });
    return got.length === want.length && timingSafeEqual(got, want);
  } catch {
    return undefined; // a cost outside what scrypt (or maxmem) accepts
  }
}

// ───────────────────────────────────────────── what a restart keeps

/**
 * A vendor's pause or a refused login as the store keeps it. Never a token, a penalty ticket or
 * a credential value: `message` is a fixed phrase, a refusal carries the env var names and the
 * slow check of the values it was refused with.
 */
export interface SavedPause {
  kind: 'hold' | 'refusal';
  /** hold: the HoldBook key (integration|host); refusal: the session site (vendor|origin+path) */
  key: string;
  outcome: ProbeOutcome;
  message: string;
  /** ms since epoch: when it started (a refusal: when the login was refused) */
  at: number;
  /** ms since epoch: when it ends */
  until: number;
  credentialEnv?: readonly string[];
  credentialCheck?: string;
}

/** Where TokenCache writes its pauses and refusals through to (core/db/vendor-holds.ts). */
export interface PauseStore {
  save(p: SavedPause): Promise<void>;
  /** `endedBy`: remove only a row that ends by then (a longer pause written meanwhile stays) */
  remove(kind: SavedPause['kind'], key: string, endedBy?: number): Promise<void>;
}

export interface TokenCacheOptions {
  /** write pauses and refusals through to this store; its failures go to `onStoreError`, the memory state applies anyway */
  store?: PauseStore;
  onStoreError?: (err: unknown, what: string) => void;
}

const KNOWN_OUTCOMES = new Set<string>(REASON_CODES);
/** an outcome a newer build wrote and this one does not know still holds the vendor (fail-closed) */
const outcomeOf = (o: string): ProbeOutcome => (o !== 'OK' && KNOWN_OUTCOMES.has(o) ? (o as ProbeOutcome) : 'VENDOR_PENALTY');

/**
 * The session site of a broker's base URL: vendor + origin + path. Never userinfo or a query
 * (the site is written to the store), so a key in an overridden URL stays out of it.
 */
export function sessionSite(integration: string, baseUrl: string): string {
  try {
    const u = new URL(baseUrl);
    return `${integration}|${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return `${integration}|${hostOf(baseUrl)}`;
  }
}

/**
 * Session state of the probes: tokens keyed by integration + base URL + credential fingerprint
 * (a rotated secret or a different host never reuses a stale token), the pauses vendors asked
 * for (`holds`), refused logins and pending penalty tickets. Tokens and tickets live in this
 * process only; pauses and refusals are also written to the `store` when one is given, and
 * `restore` reads them back in a new process.
 */
export class TokenCache {
  private readonly entries = new Map<string, CachedToken>();
  private readonly refusals = new Map<string, LoginRefusal>();
  private readonly tickets = new Map<string, string>();
  /** pauses the vendors asked for (Retry-After, penalties), honoured by runProbe */
  readonly holds: HoldBook;
  /** store writes per row, in order (a lift never overtakes the write it lifts) */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly opts: TokenCacheOptions = {}) {
    this.holds = new HoldBook({
      set: (key, h) => this.write(`hold|${key}`, 'save a vendor pause', (st) => st.save({ kind: 'hold', key, ...h, at: Date.now() })),
      ended: (key, h) => this.write(`hold|${key}`, 'remove a vendor pause', (st) => st.remove('hold', key, h.until)),
    });
  }

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

  set(key: string, token: string, expiresAt: number, extra: Partial<Omit<CachedToken, 'token' | 'expiresAt'>> = {}): void {
    this.entries.set(key, { token, expiresAt, provenAt: extra.provenAt ?? Date.now(), ...extra });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** The refusal still in force for these credentials at `site` (sessionSite), if any. */
  refusal(site: string, fingerprint: string, now: number = Date.now()): LoginRefusal | undefined {
    const r = this.refusals.get(site);
    if (!r) return undefined;
    if (r.fingerprint !== fingerprint || r.until <= now) {
      this.refusals.delete(site);
      // changed credentials lift it at once; a back-off that passed only removes a row that ends by then
      const endedBy = r.fingerprint !== fingerprint ? undefined : r.until;
      this.write(`refusal|${site}`, 'remove a refused login', (st) => st.remove('refusal', site, endedBy));
      return undefined;
    }
    return r;
  }

  /**
   * Records a refused login. `credentials`: the env var names and values it was refused with;
   * with a store, they become the slow check the store keeps (never the values).
   */
  refuse(site: string, r: LoginRefusal, credentials?: { env: readonly string[]; parts: ReadonlyArray<string | undefined> }): void {
    this.refusals.set(site, r);
    if (!credentials) return;
    const { env, parts } = credentials;
    this.write(`refusal|${site}`, 'save a refused login', async (st) =>
      st.save({
        kind: 'refusal',
        key: site,
        outcome: 'AUTH_REJECTED',
        message: r.message,
        at: r.at,
        until: r.until,
        credentialEnv: [...env],
        credentialCheck: await credentialCheck(parts),
      }),
    );
  }

  /**
   * Takes back what a previous process saved (`saved`: the store's unexpired rows). A refusal
   * stands only when `env` still holds the credentials it was refused with (or when that
   * cannot be told: fail-closed); changed credentials lift it and remove its row.
   */
  async restore(saved: readonly SavedPause[], env: NodeJS.ProcessEnv, now: number = Date.now()): Promise<{ holds: number; refusals: number; lifted: number }> {
    const n = { holds: 0, refusals: 0, lifted: 0 };
    for (const p of saved) {
      if (p.until <= now) continue;
      if (p.kind === 'hold') {
        this.holds.set(p.key, { until: p.until, outcome: outcomeOf(p.outcome), message: p.message }, true);
        n.holds++;
        continue;
      }
      const parts = (p.credentialEnv ?? []).map((name) => envValue(env, name));
      const same = p.credentialCheck === undefined ? undefined : await credentialCheckMatches(p.credentialCheck, parts);
      if (same === false) {
        this.write(`refusal|${p.key}`, 'remove a refused login', (st) => st.remove('refusal', p.key));
        n.lifted++;
        continue;
      }
      const prev = this.refusals.get(p.key);
      if (!prev || prev.until < p.until) this.refusals.set(p.key, { fingerprint: credentialFingerprint(parts), at: p.at, until: p.until, message: p.message });
      n.refusals++;
    }
    return n;
  }

  /** Waits for the store writes started so far (they never reject: failures went to onStoreError). */
  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes.values()]);
  }

  private write(row: string, what: string, job: (store: PauseStore) => Promise<void>): void {
    const store = this.opts.store;
    if (!store) return;
    const next = (this.writes.get(row) ?? Promise.resolve()).then(() => job(store)).catch((err: unknown) => this.opts.onStoreError?.(err, what));
    this.writes.set(row, next);
    void next.then(() => {
      if (this.writes.get(row) === next) this.writes.delete(row);
    });
  }

  /** A vendor's penalty ticket to send with the next login at `site` (a secret-like value: memory only). */
  ticket(site: string): string | undefined {
    return this.tickets.get(site);
  }

  setTicket(site: string, ticket: string | undefined): void {
    if (ticket === undefined) this.tickets.delete(site);
    else this.tickets.set(site, ticket);
  }

  /** Forgets everything in memory (the store is left as it is). */
  clear(): void {
    this.entries.clear();
    this.refusals.clear();
    this.tickets.clear();
    this.holds.clear();
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
  /** what the vendor said about the account (Tradovate hasLive) */
  accountLive?: boolean;
}

/** The vendor answered but refused, or asked us to wait: the outcome and a fixed phrase naming the host. */
export interface Refusal {
  outcome: ProbeOutcome;
  message: string;
  /** how long the vendor asked us to wait */
  retryAfterMs?: number;
  /** a penalty ticket to resend with the request once the wait is over (Tradovate p-ticket) */
  ticket?: string;
}

export interface BrokerProtocol {
  integration: string;
  /** every credential the login sends (the token cache key fingerprints them) */
  credentialEnv: readonly string[];
  /** token lifetime assumed when the vendor gives none */
  defaultTtlMs: number;
  /** log in afresh at least this often, so a revoked credential is seen (vendors that document no token expiry) */
  reproveAfterMs?: number;
  login: {
    /** the login request; credentials are read from `env` inside the body closure; `ticket`: a penalty ticket to resend */
    request(baseUrl: string, env: NodeJS.ProcessEnv, ticket?: string): HttpCall & { method: 'POST' };
    /** runner messages: "Tradovate access token" */
    what: string;
    /** what a good reply is, for messages: "an access token reply" */
    expected: string;
    /** a 2xx JSON object → the token, a refusal, or null when it is not the promised shape */
    read(body: Record<string, unknown>, host: string): Login | Refusal | null;
  };
  /** renewal of a token before the vendor's expiry, read like a login reply (instead of a new login) */
  renew?: { path: string; windowMs: number };
  /** the probe's cheap authenticated GET */
  check: {
    path: string;
    expected: string;
    /** a 2xx body: OK (with what it says of the account), REAUTH (the vendor rejected the token itself), BAD (not the promised shape) */
    read(body: unknown): { accountLive?: boolean } | 'REAUTH' | 'BAD';
  };
  /** the vendor's documented error codes in error replies (lockouts…) */
  refine?: Refiner;
  /** a penalty the vendor put in a 2xx body (any call, login included) */
  penalty?(body: unknown, host: string): Refusal | null;
}

const refusalVerdict = (r: Refusal, httpStatus: number): Verdict => ({
  outcome: r.outcome,
  httpStatus,
  message: r.message,
  ...(r.retryAfterMs && r.retryAfterMs > 0 ? { retryAfterMs: r.retryAfterMs } : {}),
});

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A probe waits in place for a penalty this short (and resends with the ticket); a longer one is left to the next round. */
export const IN_PROBE_TICKET_WAIT_MS = 5_000;

// ───────────────────────────────────────────── probe

type Sent = { kind: 'reply'; status: number; body: unknown; reply: HttpReply } | { kind: 'penalty'; refusal: Refusal; status: number } | Verdict;

/** One request of a session: transport failures and non-2xx statuses (but 401) become a Verdict, a penalty a Refusal. */
async function sessionSend(rc: RunContext, p: BrokerProtocol, http: HttpCall): Promise<Sent> {
  const reply = await send(rc, { ...http, refine: p.refine });
  if (isVerdict(reply)) return reply;
  if (reply.status === 401 && !reply.refined) return { kind: 'reply', status: 401, body: undefined, reply };
  const byStatus = verdictOfStatus(reply);
  if (byStatus) return byStatus;
  const pen = reply.bodyKind === 'json' ? p.penalty?.(reply.body, reply.host) : null;
  if (pen) return { kind: 'penalty', refusal: pen, status: reply.status };
  return { kind: 'reply', status: reply.status, body: reply.body, reply };
}

async function probeLogin(rc: RunContext, baseUrl: string, p: BrokerProtocol, site: string): Promise<(Login & { httpStatus: number }) | Verdict> {
  let ticket = rc.tokenCache.ticket(site);
  for (let attempt = 0; ; attempt++) {
    const r = await sessionSend(rc, p, p.login.request(baseUrl, rc.env, ticket));
    if (isVerdict(r)) return r;
    if (r.kind === 'reply' && r.status === 401) return { outcome: 'AUTH_REJECTED', httpStatus: 401, message: `HTTP 401 from ${r.reply.host}` };
    const refusal = r.kind === 'penalty' ? r.refusal : null;
    const g = r.kind === 'reply' ? (isObject(r.body) ? p.login.read(r.body, r.reply.host) : null) : refusal;
    if (!g) return badBody((r as { reply: HttpReply }).reply, p.login.expected);
    if ('outcome' in g) {
      if (g.ticket) {
        rc.tokenCache.setTicket(site, g.ticket);
        const wait = g.retryAfterMs ?? 0;
        // resend with the ticket only after the time the vendor asked for
        if (attempt === 0 && wait <= Math.min(IN_PROBE_TICKET_WAIT_MS, rc.timeoutMs / 3)) {
          await sleep(wait, rc.signal);
          if (rc.signal.aborted) return { outcome: 'UPSTREAM_TIMEOUT', message: `timeout after ${rc.timeoutMs} ms` };
          ticket = g.ticket;
          continue;
        }
      }
      return refusalVerdict(g, r.status);
    }
    rc.tokenCache.setTicket(site, undefined);
    return { ...g, httpStatus: r.status };
  }
}

async function probeCheck(rc: RunContext, baseUrl: string, p: BrokerProtocol, token: string): Promise<Verdict | 'REAUTH'> {
  const r = await sessionSend(rc, p, { method: 'GET', url: joinUrl(baseUrl, p.check.path), auth: bearer(token) });
  if (isVerdict(r)) return r;
  if (r.kind === 'penalty') return refusalVerdict(r.refusal, r.status);
  if (r.status === 401) return 'REAUTH';
  const read = r.reply.bodyKind === 'json' ? p.check.read(r.body) : 'BAD';
  if (read === 'REAUTH') return 'REAUTH';
  if (read === 'BAD') return badBody(r.reply, p.check.expected);
  return { outcome: 'OK', httpStatus: r.status, ...(read.accountLive !== undefined ? { accountLive: read.accountLive } : {}) };
}

async function probeRenew(
  rc: RunContext,
  baseUrl: string,
  p: BrokerProtocol,
  path: string,
  token: string,
): Promise<(Login & { httpStatus: number }) | Verdict | 'REAUTH'> {
  const r = await sessionSend(rc, p, { method: 'GET', url: joinUrl(baseUrl, path), auth: bearer(token) });
  if (isVerdict(r)) return r;
  if (r.kind === 'penalty') return refusalVerdict(r.refusal, r.status);
  if (r.status === 401) return 'REAUTH';
  const g = isObject(r.body) ? p.login.read(r.body, r.reply.host) : null;
  if (!g) return badBody(r.reply, p.login.expected);
  if ('outcome' in g) return g.outcome === 'AUTH_REJECTED' ? 'REAUTH' : refusalVerdict(g, r.status);
  return { ...g, httpStatus: r.status };
}

const withAccount = (v: Verdict, accountLive: boolean | undefined): Verdict =>
  v.outcome === 'OK' && v.accountLive === undefined && accountLive !== undefined ? { ...v, accountLive } : v;

/**
 * The broker probe: a cached token renewed when due and proven by the check, else one login
 * whose fresh token is proven by the same check. Never logs in with credentials the vendor
 * refused (until they change or the back-off passes).
 */
export async function sessionProbe(rc: RunContext, baseUrl: string, p: BrokerProtocol): Promise<Verdict> {
  const parts = p.credentialEnv.map((n) => envValue(rc.env, n));
  const fingerprint = credentialFingerprint(parts);
  const cacheKey = TokenCache.key(p.integration, baseUrl, parts);
  const site = sessionSite(p.integration, baseUrl);
  const cache = rc.tokenCache;
  const now = rc.now();

  const refused = cache.refusal(site, fingerprint, now);
  if (refused)
    return {
      outcome: 'AUTH_REJECTED',
      message: `login not retried: these credentials were refused at ${untilText(refused.at)} (${refused.message}); change them, or wait until ${untilText(refused.until)}`,
    };

  let cached = cache.get(cacheKey, now);
  if (cached && p.reproveAfterMs !== undefined && now - cached.provenAt >= p.reproveAfterMs) {
    // the vendor documents no expiry: prove the credentials themselves again
    cache.delete(cacheKey);
    cached = undefined;
  }
  if (cached && p.renew && cached.vendorExpiresAt !== undefined && cached.vendorExpiresAt - now <= p.renew.windowMs) {
    const r = await probeRenew(rc, baseUrl, p, p.renew.path, cached.token);
    if (r === 'REAUTH') {
      cache.delete(cacheKey);
      cached = undefined;
    } else if (isVerdict(r)) return r;
    else {
      cache.set(cacheKey, r.token, cacheUntil(now, r.expiresAt, p.defaultTtlMs), {
        vendorExpiresAt: r.expiresAt,
        accountLive: r.accountLive ?? cached.accountLive,
        provenAt: cached.provenAt,
      });
      cached = cache.get(cacheKey, now);
    }
  }
  if (cached) {
    const v = await probeCheck(rc, baseUrl, p, cached.token);
    if (v !== 'REAUTH') return withAccount(v, cached.accountLive);
    cache.delete(cacheKey);
  }

  const refuse = (message: string) =>
    cache.refuse(site, { fingerprint, at: now, until: now + LOGIN_REFUSAL_BACKOFF_MS, message }, { env: p.credentialEnv, parts });
  const login = await probeLogin(rc, baseUrl, p, site);
  if (isVerdict(login)) {
    if (login.outcome === 'AUTH_REJECTED') refuse(login.message ?? 'login rejected');
    return login;
  }
  // a login that finished after the deadline is not trusted (its request was aborted)
  if (rc.signal.aborted) return { outcome: 'UPSTREAM_TIMEOUT', message: `timeout after ${rc.timeoutMs} ms` };
  cache.set(cacheKey, login.token, cacheUntil(now, login.expiresAt, p.defaultTtlMs), {
    vendorExpiresAt: login.expiresAt,
    accountLive: login.accountLive,
    provenAt: now,
  });
  // the fresh token is proven by the same check: a 401 now is the vendor refusing these credentials
  const v = await probeCheck(rc, baseUrl, p, login.token);
  if (v === 'REAUTH') {
    cache.delete(cacheKey);
    const message = `a fresh token was refused by ${hostOf(baseUrl)} (HTTP 401)`;
    refuse(message);
    return { outcome: 'AUTH_REJECTED', httpStatus: 401, message };
  }
  return withAccount(v, login.accountLive);
}

// ───────────────────────────────────────────── runner

type Req = Omit<VendorCall, 'traceId' | 'timeoutMs' | 'signal'>;

/** The runner waits in place for a penalty this short, then resends with the ticket; a longer one ends the call. */
export const RUNNER_TICKET_WAIT_MS = 15_000;

/** A paper-order session for one run: the token and account ids stay in this object. */
export abstract class PaperSession implements BrokerClient {
  private token: string | null = null;
  /** the token has been accepted by the vendor at least once */
  private tokenProven = false;
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

  /**
   * One request with the vendor's error codes read and every 2xx reply checked for a penalty;
   * a penalty holds the host for the time the vendor asked (runnerHolds) and throws, unless
   * `onTicket` takes it (the login's resend).
   */
  protected async request(call: CallCtx, req: Req): Promise<unknown> {
    const reply = await vendorRequest({ ...req, refine: this.protocol.refine, ...call });
    const b = parseJson(reply, req.what);
    const pen = this.protocol.penalty?.(b, reply.host);
    if (pen) throw this.penaltyError(req.what, pen, reply.host, reply.status);
    return b;
  }

  private penaltyError(what: string, pen: Refusal, host: string, status: number): VendorError {
    const message = `${what}: ${pen.message}`;
    if (pen.retryAfterMs) runnerHolds.set(host, { until: Date.now() + pen.retryAfterMs, outcome: pen.outcome, message });
    return Object.assign(new VendorError(pen.outcome, message, status, pen.retryAfterMs), { ticket: pen.ticket });
  }

  private async login(call: CallCtx): Promise<string> {
    const { what, expected } = this.protocol.login;
    let ticket: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const req = this.protocol.login.request(this.baseUrl, this.env, ticket);
      let b: unknown;
      try {
        b = await this.request(call, { ...req, what });
      } catch (err) {
        const t = (err as { ticket?: string }).ticket;
        const wait = err instanceof VendorError ? (err.retryAfterMs ?? 0) : 0;
        // wait what the vendor asked, then resend once with its ticket
        if (attempt === 0 && t && wait <= RUNNER_TICKET_WAIT_MS) {
          await sleep(wait, call.signal);
          runnerHolds.delete(hostOf(req.url));
          ticket = t;
          continue;
        }
        throw err;
      }
      const r = isObject(b) ? this.protocol.login.read(b, hostOf(req.url)) : null;
      if (!r) throw badShape({ status: 200, host: hostOf(req.url), text: '' }, what, expected);
      if ('outcome' in r) throw new VendorError(r.outcome, `${what}: ${r.message}`, 200, r.retryAfterMs);
      return r.token;
    }
  }

  /** An authenticated call; a 401 on a token that already worked logs in once more, on a fresh one it is AUTH_REJECTED. */
  protected async authed(call: CallCtx, req: Req): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      if (!this.token) {
        this.token = await this.login(call);
        this.tokenProven = false;
      }
      try {
        const b = await this.request(call, { ...req, auth: bearer(this.token) });
        this.tokenProven = true;
        return b;
      } catch (err) {
        if (err instanceof VendorError && err.status === 401) {
          const fresh = !this.tokenProven;
          this.token = null;
          if (fresh) throw new VendorError('AUTH_REJECTED', `${req.what}: a fresh token was refused (HTTP 401)`, 401);
          if (attempt === 0) continue;
        }
        throw err;
      }
    }
  }
}
