/**
 * What every registration file shares: how an action runs its command (context made lazily,
 * exit code handed back to main — no process-wide state), and the --mode option.
 */
import { Option, type Command } from 'commander';
import { MODES } from '../../core/types.js';
import type { CommandContext, GlobalOptions } from '../context.js';

/** Runs a command's code with its context; resolves once its exit code is recorded. */
export type RunCommand = (fn: (ctx: CommandContext) => Promise<number>, opts?: { longRunning?: boolean }) => Promise<void>;

/** A RunCommand for `program`; `setExitCode` receives the command's exit code. One-shot commands log warnings only, long-running ones use LOG_LEVEL. */
export function commandRunner(program: Command, setExitCode: (code: number) => void): RunCommand {
  return async (fn, opts = {}) => {
    const { makeContext } = await import('../context.js');
    const ctx = makeContext(program.opts<GlobalOptions>(), opts.longRunning ? undefined : 'warn');
    setExitCode(await fn(ctx));
  };
}

export const modeOption = () => new Option('-m, --mode <mode>', 'trading mode whose requirements apply').choices([...MODES]).default('live');
