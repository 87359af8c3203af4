/**
 * One overall deadline for the verdict commands (`gate check`, `probe`, `status`): whatever hangs
 * — a store that freezes after login, a vendor that never answers — the command still answers
 * within `--timeout` (default 10 s), as UNKNOWN / STATUS_UNAVAILABLE. The pool's client-side
 * query timeout and TCP keepalive (core/db/pool.ts) bound each step; this bounds the whole.
 */
import { StoreUnavailableError, UsageError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import type { PoolOptions } from '../core/store.js';

export const DEFAULT_VERDICT_TIMEOUT_MS = 10_000;
const MAX_VERDICT_TIMEOUT_MS = 600_000;

/** `--timeout` as milliseconds (default 10 s); a usage error outside 1 ms–10 min. */
export function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_VERDICT_TIMEOUT_MS;
  const ms = parseDuration(raw, '--timeout');
  if (ms > MAX_VERDICT_TIMEOUT_MS) throw new UsageError('--timeout: at most 10m');
  return ms;
}

/** The deadline passed: the store (or a vendor) did not answer in time. */
export class VerdictTimeoutError extends StoreUnavailableError {
  constructor(ms: number) {
    super(`no answer within the ${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`} deadline (--timeout): the status store stopped answering`, {
      hint: 'Check that PostgreSQL answers at DATABASE_URL (network path, server load, locks); raise --timeout only if it is known to be slow',
    });
  }
}

/**
 * Runs `fn` under the deadline: its result, or a VerdictTimeoutError once `ms` have passed (the
 * signal aborts what listens to it; anything still hanging is abandoned — the CLI exits once the
 * verdict is printed, see program.ts exitPromptly).
 */
export async function withDeadline<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new VerdictTimeoutError(ms));
    }, ms);
  });
  const work = fn(ac.signal);
  work.catch(() => undefined); // a late failure after the deadline is not an unhandled rejection
  try {
    return await Promise.race([work, expiry]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Pool options that keep each step inside the deadline. `max`: `gate check` takes 1 — its reads
 * are a few small queries, and a second connection (a server backend to start, a login) costs
 * more than running them one after another saves.
 */
export function deadlinePool(ms: number, max = 2): PoolOptions {
  return { max, connectTimeoutMs: Math.min(5_000, ms), queryTimeoutMs: ms, statementTimeoutMs: Math.min(30_000, ms) };
}
