/**
 * Postgres / network errors classified in one table (by SQLSTATE or errno), so every
 * caller decides retry / unavailable / conflict the same way. The original is kept as `cause`.
 */
import { StoreUnavailableError, ObservatoryError, STORE_UNREACHABLE_FIX } from '../errors.js';
import { oneLine, redactString } from '../redact.js';
import { describeHosts } from './hosts.js';

export type PgErrorKind = 'unavailable' | 'auth' | 'missing_database' | 'schema_missing' | 'conflict' | 'append_only' | 'invalid_input' | 'other';

const BY_SQLSTATE: Record<string, PgErrorKind> = {
  '28000': 'auth',
  '28P01': 'auth',
  '3D000': 'missing_database',
  '42P01': 'schema_missing',
  '23505': 'conflict',
  '57P01': 'unavailable',
  '57P02': 'unavailable',
  '57P03': 'unavailable',
  '53300': 'unavailable',
  '22P02': 'invalid_input',
  '22023': 'invalid_input',
  '22021': 'invalid_input', // invalid byte sequence (a NUL in a filter)
  '55000': 'unavailable', // object not in prerequisite state: e.g. a database closed to connections
  OB001: 'append_only',
  // a host list (db/hosts.ts) with no server in the asked role, or a server that changed role: a failover under way
  '25006': 'unavailable',
  OBS_NO_MATCHING_HOST: 'unavailable',
  OBS_HOST_CHANGED_ROLE: 'unavailable',
};

const NETWORK_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

export function classifyPgError(err: unknown): PgErrorKind {
  const e = err as { code?: string; message?: string } | undefined;
  const code = e?.code ?? '';
  if (BY_SQLSTATE[code]) return BY_SQLSTATE[code];
  if (code.startsWith('08')) return 'unavailable';
  if (NETWORK_ERRNO.has(code)) return 'unavailable';
  const msg = e?.message ?? '';
  if (
    /Connection terminated|timeout expired|Query read timeout|connect ETIMEDOUT|Client has encountered a connection error|server closed the connection/i.test(
      msg,
    )
  )
    return 'unavailable';
  return 'other';
}

/** host:port/db of a connection string — never the user or password. */
export function describeTarget(url: string | undefined): string {
  if (!url) return 'the status store';
  try {
    return describeHosts(url);
  } catch {
    return 'the configured DATABASE_URL';
  }
}

/**
 * Any failure met reading the store, as the typed error that names its cause and fix (a raw
 * driver error is classified; typed errors and non-errors pass through). The CLI, the views and
 * the TUI all go through here, so one failure reads the same everywhere.
 */
export function asStoreError(err: unknown, url?: string): unknown {
  return err instanceof Error ? toStoreError(err, url) : err;
}

/** Converts a low-level failure to the typed error callers and the CLI understand. */
export function toStoreError(err: unknown, url: string | undefined): ObservatoryError {
  if (err instanceof ObservatoryError) return err;
  const kind = classifyPgError(err);
  const e = err as { code?: string; message?: string };
  const what = oneLine(redactString(`${e?.code ? e.code + ': ' : ''}${e?.message ?? String(err)}`), 200);
  // " at host:port/db" when the caller knows the URL; readers that do not just leave it out
  const at = url ? ` at ${describeTarget(url)}` : '';
  switch (kind) {
    case 'unavailable':
      return new StoreUnavailableError(`cannot reach the status store${at} (${what})`, {
        hint: STORE_UNREACHABLE_FIX,
        cause: err,
      });
    case 'auth':
      return new StoreUnavailableError(`the status store${at} rejected the credentials`, { hint: 'check the user and password in DATABASE_URL', cause: err });
    case 'missing_database':
      return new StoreUnavailableError(`the database${at} does not exist`, { hint: 'create it, or fix the database name in DATABASE_URL', cause: err });
    case 'schema_missing':
      return new StoreUnavailableError(`the status store${at} has no observatory schema`, {
        hint: 'run `observatory migrate` (or `observatory up`)',
        cause: err,
      });
    default:
      return new ObservatoryError('DB_ERROR', `status store error: ${what}`, { cause: err });
  }
}
