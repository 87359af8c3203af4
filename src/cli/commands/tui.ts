/** Registration of `tui` (the on-call terminal UI; its code is src/cli/tui.ts and src/tui). */
import type { Command } from 'commander';
import { modeOption, type RunCommand } from './run.js';

export function registerTui(program: Command, run: RunCommand): void {
  program
    .command('tui')
    .description('the on-call terminal UI: panels A–D, live (LISTEN/NOTIFY + polling), read-only')
    .addOption(modeOption())
    .option('-i, --interval <ms>', 'polling fallback interval (250–600000)', '2000')
    .addHelpText(
      'after',
      '\nKeys: 1–4/Tab panels · ↑↓/j k move · Enter drawer · Esc close · / filter · b bot · m mode · r refresh · ? help · q quit.\nNot a TTY: prints one plain frame and exits (use `observatory status` / `gate check` in scripts).',
    )
    .action(async (opts: { mode: 'live' | 'paper' | 'shadow'; interval: string }) => {
      await run(async (ctx) => (await import('../tui.js')).run(ctx, { mode: opts.mode, intervalMs: Number(opts.interval) }), { longRunning: true });
    });
}
