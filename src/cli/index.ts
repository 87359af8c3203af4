/**
 * The CLI. Commands are declared here and their code is loaded lazily on use, so
 * `gate check` never pays for ink, react or the HTTP server.
 *
 * Exit codes: 0 success, 1 runtime failure, 64 usage error, 76 schema newer than this
 * build, 78 configuration error; `gate check` / `probe` follow the monitoring convention
 * (0 OK, 1 DEGRADED --strict, 2 BLOCKED, 3 UNKNOWN) and turn any other failure into 3.
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, isObservatoryError, UsageError } from '../core/errors.js';
import { oneLine, redactString, registerSecretsFromEnv } from '../core/redact.js';
import { VERSION } from '../core/version.js';
import { MODES, type Mode } from '../core/types.js';
import type { CommandContext, GlobalOptions } from './context.js';

/** Commands whose failures must read as UNKNOWN (3), never as 0/1 — monitoring tools rely on it. */
const VERDICT_COMMANDS = new Set<string>(['gate check', 'probe']);

let activeCommand = '';

/** Error text for stderr: the env's secrets are registered first, since this path can run before any config load. */
function safe(text: string, max: number): string {
  registerSecretsFromEnv(process.env);
  return oneLine(redactString(text), max);
}

function fail(err: unknown): number {
  const verdict = VERDICT_COMMANDS.has(activeCommand);
  if (isObservatoryError(err)) {
    const hint = err.hint ? ` — ${safe(err.hint, 300)}` : '';
    process.stderr.write(`observatory: ${safe(err.message, 400)}${hint}\n`);
    if (verdict && err.exitCode !== ExitCode.GATE_BLOCKED) return ExitCode.GATE_UNKNOWN;
    return err.exitCode;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`observatory: unexpected error: ${safe(msg, 400)} — run with LOG_LEVEL=debug and report it\n`);
  return verdict ? ExitCode.GATE_UNKNOWN : ExitCode.FAILURE;
}

/** Runs a command with its context; one-shot commands log warnings only, long-running ones use LOG_LEVEL. */
async function withContext(program: Command, fn: (ctx: CommandContext) => Promise<number>, longRunning = false): Promise<void> {
  const { makeContext } = await import('./context.js');
  const ctx = makeContext(program.opts<GlobalOptions>(), longRunning ? undefined : 'warn');
  process.exitCode = await fn(ctx);
}

