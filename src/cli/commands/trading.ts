/** Registration of the kill switch: halt | reduce | resume (one scope each) and trading-state. */
import { Option, type Command } from 'commander';
import type { RunCommand } from './run.js';

export interface TradingFlags {
  global?: boolean;
  account?: string;
  bot?: string;
  integration?: string;
  reason?: string;
  ttl?: string;
  yes?: boolean;
  json?: boolean;
}

const HELP = `
Scopes nest: global ⊃ account (the events' user_id) ⊃ bot ⊃ integration; an order is under the
most restrictive state among its scopes. HALTED: no new orders or modifications, cancels allowed.
REDUCING: only orders that reduce the position, cancels allowed. Every change is an audit row
(actor = your OS user); \`observatory trading-state\` shows what is in force and why.

Examples:
  observatory halt --global --reason "runaway orders on ES" --ttl 30m
  observatory reduce --bot 3f0c…-… --reason "flatten before the close"
  observatory halt --integration tradovate --reason "broker incident"
  observatory resume --global --reason "fixed in #123" --yes

Bad input (unknown target, empty reason, nothing to resume, expiry in the past, a second
confirmation by the same actor) exits 64 and writes nothing.`;

function scoped(cmd: Command): Command {
  return cmd
    .addOption(new Option('-g, --global', 'every bot, account and integration').conflicts(['account', 'bot', 'integration']))
    .addOption(new Option('-a, --account <user_id>', "one account: the events' user_id (UUID)").conflicts(['bot', 'integration']))
    .addOption(new Option('-b, --bot <bot_id>', 'one bot (UUID)').conflicts(['integration']))
    .option('-i, --integration <name>', 'everything routed to one integration, e.g. tradovate')
    .option('-r, --reason <text>', 'why (required; kept in the audit)')
    .option('--json', 'print the change as JSON (the API shape)');
}

export function registerTrading(program: Command, run: RunCommand): void {
  const impl = () => import('../trading-state.js');
  scoped(program.command('halt').description('kill switch: HALT trading in a scope (no new orders or modifications; cancels allowed)'))
    .option('-t, --ttl <duration|ISO>', 'lift by itself after this long (30m, 2h) or at this instant')
    .addHelpText('after', HELP)
    .action(async (opts: TradingFlags) => run(async (ctx) => (await impl()).change(ctx, 'halt', opts)));
  scoped(program.command('reduce').description('kill switch: REDUCING in a scope (only orders that reduce exposure; cancels allowed)'))
    .option('-t, --ttl <duration|ISO>', 'lift by itself after this long (30m, 2h) or at this instant')
    .addHelpText('after', HELP)
    .action(async (opts: TradingFlags) => run(async (ctx) => (await impl()).change(ctx, 'reduce', opts)));
  scoped(program.command('resume').description('kill switch: back to ACTIVE in a scope (a global resume asks for confirmation)'))
    .option('-y, --yes', 'confirm a global resume without the prompt (scripts)')
    .addHelpText('after', HELP)
    .action(async (opts: TradingFlags) => run(async (ctx) => (await impl()).change(ctx, 'resume', opts)));
  program
    .command('trading-state')
    .description('kill switch: the scopes in force (who, why, since), pending resumes, recent changes')
    .option('-n, --recent <n>', 'how many audit rows to show', '10')
    .option('--json', 'JSON output (GET /api/trading-state)')
    .action(async (opts: { recent: string; json?: boolean }) => run(async (ctx) => (await impl()).show(ctx, opts)));
}
