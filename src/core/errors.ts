/**
 * Typed errors with stable codes. Each carries the process exit code it maps to,
 * so every command ends the same way for the same failure (see README "Exit codes").
 */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  GATE_DEGRADED: 1,
  GATE_BLOCKED: 2,
  GATE_UNKNOWN: 3,
  USAGE: 64,
  SCHEMA_TOO_NEW: 76,
  CONFIG: 78,
} as const;

export class ObservatoryError extends Error {
  /** stable, machine-readable code, e.g. CONFIG_INVALID */
  readonly code: string;
  readonly exitCode: number;
  /** one line telling the user what to do */
  readonly hint?: string;

  constructor(code: string, message: string, opts: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = opts.exitCode ?? ExitCode.FAILURE;
    this.hint = opts.hint;
  }
}

export class ConfigError extends ObservatoryError {
  constructor(message: string, hint?: string) {
    super('CONFIG_INVALID', message, { exitCode: ExitCode.CONFIG, hint });
  }
}

export class UsageError extends ObservatoryError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, { exitCode: ExitCode.USAGE, hint });
  }
}

/** The status store cannot be reached or used. Gate commands turn this into UNKNOWN (exit 3). */
export class StoreUnavailableError extends ObservatoryError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('STATUS_UNAVAILABLE', message, { exitCode: ExitCode.FAILURE, ...opts });
  }
}

export class SchemaTooNewError extends ObservatoryError {
  constructor(dbVersion: number, codeVersion: number) {
    super('SCHEMA_TOO_NEW', `database schema is at migration ${dbVersion}, newer than this observatory build knows (${codeVersion})`, {
      exitCode: ExitCode.SCHEMA_TOO_NEW,
      hint: 'upgrade observatory to a version that includes these migrations',
    });
  }
}

/** A bot name (or id) that names more than one bot: refused, with the candidates, never guessed. */
export class AmbiguousBotError extends UsageError {
  constructor(
    ref: string,
    readonly candidates: ReadonlyArray<{ bot_id: string; name: string | null }>,
  ) {
    super(
      `bot '${ref.slice(0, 128)}' is ambiguous: it names ${candidates.length} bots: ${candidates.map((c) => `${c.bot_id}${c.name !== null ? ` (${c.name})` : ''}`).join(', ')}`,
      'pass the bot id (UUID) instead',
    );
  }
}

export function isObservatoryError(err: unknown): err is ObservatoryError {
  return err instanceof ObservatoryError;
}

/** What to do when the status store cannot be reached and the cause is not known more precisely. */
export const STORE_UNREACHABLE_FIX =
  'Check that PostgreSQL is running and reachable at DATABASE_URL (without DATABASE_URL: start the embedded store with `observatory up`)';
