/** Registration of `bot run` (the reference bot; its code is src/cli/bot.ts and src/runner). */
import type { Command } from 'commander';
import type { RunCommand } from './run.js';

export function registerBot(program: Command, run: RunCommand): void {
  const bot = program.command('bot').description('the reference paper/shadow bot (records real usage through the SDK)');
  bot
    .command('run')
    .description('run the reference bot: gate → market data → risk check → broker (paper/shadow) → optional AI')
    .requiredOption('-m, --mode <mode>', 'paper or shadow (live is refused)')
    .option('-b, --bot <id>', 'bot UUID (default: derived from --bot-name)')
    .option('--bot-name <name>', 'bot name', 'reference-bot')
    .option('-n, --iterations <n>', 'iterations', '3')
    .option('--interval-ms <ms>', 'pause between iterations', '1000')
    .option('--symbol <symbol>', 'market data symbol (default ES.c.0 on Databento, SPY on Polygon)')
    .option(
      '--broker-symbol <symbol>',
      "the futures contract paper orders name at the broker (e.g. ESZ5); default Databento's contract — Polygon's SPY is refused (SYMBOL_UNSUPPORTED)",
    )
    .option('--qty <n>', 'target position in contracts', '1')
    .option('--bars <n>', 'recent 1-minute bars per iteration', '120')
    .option('--dataset <id>', 'Databento dataset', 'GLBX.MDP3')
    .option('--model <model>', 'OpenAI model for the optional regime tag', 'gpt-4o-mini')
    .option('--strict', 'a DEGRADED gate blocks too')
    .option('--timeout-ms <ms>', 'per vendor request', '10000')
    .option('--fill-wait-ms <ms>', 'how long to wait for a paper fill', '3000')
    .option('--json', 'summary as JSON on stdout (steps on stderr)')
    .addHelpText(
      'after',
      `
Fail-closed: a BLOCKED gate stops the run before any call (exit 2) and records a BLOCKED event.
Without broker credentials, paper orders are recorded BLOCKED MISSING_CREDENTIALS — never a fake fill.
Shadow mode never sends orders; its fills are recorded with provenance SIM (never proof of broker use).
Exit: 0 succeeded · 1 failed · 2 blocked · 64 usage · 130 interrupted.`,
    )
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      await run(async (ctx) => (await import('../bot.js')).run(ctx, opts as never));
    });
}