export function buildProgram(): Command {
  const program = new Command('observatory')
    .description(
      'Control-plane observatory and autonomy gate: integration health, proof of use,\n' +
        'the variable catalog and the autonomy gate for the trading platform.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('-c, --config <file>', 'JSON config file (or OBSERVATORY_CONFIG)')
    .option('--no-color', 'plain output (also: NO_COLOR=1, TERM=dumb, or not a TTY)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // commander quotes the offending argument back, and it could be a pasted key
      outputError: (str, write) => write(`observatory: ${safe(str.replace(/^error:\s*/i, ''), 300)} — see \`observatory --help\`\n`),
    })
    .addHelpText(
      'after',
      `
Quick start:
  observatory up                 embedded Postgres + migrations + daemon (foreground)
  observatory migrate            apply database migrations only
  observatory status             integration health table
  observatory gate check         exit code for deploy scripts: 0 ok, 2 blocked, 3 unknown
  observatory tui                the on-call terminal UI (panels A–D, live)

Environment: DATABASE_URL (unset: embedded Postgres under OBSERVATORY_HOME, default ~/.observatory),
OBSERVATORY_CONFIG, OBSERVATORY_PORT/OBSERVATORY_BIND, OBSERVATORY_TOKEN, LIVE_TRADING_ENABLED, LOG_LEVEL.
Exit codes: 0 ok · 1 failure · 64 usage · 76 schema newer than this build · 78 bad config.`,
    );

  program
    .command('up')
    .description('run everything: embedded Postgres (unless DATABASE_URL) + migrations + daemon, in the foreground')
    .addHelpText('after', '\nStops cleanly on SIGINT/SIGTERM (a second signal forces). Logs are JSON on stderr.')
    .action(async () => {
      activeCommand = 'up';
      await withContext(program, async (ctx) => (await import('./up.js')).run(ctx), true);
    });

  program
    .command('daemon')
    .description('run the daemon alone against DATABASE_URL or an already running embedded store')
    .action(async () => {
      activeCommand = 'daemon';
      await withContext(program, async (ctx) => (await import('./daemon.js')).run(ctx), true);
    });

  program
    .command('migrate')
    .description('apply database migrations (starts the embedded store for the duration if needed)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      activeCommand = 'migrate';
      await withContext(program, async (ctx) => (await import('./migrate.js')).run(ctx, opts));
    });

  const modeOption = () =>
    new Option('-m, --mode <mode>', 'trading mode whose requirements apply').choices([...MODES]).default('live');

  program
    .command('status')
    .description('integration health (Panel A): connected, status, last OK/probe, latency, required, reason')
    .addOption(modeOption())
    .option('--json', 'print the API\'s /api/system/status JSON')
    .addHelpText('after', '\nReads what the daemon recorded; before any probe an integration is BLOCKED NEVER_PROBED, never OK.')
    .action(async (opts: { json?: boolean; mode: 'live' | 'paper' | 'shadow' }) => {
      await withContext(program, async (ctx) => (await import('./status.js')).run(ctx, opts));
    });

  const gate = program.command('gate').description('the autonomy gate (Panel D)');
  gate
    .command('check')
    .description('exit 0 OK (DEGRADED too unless --strict), 1 DEGRADED --strict, 2 BLOCKED, 3 UNKNOWN')
    .addOption(modeOption())
    .option('-b, --bot <id>', 'also apply this bot\'s own blockers (its runs, heartbeat, BLOCKED attempts)')
    .option('--strict', 'treat DEGRADED as failure (exit 1)')
    .option('--max-age <duration>', 'tighten staleness: data older than this (e.g. 90s, 5m) blocks')
    .option('--json', 'print the API\'s /api/system/autonomy JSON')
    .addHelpText(
      'after',
      `
Exit codes (Nagios/Consul style): 0 OK · 0 DEGRADED (1 with --strict) · 2 BLOCKED · 3 UNKNOWN.
UNKNOWN means no verdict could be reached (store unreachable, bad config, bad flag) — never 0.
Each blocker prints its code, integration, an actionable fix and its trace_id.

Examples:
  observatory gate check --mode paper && ./deploy.sh
  observatory gate check --bot 4f6c…  --json | jq .blockers`,
    )
    .action(async (opts: { mode: 'live' | 'paper' | 'shadow'; bot?: string; strict?: boolean; maxAge?: string; json?: boolean }) => {
      await withContext(program, async (ctx) => {
        const { parseDuration } = await import('../core/duration.js');
        const maxAge = opts.maxAge ? parseDuration(opts.maxAge, '--max-age') : undefined;
        return (await import('./gate.js')).run(ctx, { ...opts, maxAge });
      });
    });

  program
    .command('probe')
    .description('probe integrations once now (cron-friendly), record the results, exit with the gate\'s code')
    .argument('[names...]', 'integrations to probe')
    .option('-a, --all', 'probe every integration')
    .addOption(modeOption())
    .option('--strict', 'treat DEGRADED as failure (exit 1)')
    .option('--json', 'print probe results and the gate as JSON')
    .action(async (names: string[], opts: { all?: boolean; mode: 'live' | 'paper' | 'shadow'; strict?: boolean; json?: boolean }) => {
      await withContext(program, async (ctx) => (await import('./probe.js')).run(ctx, names, opts));
    });

  program
    .command('proof')
    .description('proof of use (Panel B): the 10 most active bots, or one bot\'s evidence per integration')
    .argument('[bot]', 'bot UUID')
    .option('--hours <n>', 'window in hours', '24')
    .option('--limit <n>', 'how many bots to list', '10')
    .option('--json', 'print the API\'s JSON (/api/system/bots, /api/system/bots/:id/proof)')
    .addHelpText('after', '\nCounts come only from rows real bot activity wrote (usage events, runs); SIM fills never count as broker use.')
    .action(async (bot: string | undefined, opts: { hours: string; limit: string; json?: boolean }) => {
      await withContext(program, async (ctx) => (await import('./proof.js')).run(ctx, bot, opts));
    });

  program
    .command('events')
    .description('sanitized usage events, newest last; --follow streams new ones live')
    .option('-i, --integration <name>', 'only this integration')
    .option('-b, --bot <id>', 'only this bot')
    .option('-r, --run <id>', 'only this run')
    .option('-s, --status <status>', 'OK, ERROR or BLOCKED')
    .option('--since <when>', 'ISO time or a duration ago (e.g. 15m, 24h)')
    .option('-n, --limit <n>', 'how many (1–1000)', '50')
    .option('-f, --follow', 'keep streaming new events (Ctrl-C stops)')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { integration?: string; bot?: string; run?: string; status?: string; since?: string; limit: string; follow?: boolean; json?: boolean }) => {
      await withContext(program, async (ctx) => (await import('./events.js')).run(ctx, opts));
    });

  program
    .command('variables')
    .description('the variable catalog (Panel C): signals bots can use, availability, last use — never values')
    .option('-g, --group <group>', 'market_data, order_execution, risk or ai')
    .option('--json', 'print the API\'s /api/system/variables JSON')
    .action(async (opts: { json?: boolean; group?: string }) => {
      await withContext(program, async (ctx) => (await import('./variables.js')).run(ctx, opts));
    });

  program
    .command('retention')
    .description('drop whole usage-event partitions older than --keep (rollups keep their history)')
    .requiredOption('-k, --keep <duration>', 'how much history to keep, e.g. 90d')
    .option('--dry-run', 'say what would be dropped')
    .option('--json', 'JSON output')
    .action(async (opts: { keep: string; dryRun?: boolean; json?: boolean }) => {
      await withContext(program, async (ctx) => (await import('./retention.js')).run(ctx, opts));
    });

  program
    .command('tui')
    .description('the on-call terminal UI: panels A–D, live (LISTEN/NOTIFY + polling), read-only')
    .addOption(modeOption())
    .option('-i, --interval <ms>', 'polling fallback interval (250–600000)', '2000')
    .addHelpText('after', '\nKeys: 1–4/Tab panels · ↑↓/j k move · Enter drawer · Esc close · / filter · b bot · m mode · r refresh · ? help · q quit.\nNot a TTY: prints one plain frame and exits (use `observatory status` / `gate check` in scripts).')
    .action(async (opts: { mode: 'live' | 'paper' | 'shadow'; interval: string }) => {
      await withContext(program, async (ctx) => (await import('./tui.js')).run(ctx, { mode: opts.mode, intervalMs: Number(opts.interval) }), true);
    });

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
    .option('--broker-symbol <symbol>', 'broker contract symbol for paper orders')
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
      await withContext(program, async (ctx) => (await import('./bot.js')).run(ctx, opts as never));
    });

  const fault = program.command('fault').description('drills: inject, list and clear faults the leading daemon honours');
  fault
    .command('inject')
    .description('make NAME\'s probes see an HTTP status and/or extra latency until the TTL ends')
    .argument('<name>', 'integration')
    .option('-s, --status <code>', 'HTTP status the probe sees, e.g. 503')
    .option('-l, --latency-ms <ms>', 'extra latency added to each probe')
    .option('-t, --ttl <duration>', 'how long the drill lasts (max 24h)', '5m')
    .option('--json', 'print the stored fault as JSON')
    .addHelpText('after', '\nExample: observatory fault inject databento --status 503 --ttl 5m')
    .action(async (name: string, opts: { status?: string; latencyMs?: string; ttl: string; json?: boolean }) => {
      await withContext(program, async (ctx) => (await import('./fault.js')).inject(ctx, name, opts));
    });
  fault
    .command('list')
    .description('active drills')
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) => {
      await withContext(program, async (ctx) => (await import('./fault.js')).list(ctx, opts));
    });
  fault
    .command('clear')
    .description('end the active drills on NAME (or --all)')
    .argument('[name]', 'integration')
    .option('-a, --all', 'clear every active drill')
    .option('--json', 'JSON output')
    .action(async (name: string | undefined, opts: { all?: boolean; json?: boolean }) => {
      await withContext(program, async (ctx) => (await import('./fault.js')).clear(ctx, name, opts));
    });

  return program;
}

