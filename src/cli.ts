/**
 * The CLI. Commands are declared here and their code is loaded lazily on use, so
 * `gate check` never pays for ink, react or the HTTP server.
 *
 * Exit codes: 0 success, 1 runtime failure, 64 usage error, 76 schema newer than this
 * build, 78 configuration error; `gate check` / `probe` follow the monitoring convention
 * (0 OK, 1 DEGRADED --strict, 2 BLOCKED, 3 UNKNOWN) and turn any other failure into 3.
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, isObservatoryError, ObservatoryError } from './core/errors.js';
import { oneLine, redactString } from './core/redact.js';
import { VERSION } from './core/version.js';
import type { CommandContext, GlobalOptions } from './commands/context.js';

/** Commands whose failures must read as UNKNOWN (3), never as 0/1 — monitoring tools rely on it. */
const VERDICT_COMMANDS = new Set<string>(['gate check', 'probe']);

let activeCommand = '';

function fail(err: unknown): number {
  const verdict = VERDICT_COMMANDS.has(activeCommand);
  if (isObservatoryError(err)) {
    const hint = err.hint ? ` — ${oneLine(redactString(err.hint), 300)}` : "";
    process.stderr.write(`observatory: ${oneLine(redactString(err.message), 400)}${hint}\n`);
    if (verdict && err.exitCode !== ExitCode.GATE_BLOCKED) return ExitCode.GATE_UNKNOWN;
    return err.exitCode;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`observatory: unexpected error: ${oneLine(redactString(msg), 400)} — run with LOG_LEVEL=debug and report it\n`);
  return verdict ? ExitCode.GATE_UNKNOWN : ExitCode.FAILURE;
}

/** Runs a command with its context; one-shot commands log warnings only, long-running ones use LOG_LEVEL. */
async function withContext(program: Command, fn: (ctx: CommandContext) => Promise<number>, longRunning = false): Promise<void> {
  const { makeContext } = await import('./commands/context.js');
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
      outputError: (str, write) => write(`observatory: ${oneLine(str.replace(/^error:\s*/i, ''), 300)} — see \`observatory --help\`\n`),
    })
    .addHelpText(
      'after',
      `
Quick start:
  observatory up                 embedded Postgres + migrations + daemon (foreground)
  observatory migrate            apply database migrations only

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
      await withContext(program, async (ctx) => (await import('./commands/up.js')).run(ctx), true);
    });

  program
    .command('daemon')
    .description('run the daemon alone against DATABASE_URL or an already running embedded store')
    .action(async () => {
      activeCommand = 'daemon';
      await withContext(program, async (ctx) => (await import('./commands/daemon.js')).run(ctx), true);
    });

  program
    .command('migrate')
    .description('apply database migrations (starts the embedded store for the duration if needed)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      activeCommand = 'migrate';
      await withContext(program, async (ctx) => (await import('./commands/migrate.js')).run(ctx, opts));
    });

  return program;
}

/** The command path a verdict command would run under, decided before parsing (parse errors count too). */
function verdictCommandIn(argv: string[]): string {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  if (words[0] === 'gate' && words[1] === 'check') return 'gate check';
  if (words[0] === 'probe') return 'probe';
  return '';
}

export async function main(argv = process.argv): Promise<number> {
  const program = buildProgram();
  activeCommand = verdictCommandIn(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      // a bare `observatory` prints help and is not an error
      if (err.code === 'commander.executeSubCommandAsync') return err.exitCode;
      return VERDICT_COMMANDS.has(activeCommand) ? ExitCode.GATE_UNKNOWN : ExitCode.USAGE;
    }
    return fail(err);
  }
}

// keep Option exported-used for command files that build options with choices
export { Option, ObservatoryError };

const code = await main();
process.exitCode = code;
