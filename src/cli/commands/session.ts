/** Registration of `observatory session`: the market session now or at an instant (no store needed). */
import type { Command } from 'commander';
import type { RunCommand } from './run.js';

export function registerSession(program: Command, run: RunCommand): void {
  program
    .command('session')
    .description('market session now or at an instant: open/closed/break, why, this session, next open')
    .option('-g, --group <group>', "product group (default: the config's market.default_group, equity_index)")
    .option('--at <iso>', 'evaluate at this instant instead of now (ISO 8601 with a zone, e.g. 2025-11-28T08:30:00-06:00)')
    .option('--json', 'print the JSON of GET /api/session')
    .addHelpText(
      'after',
      `
States: open · break (the daily 16:00–17:00 CT maintenance break, or an intraday pause) · closed
(weekend, holiday, after an early close, an operator closure). Sessions, holidays and early closes
come from dated CME Globex rules plus the config file's \`calendar\` section; times are in the
calendar's zone (America/Chicago) and "now" is this machine's clock.

Examples:
  observatory session
  observatory session --at 2025-12-24T11:00:00-06:00
  observatory session --group equity_index --json | jq .state

Exit codes: 0 · 64 unknown group or malformed --at · 78 bad config file.`,
    )
    .action(async (opts: { group?: string; at?: string; json?: boolean }) => {
      await run(async (ctx) => (await import('../session.js')).run(ctx, opts));
    });
}