/** The command path a verdict command would run under, decided before parsing (parse errors count too). */
function verdictCommandIn(argv: string[]): string {
  const words: string[] = [];
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '--config') i++; // the global option's value is not a command word
    else if (!args[i].startsWith('-')) words.push(args[i]);
  }
  if (words[0] === 'gate' && words[1] === 'check') return 'gate check';
  if (words[0] === 'probe') return 'probe';
  return '';
}

/**
 * A reader that goes away (`observatory gate check | head -1`) must not turn the verdict into a
 * crash: a closed stdout just stops the output, and the command still exits with its own code.
 */
function toleratePipeClose(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
}

export async function main(argv = process.argv): Promise<number> {
  toleratePipeClose();
  // Node would print an escaped error raw — stack, properties and all — and exit 1 even for
  // `gate check`: report it through the sanitizer, with the command's failure code
  for (const ev of ['uncaughtException', 'unhandledRejection'] as const) process.on(ev, (err: unknown) => process.exit(fail(err)));
  const program = buildProgram();
  activeCommand = verdictCommandIn(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      const verdict = VERDICT_COMMANDS.has(activeCommand);
      // help asked for is success; help shown because no command was given (`observatory gate`,
      // an empty $SUB in a script) is a usage error — never 0 where something was meant to run
      if (err.code === 'commander.helpDisplayed' || (err.code === 'commander.help' && err.exitCode === 0)) return 0;
      if (err.code === 'commander.version') return verdict ? ExitCode.GATE_UNKNOWN : 0;
      if (!verdict) return ExitCode.USAGE;
      await printUnknownJson(argv, new UsageError(err.message.replace(/^error:\s*/i, '')));
      return ExitCode.GATE_UNKNOWN;
    }
    const code = fail(err);
    if (VERDICT_COMMANDS.has(activeCommand)) await printUnknownJson(argv, err);
    return code;
  }
}

/**
 * `gate check --json` / `probe --json` answer in their JSON shape even when no verdict could be
 * attempted (bad flag, broken config): scripts parsing stdout always get one object, UNKNOWN.
 */
async function printUnknownJson(argv: string[], err: unknown): Promise<void> {
  if (!argv.includes('--json')) return;
  const valueOf = (long: string, short: string): string | undefined => {
    const i = argv.findIndex((a) => a === long || a === short);
    if (i >= 0) return argv[i + 1];
    return argv.find((a) => a.startsWith(`${long}=`))?.slice(long.length + 1);
  };
  const m = valueOf('--mode', '-m');
  const mode = (MODES as readonly string[]).includes(m ?? '') ? (m as Mode) : 'live';
  const bot = valueOf('--bot', '-b');
  registerSecretsFromEnv(process.env);
  const { unknownAutonomy } = await import('../core/views.js');
  const { isUuid } = await import('../core/trace.js');
  const view = unknownAutonomy(err, { mode, botId: bot && isUuid(bot) ? bot : null });
  const { printJson } = await import('./output.js');
  printJson(activeCommand === 'probe' ? { probes: [], autonomy: view } : view);
}

const code = await main();
process.exitCode = code;
