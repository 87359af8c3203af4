/**
 * Token-session probing shared by the broker probes: reuse a cached token and probe with a
 * cheap authenticated GET; log in only when there is no usable token, or once when the
 * vendor answers 401 to the cached one. Tokens live in ctx.tokenCache (memory only).
 */
import type { RunContext, Verdict } from './http.js';

export interface Login {
  token: string;
  /** when the vendor says the token expires (ms since epoch), if it says */
  expiresAt?: number;
  httpStatus: number;
}

export interface SessionProtocol {
  cacheKey: string;
  /** token lifetime assumed when the vendor gives none */
  defaultTtlMs: number;
  login(rc: RunContext): Promise<Login | Verdict>;
  /** 'REAUTH' when the vendor rejected the token itself (401): drop it, log in once more */
  check(rc: RunContext, token: string): Promise<Verdict | 'REAUTH'>;
}

/** Refresh this long before the vendor's expiry (less for very short-lived tokens). */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

export function cacheUntil(now: number, expiresAt: number | undefined, defaultTtlMs: number): number {
  const end = expiresAt !== undefined && Number.isFinite(expiresAt) && expiresAt > now ? expiresAt : now + defaultTtlMs;
  const lifetime = end - now;
  return end - Math.min(TOKEN_REFRESH_MARGIN_MS, Math.floor(lifetime / 2));
}

export async function sessionProbe(rc: RunContext, p: SessionProtocol): Promise<Verdict> {
  const cached = rc.tokenCache.get(p.cacheKey, rc.now());
  if (cached) {
    const v = await p.check(rc, cached.token);
    if (v !== 'REAUTH') return v;
    rc.tokenCache.delete(p.cacheKey);
  }
  const login = await p.login(rc);
  if ('outcome' in login) return login;
  // a login that finished after the deadline is not trusted (its request was aborted)
  if (rc.signal.aborted) return { outcome: 'UPSTREAM_TIMEOUT', message: `timeout after ${rc.timeoutMs} ms` };
  const now = rc.now();
  rc.tokenCache.set(p.cacheKey, login.token, cacheUntil(now, login.expiresAt, p.defaultTtlMs));
  return { outcome: 'OK', httpStatus: login.httpStatus };
}
