/**
 * What a probe needs from its caller, and the in-memory token cache the broker probes
 * (Tradovate, Ironbeam) share across probe rounds so they don't log in every minute.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type pg from 'pg';

export interface ProbeContext {
  /** environment holding the vendor credentials (read at request time, never copied) */
  env: NodeJS.ProcessEnv;
  /** W3C trace-id (32 hex) sent as `traceparent` and returned in the result */
  traceId: string;
  /** cancels the probe (daemon shutdown); the result is then UPSTREAM_TIMEOUT "aborted" */
  signal?: AbortSignal;
  /** Observatory's own store, for the `postgres` probe */
  pool?: pg.Pool;
  /** the `risk_limits` object of the config file, for the `risk_engine` probe */
  riskLimits?: Record<string, unknown>;
  /** one per process (daemon), shared by every probe round */
  tokenCache: TokenCache;
  /** wall clock (ms since epoch) used for token expiry; defaults to Date.now */
  now?: () => number;
}

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
