/** The SDK's typed errors (stable codes) and the error → reason-code rule its events use. */
import { ObservatoryError } from '../core/errors.js';
import { REASON_CODE_RE, type EventIssue } from '../core/events-schema.js';
import { sanitizeError } from '../core/redact.js';

/** A bad event: the caller's bug. Lists every problem by field; never echoes values. */
export class EventValidationError extends ObservatoryError {
  readonly issues: EventIssue[];
  constructor(issues: EventIssue[]) {
    super('EVENT_INVALID', `invalid usage event: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { exitCode: 64 });
    this.issues = issues;
  }
}

/** The recorder cannot keep proof (spool full, or too much pending): the bot must not trade. */
export class SpoolFullError extends ObservatoryError {
  constructor(message: string) {
    super('SPOOL_FULL', message, { hint: 'restore the status store (DATABASE_URL) or free OBSERVATORY_HOME/spool; the bot must not trade meanwhile' });
  }
}

export class RecorderClosedError extends ObservatoryError {
  constructor() {
    super('RECORDER_CLOSED', 'the usage recorder is closed');
  }
}

/** A secret-looking code (long mixed letters+digits run) is not a reason code. */
function safeCode(raw: string): string | null {
  const c = raw.toUpperCase().replace(/[.\-\s]+/g, '_');
  if (!REASON_CODE_RE.test(c)) return null;
  if (c.split('_').some((seg) => seg.length > 24 || (seg.length >= 12 && /\d/.test(seg) && /[A-Z]/.test(seg)))) return null;
  return c;
}

/** error → stable reason code: its code if safe, else HTTP_<status>, else its class name, else ERROR. */
export function reasonCodeOf(err: unknown): string {
  const e = err as { code?: unknown; status?: unknown; statusCode?: unknown; name?: unknown } | undefined;
  const s = sanitizeError(err, 'ERROR');
  if (typeof e?.code === 'string') {
    const c = safeCode(s.code);
    if (c) return c;
  }
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599) return `HTTP_${status}`;
  if (typeof e?.name === 'string' && e.name !== 'Error' && /^[A-Za-z]{1,48}$/.test(e.name)) {
    const snake = safeCode(e.name.replace(/([a-z])([A-Z])/g, '$1_$2'));
    if (snake) return snake;
  }
  return 'ERROR';
}
