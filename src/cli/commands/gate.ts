/**
 * Registration of the verdict commands, gate check (Panel D) and probe: their failures read
 * as UNKNOWN (exit 3), never 0/1 — program.ts maps them (VERDICT_COMMANDS).
 */
import type { Command } from 'commander';
import { modeOption, type RunCommand } from './run.js';

export function registerGate(program: Command, run: RunCommand): void {
  const gate = program.command('gate').description('the autonomy gate (Panel D)');
  gate
    .command('check')
    .description('exit 0 OK (DEGRADED too unless --strict), 1 DEGRADED --strict, 2 BLOCKED, 3 UNKNOWN')
    .addOption(modeOption())
    .option('-b, --bot <id|name>', "also apply this bot's own blockers (its runs, heartbeat, BLOCKED attempts); a UUID or the bot's name")
    .option('--strict', 'treat DEGRADED as failure (exit 1)')
    .option('--max-age <duration>', 'tighten staleness: data older than this (e.g. 90s, 5m) blocks')
    .option('--json', "print the API's /api/system/autonomy JSON")
    .addHelpText(
      'after',
      `
Exit codes (Nagios/Consul style): 0 OK · 0 DEGRADED (1 with --strict) · 2 BLOCKED · 3 UNKNOWN.
UNKNOWN means no verdict could be reached (store unreachable, bad config, bad flag) — never 0.
Each blocker prints its code, integration, an actionable fix and its trace_id.

Examples:
  observatory gate check --mode paper && ./deploy.sh
  observatory gate check --bot 4f6c…  --json | jq .blockers
  observatory gate check --mode paper --bot es-momentum`,
    )
    .action(async (opts: { mode: 'live' | 'paper' | 'shadow'; bot?: string; strict?: boolean; maxAge?: string; json?: boolean }) => {
      await run(async (ctx) => {
        const { parseDuration } = await import('../../core/duration.js');
        const maxAge = opts.maxAge ? parseDuration(opts.maxAge, '--max-age') : undefined;
        return (await import('../gate.js')).run(ctx, { ...opts, maxAge });
      });
    });
}

export function registerProbe(program: Command, run: RunCommand): void {
  program
    .command('probe')
    .description("probe integrations once now (cron-friendly), record the results, exit with the gate's code")
    .argument('[names...]', 'integrations to probe')
    .option('-a, --all', 'probe every integration')
    .addOption(modeOption())
    .option('--strict', 'treat DEGRADED as failure (exit 1)')
    .option('--json', 'print probe results and the gate as JSON')
    .action(async (names: string[], opts: { all?: boolean; mode: 'live' | 'paper' | 'shadow'; strict?: boolean; json?: boolean }) => {
      await run(async (ctx) => (await import('../probe.js')).run(ctx, names, opts));
    });
}
