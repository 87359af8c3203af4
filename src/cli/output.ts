/**
 * Human output helpers shared by the commands: colour decision (chalk ignores NO_COLOR, so we
 * decide), status badges that never rely on colour alone, ages, and JSON printing. Everything
 * printed passes the sanitizer.
 */
import type { ChalkInstance } from 'chalk';
import { redactDeep, redactString } from '../core/redact.js';

export function colorEnabled(opts: { color?: boolean } = {}, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (opts.color === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.TERM === 'dumb') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

/**
 * What chalk is at level 0, without loading it: any chain of styles (c.red.bold) returns its text
 * as given. Not a thenable (no `then`), so it can be the value of a promise.
 */
const PLAIN: ChalkInstance = new Proxy((...text: unknown[]) => text.join(' '), {
  get: (_, prop) => (typeof prop === 'string' && prop !== 'then' ? PLAIN : undefined),
}) as unknown as ChalkInstance;

/** The painter for this output; chalk is loaded only when colour is on (deploy scripts' `gate check` prints plain text). */
export async function makeChalk(enabled: boolean): Promise<ChalkInstance> {
  if (!enabled) return PLAIN;
  const { Chalk } = await import('chalk');
  return new Chalk({ level: 1 });
}

export type StatusColour = 'green' | 'yellow' | 'red' | 'magenta';

/** The one status → colour table, read by the CLI (chalk) and the TUI (<Text color>). */
export function statusColour(status: string | null | undefined): StatusColour {
  switch (status) {
    case 'OK':
      return 'green';
    case 'DEGRADED':
    case 'ERROR':
      return 'yellow';
    case 'BLOCKED':
      return 'red';
    default:
      return 'magenta';
  }
}

/** A status as text (always) and colour (when enabled); BLOCKED is bold, as in the TUI. */
export function badge(c: ChalkInstance, status: string): string {
  const paint = c[statusColour(status)];
  return status === 'BLOCKED' ? paint.bold(status) : paint(status);
}

export function ago(iso: string | Date | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const t = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(redactDeep(value), null, 2) + '\n');
}

export function printLine(s = ''): void {
  process.stdout.write(redactString(s) + '\n');
}

/** A note for the operator on stderr (stdout stays data for pipes and --json). */
export function printErr(s: string): void {
  process.stderr.write(redactString(s) + '\n');
}
