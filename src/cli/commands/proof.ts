/** Registration of `proof` (Panel B). */
import type { Command } from 'commander';
import type { RunCommand } from './run.js';

export function registerProof(program: Command, run: RunCommand): void {
  program
    .command('proof')
    .description("proof of use (Panel B): the 10 most active bots, or one bot's evidence per integration")
    .argument('[bot]', 'bot UUID or name (an ambiguous name is refused with the candidates)')
    .option('--hours <n>', 'window in hours', '24')
    .option('--limit <n>', 'how many bots to list', '10')
    .option('--json', "print the API's JSON (/api/system/bots, /api/system/bots/:id/proof)")
    .addHelpText('after', '\nCounts come only from rows real bot activity wrote (usage events, runs); SIM fills never count as broker use.')
    .action(async (bot: string | undefined, opts: { hours: string; limit: string; json?: boolean }) => {
      await run(async (ctx) => (await import('../proof.js')).run(ctx, bot, opts));
    });
}
