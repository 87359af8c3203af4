/** Registration of `events` (sanitized usage events, optionally followed live). */
import type { Command } from 'commander';
import type { RunCommand } from './run.js';

export function registerEvents(program: Command, run: RunCommand): void {
  program
    .command('events')
    .description('sanitized usage events, newest last; --follow streams new ones live')
    .option('-i, --integration <name>', 'only this integration')
    .option('-b, --bot <id>', 'only this bot')
    .option('-r, --run <id>', 'only this run')
    .option('-s, --status <status>', 'OK, ERROR or BLOCKED')
    .option('--since <when>', 'ISO time or a duration ago (e.g. 15m, 24h)')
    .option('-n, --limit <n>', 'how many (1–1000)', '50')
    .option('-f, --follow', 'keep streaming new events (Ctrl-C stops)')
    .option('--json', 'one JSON object per line')
    .action(
      async (opts: { integration?: string; bot?: string; run?: string; status?: string; since?: string; limit: string; follow?: boolean; json?: boolean }) => {
        await run(async (ctx) => (await import('../events.js')).run(ctx, opts));
      },
    );
}
