/** Registration of the drills: fault inject | list | clear. */
import type { Command } from 'commander';
import type { RunCommand } from './run.js';

export function registerFault(program: Command, run: RunCommand): void {
  const fault = program.command('fault').description('drills: inject, list and clear faults the leading daemon honours');
  fault
    .command('inject')
    .description("make NAME's probes see an HTTP status and/or extra latency until the TTL ends")
    .argument('<name>', 'integration')
    .option('-s, --status <code>', 'HTTP status the probe sees, e.g. 503')
    .option('-l, --latency-ms <ms>', 'extra latency added to each probe')
    .option('-t, --ttl <duration>', 'how long the drill lasts (max 24h)', '5m')
    .option('--json', 'print the stored fault as JSON')
    .addHelpText('after', '\nExample: observatory fault inject databento --status 503 --ttl 5m')
    .action(async (name: string, opts: { status?: string; latencyMs?: string; ttl: string; json?: boolean }) => {
      await run(async (ctx) => (await import('../fault.js')).inject(ctx, name, opts));
    });
  fault
    .command('list')
    .description('active drills')
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) => {
      await run(async (ctx) => (await import('../fault.js')).list(ctx, opts));
    });
  fault
    .command('clear')
    .description('end the active drills on NAME (or --all)')
    .argument('[name]', 'integration')
    .option('-a, --all', 'clear every active drill')
    .option('--json', 'JSON output')
    .action(async (name: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      await run(async (ctx) => (await import('../fault.js')).clear(ctx, name, opts));
    });
}
