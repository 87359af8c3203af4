/**
 * The one description of a status-store outage, read the same by every face: the views'
 * STATUS_UNAVAILABLE blocker, the HTTP API's 503 body and the TUI's outage banner. A raw
 * driver error is classified first (db/errors.ts), so a missing database or schema names
 * its own cause and fix; the text is sanitized (one line, secrets redacted).
 */
import { isObservatoryError, STORE_UNREACHABLE_FIX, StoreUnavailableError } from './errors.js';
import { asStoreError } from './db/errors.js';
import { redactString, sanitizeError } from './redact.js';

export interface OutageDescription {
  /** the failure is the store's (unreachable, credentials, database or schema missing) */
  storeUnavailable: boolean;
  /** the classified error's stable code: STATUS_UNAVAILABLE, DB_ERROR, a SQLSTATE… */
  code: string;
  /** one sanitized line naming the cause */
  cause: string;
  /** "status store unreachable: <cause>" — the message every face shows */
  message: string;
  /** the classified cause's own fix (redacted), null when it has none */
  hint: string | null;
  /** what to do: the cause's own fix, else the generic one */
  fix: string;
}

/** `url` (when the caller knows it) lets the cause name host:port/db — never credentials. */
export function describeOutage(err: unknown, url?: string): OutageDescription {
  const typed = asStoreError(err, url);
  const e = sanitizeError(typed, 'STATUS_UNAVAILABLE');
  const hint = isObservatoryError(typed) && typed.hint ? redactString(typed.hint) : null;
  return {
    storeUnavailable: typed instanceof StoreUnavailableError,
    code: e.code,
    cause: e.message,
    message: `status store unreachable: ${e.message}`,
    hint,
    fix: hint ?? STORE_UNREACHABLE_FIX,
  };
}
