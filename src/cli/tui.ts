/**
 * `observatory tui`: the on-call terminal UI (live; its panels are listed in src/tui/panels/).
 * Read-only. The Ink app lives in src/tui/ and is imported only here, on use, so no other
 * command pays for ink or react.
 */
import type { CommandContext } from './context.js';
import type { Mode } from '../core/types.js';
import { MODES } from '../core/types.js';
import { UsageError } from '../core/errors.js';

export interface TuiCommandOptions {
  mode: Mode;
  /** polling interval (fallback to LISTEN/NOTIFY), default 2000 */
  intervalMs?: number;
}

/**
 * React picks its build once, on first import, from NODE_ENV; unset means development, whose
 * renderer records a performance.measure entry per component render in Node's perf timeline,
 * which keeps them all: an on-call screen polling every 2 s grew ~35 MB a minute. The TUI runs
 * the production build unless the caller chose a NODE_ENV explicitly (tests may want dev).
 */
export function preferProductionReact(env: NodeJS.ProcessEnv): void {
  if (env.NODE_ENV === undefined || env.NODE_ENV === '') env.NODE_ENV = 'production';
}

export async function run(ctx: CommandContext, opts: TuiCommandOptions): Promise<number> {
  if (!(MODES as readonly string[]).includes(opts.mode)) throw new UsageError(`--mode: expected one of ${MODES.join(', ')}`);
  if (opts.intervalMs !== undefined && (!Number.isFinite(opts.intervalMs) || opts.intervalMs < 250 || opts.intervalMs > 600_000))
    throw new UsageError('--interval: expected milliseconds between 250 and 600000');
  // Ink decides once, on import, that a CI environment gets no live frames (is-in-ci) — so an
  // operator's interactive terminal with CI=1 exported would show a blank screen. A terminal
  // on both ends is interactive whatever CI says; piped output keeps the plain one-frame path.
  if (process.stdout.isTTY && process.stdin.isTTY) {
    delete process.env.CI;
    delete process.env.CONTINUOUS_INTEGRATION;
  }
  preferProductionReact(process.env);
  const { runTui } = await import('../tui/main.js');
  return runTui(ctx, opts);
}
