/**
 * The CLI program: the global options and help, the commands (registered from commands/*, their
 * code loaded lazily on use, so `gate check` never pays for ink, react or the HTTP server), and
 * how a run ends. No module-level mutable state: main() keeps what one run needs.
 *
 * Exit codes: 0 success, 1 runtime failure, 64 usage error, 76 schema newer than this
 * build, 78 configuration error; `gate check` / `probe` follow the monitoring convention
 * (0 OK, 1 DEGRADED --strict, 2 BLOCKED, 3 UNKNOWN) and turn any other failure into 3.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, isObservatoryError, UsageError } from '../core/errors.js';
import { oneLine, redactString, registerSecretsFromEnv } from '../core/redact.js';
import { VERSION } from '../core/version.js';
import { MODES, type Mode } from '../core/types.js';
import { commandRunner } from './commands/run.js';
import { registerDaemon, registerMigrate, registerRetention, registerUp } from './commands/daemon.js';
import { registerStatus, registerVariables } from './commands/status.js';
import { registerGate, registerProbe } from './commands/gate.js';
import { registerProof } from './commands/proof.js';
import { registerEvents } from './commands/events.js';
import { registerFault } from './commands/fault.js';
import { registerTui } from './commands/tui.js';
import { registerBot } from './commands/bot.js';
import { registerSession } from './commands/session.js';
import { registerTrading } from './commands/trading.js';
import { registerHistory, registerTrace } from './commands/trace.js';

/** Commands whose failures must read as UNKNOWN (3), never as 0/1 — monitoring tools rely on it. */
const VERDICT_COMMANDS = new Set<string>(['gate check', 'probe']);

/** Error text for stderr: the env's secrets are registered first, since this path can run before any config load. */
function safe(text: string, max: number): string {
  registerSecretsFromEnv(process.env);
  return oneLine(redactString(text), max);
}

/** Reports a failure on stderr and gives its exit code; `verdict`: the command is a verdict command. */
function fail(err: unknown, verdict: boolean): number {
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

/** The program; `onExitCode` receives the exit code of the command that ran. */
export function buildProgram(onExitCode: (code: number) => void = () => undefined): Command {
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
  observatory session            market session now: open/closed/break, why, next open

Environment: DATABASE_URL (unset: embedded Postgres under OBSERVATORY_HOME, default ~/.observatory),
OBSERVATORY_CONFIG, OBSERVATORY_PORT/OBSERVATORY_BIND, OBSERVATORY_TOKEN (+ OBSERVATORY_TOKEN_<NAME>, one per person),
LIVE_TRADING_ENABLED, LOG_LEVEL.
Exit codes: 0 ok · 1 failure · 64 usage · 76 schema newer than this build · 78 bad config.`,
    );

  const runCommand = commandRunner(program, onExitCode);
  // registered in the order `--help` lists them
  registerUp(program, runCommand);
  registerDaemon(program, runCommand);
  registerMigrate(program, runCommand);
  registerStatus(program, runCommand);
  registerGate(program, runCommand);
  registerProbe(program, runCommand);
  registerProof(program, runCommand);
  registerEvents(program, runCommand);
  registerVariables(program, runCommand);
  registerSession(program, runCommand);
  registerRetention(program, runCommand);
  registerTui(program, runCommand);
  registerBot(program, runCommand);
  registerFault(program, runCommand);
  registerTrading(program, runCommand);
  registerHistory(program, runCommand);
  registerTrace(program, runCommand);
  return program;
}

/** The command's words (options and the value of -c/--config skipped). */
function commandWords(argv: string[]): string[] {
  const words: string[] = [];
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '--config')
      i++; // the global option's value is not a command word
    else if (!args[i].startsWith('-')) words.push(args[i]);
  }
  return words;
}

/** The command path a verdict command would run under, decided before parsing (parse errors count too). */
function verdictCommandIn(argv: string[]): string {
  const words = commandWords(argv);
  if (words[0] === 'gate' && words[1] === 'check') return 'gate check';
  if (words[0] === 'probe') return 'probe';
  return '';
}

/**
 * Commands bound by a deadline (deadline.ts: gate check, probe, status): once their answer is
 * printed the process ends, even if a socket to a frozen server is still open (it would keep
 * Node's event loop alive).
 */
export function exitsPromptly(argv = process.argv): boolean {
  return verdictCommandIn(argv) !== '' || commandWords(argv)[0] === 'status';
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
  // decided before parsing, so parse errors count too
  const command = verdictCommandIn(argv);
  const verdict = VERDICT_COMMANDS.has(command);
  // Node would print an escaped error raw — stack, properties and all — and exit 1 even for
  // `gate check`: report it through the sanitizer, with the command's failure code
  for (const ev of ['uncaughtException', 'unhandledRejection'] as const) process.on(ev, (err: unknown) => process.exit(fail(err, verdict)));
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help asked for is success; help shown because no command was given (`observatory gate`,
      // an empty $SUB in a script) is a usage error — never 0 where something was meant to run
      if (err.code === 'commander.helpDisplayed' || (err.code === 'commander.help' && err.exitCode === 0)) return 0;
      if (err.code === 'commander.version') return verdict ? ExitCode.GATE_UNKNOWN : 0;
      if (!verdict) return ExitCode.USAGE;
      await printUnknownJson(argv, command, new UsageError(err.message.replace(/^error:\s*/i, '')));
      return ExitCode.GATE_UNKNOWN;
    }
    const code = fail(err, verdict);
    if (verdict) await printUnknownJson(argv, command, err);
    return code;
  }
}

/**
 * `gate check --json` / `probe --json` answer in their JSON shape even when no verdict could be
 * attempted (bad flag, broken config): scripts parsing stdout always get one object, UNKNOWN.
 */
async function printUnknownJson(argv: string[], command: string, err: unknown): Promise<void> {
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
  printJson(command === 'probe' ? { probes: [], autonomy: view } : view);
}
