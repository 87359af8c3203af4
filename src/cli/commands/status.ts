/** Registration of the health readers: status (Panel A) and variables (Panel C). */
import type { Command } from 'commander';
import { modeOption, type RunCommand } from './run.js';

export function registerStatus(program: Command, run: RunCommand): void {
  program
    .command('status')
    .description('integration health (Panel A): connected, status, last OK/probe, latency, required, reason')
    .addOption(modeOption())
    .option('--json', "print the API's /api/system/status JSON")
    .option('-t, --timeout <duration>', 'answer within this long (e.g. 5s, 30s); --json then prints STATUS_UNAVAILABLE and exits 3', '10s')
    .addHelpText(
      'after',
      '\nReads what the daemon recorded; before any probe an integration is BLOCKED NEVER_PROBED, never OK.\n' +
        'With --json an unreadable or silent store still answers on stdout: success false, UNKNOWN, STATUS_UNAVAILABLE, exit 3.',
    )
    .action(async (opts: { json?: boolean; mode: 'live' | 'paper' | 'shadow'; timeout: string }) => {
      await run(async (ctx) => {
        const timeoutMs = (await import('../deadline.js')).parseTimeout(opts.timeout);
        return (await import('../status.js')).run(ctx, { ...opts, timeoutMs });
      });
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
