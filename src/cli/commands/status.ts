/** Registration of the health readers: status (Panel A) and variables (Panel C). */
import type { Command } from 'commander';
import { modeOption, type RunCommand } from './run.js';

export function registerStatus(program: Command, run: RunCommand): void {
  program
    .command('status')
    .description('integration health (Panel A): connected, status, last OK/probe, latency, required, reason')
    .addOption(modeOption())
    .option('--json', "print the API's /api/system/status JSON")
    .addHelpText('after', '\nReads what the daemon recorded; before any probe an integration is BLOCKED NEVER_PROBED, never OK.')
    .action(async (opts: { json?: boolean; mode: 'live' | 'paper' | 'shadow' }) => {
      await run(async (ctx) => (await import('../status.js')).run(ctx, opts));
    });
}

export function registerVariables(program: Command, run: RunCommand): void {
  program
    .command('variables')
    .description('the variable catalog (Panel C): signals bots can use, availability, last use — never values')
    .option('-g, --group <group>', 'market_data, order_execution, risk or ai')
    .option('--json', "print the API's /api/system/variables JSON")
    .action(async (opts: { json?: boolean; group?: string }) => {
      await run(async (ctx) => (await import('../variables.js')).run(ctx, opts));
    });
}
