/**
 * Registration of the verdict commands, gate check (Panel D) and probe: their failures read
 * as UNKNOWN (exit 3), never 0/1 — program.ts maps them (VERDICT_COMMANDS).
 */
import type { Command } from 'commander';
import { modeOption, type RunCommand } from './run.js';

// kept here, not imported from ../deadline.js: registration stays free of command code
const TIMEOUT_OPTION_HELP = 'answer within this long, else UNKNOWN (exit 3) with STATUS_UNAVAILABLE (e.g. 5s, 30s)';

export function registerGate(program: Command, run: RunCommand): void {
  const gate = program.command('gate').description('the autonomy gate (Panel D)');
  gate
    .command('check')
    .description('exit 0 OK (DEGRADED too unless --strict), 1 DEGRADED --strict, 2 BLOCKED, 3 UNKNOWN')
    .addOption(modeOption())
    .option('-b, --bot <id|name>', "also apply this bot's own blockers (its runs, heartbeat, BLOCKED attempts); a UUID or the bot's name")
    .option('--strict', 'treat DEGRADED as failure (exit 1)')
    .option('--max-age <duration>', 'tighten staleness: data older than this (e.g. 90s, 5m) blocks')
    .option('--at <iso>', 'evaluate the session-dependent rules (maintenance windows, market-data staleness) for this instant, e.g. 2025-11-28T08:30:00-06:00')
    .option('--json', "print the API's /api/system/autonomy JSON")
    .option('-t, --timeout <duration>', TIMEOUT_OPTION_HELP, '10s')
    .addHelpText(
      'after',
      `
Exit codes (Nagios/Consul style): 0 OK · 0 DEGRADED (1 with --strict) · 2 BLOCKED · 3 UNKNOWN.
UNKNOWN means no verdict could be reached (store unreachable or silent past --timeout, bad config,
bad flag) — never 0. A verdict always comes within --timeout (default 10s).
Each blocker prints its code, integration, an actionable fix and its trace_id.

--at ISO answers "will the 08:30 CT deploy be inside a session, outside maintenance?": maintenance
windows and BOT_DATA_STALE are judged at that instant (the data's age as known now); probe and
heartbeat ages are always now. A malformed --at is a bad flag (exit 3, GATE_INPUT_INVALID).

Examples:
  observatory gate check --mode paper && ./deploy.sh
  observatory gate check --mode paper --at 2025-12-01T08:30:00-06:00
  observatory gate check --bot 4f6c…  --json | jq .blockers
  observatory gate check --mode paper --bot es-momentum`,
    )
    .action(
      async (opts: { mode: 'live' | 'paper' | 'shadow'; bot?: string; strict?: boolean; maxAge?: string; at?: string; json?: boolean; timeout: string }) => {
        await run(async (ctx) => {
          const { parseDuration } = await import('../../core/duration.js');
          const maxAge = opts.maxAge ? parseDuration(opts.maxAge, '--max-age') : undefined;
          const at = opts.at === undefined ? undefined : (await import('../../core/calendar/index.js')).parseAt(opts.at);
          const timeoutMs = (await import('../deadline.js')).parseTimeout(opts.timeout);
          return (await import('../gate.js')).run(ctx, { ...opts, maxAge, at, timeoutMs });
        });
      },
    );
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
    .option('-t, --timeout <duration>', TIMEOUT_OPTION_HELP, '10s')
    .action(async (names: string[], opts: { all?: boolean; mode: 'live' | 'paper' | 'shadow'; strict?: boolean; json?: boolean; timeout: string }) => {
      await run(async (ctx) => {
        const timeoutMs = (await import('../deadline.js')).parseTimeout(opts.timeout);
        return (await import('../probe.js')).run(ctx, names, { ...opts, timeoutMs });
      });
    });
}
