/** Registration of the operator's look-ups: `trace` (every row behind a trace id) and `history` (status over time). */
import type { Command } from 'commander';
import type { RunCommand } from './run.js';

export function registerTrace(program: Command, run: RunCommand): void {
  program
    .command('trace')
    .description('every stored row that carries a trace id: probe, usage event, run, blocker source, fault drill, variable sighting')
    .argument('<trace_id>', '32 lowercase hex digits, as printed by status, gate check, events or the TUI')
    .option('--json', "print the API's /api/trace/:id JSON")
    .addHelpText(
      'after',
      '\nExample: observatory trace 4bf92f3577b34da6a3ce929d0e0e4736\nExit 0 when rows were found, 1 when none carry the id, 64 for an id that is not one.',
    )
    .action(async (id: string, opts: { json?: boolean }) => {
      await run(async (ctx) => (await import('../trace.js')).run(ctx, id, opts));
    });
}

export function registerHistory(program: Command, run: RunCommand): void {
  program
    .command('history')
    .description("an integration's status history from its probe rows: transitions, time in each status, uptime %, flaps")
    .argument('<name>', 'integration name (see `observatory status`)')
    .option('--since <duration>', 'how far back: 1m to 90d', '7d')
    .option('--json', "print the API's /api/history/:name JSON")
    .addHelpText(
      'after',
      '\nUptime counts OK and DEGRADED time as up and leaves maintenance windows out; time past the\n' +
        'staleness bound without a probe counts as BLOCKED (PROBE_STALE), as the gate would read it.\nA flap is an excursion from OK that is back within 5 minutes.\n\nExample: observatory history polygon --since 24h',
    )
    .action(async (name: string, opts: { since: string; json?: boolean }) => {
      await run(async (ctx) => (await import('../history.js')).run(ctx, name, opts));
    });
}
