/**
 * `observatory bot run --mode paper|shadow`: the reference bot (src/runner) against the
 * configured store. One line per step (with trace_ids) on stdout, or with --json the run
 * summary {run, events, status, …} on stdout and the step lines on stderr.
 *
 * Exit codes: 0 the run SUCCEEDED, 2 BLOCKED (gate, missing credentials, risk limit, spool
 * full), 1 FAILED (vendor error, unexpected error), 64 usage (bad flag, --mode live),
 * 130 CANCELLED by SIGINT/SIGTERM (a second signal exits at once).
 */
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { printJson, printLine } from './output.js';
import { createUsageRecorder } from '../sdk/index.js';
import { oneLine, redactString } from '../core/redact.js';
import { normalizeOptions, runReferenceBot, type BotRunOptions } from '../runner/index.js';

export type { BotRunOptions };

export async function run(ctx: CommandContext, opts: BotRunOptions): Promise<number> {
  // usage errors (64) before the store is touched
  normalizeOptions(opts);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write('observatory: stopping the bot after the current step (again to exit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const out = opts.json ? (line: string) => process.stderr.write(`${oneLine(redactString(line), 2000)}\n`) : (line: string) => printLine(line);
  const store = await openReadStore(ctx);
  // the bot reaches the store only through the SDK (events, runs, the gate), over this command's connection
  const usage = createUsageRecorder({ pool: store.pool, log: ctx.log, config: ctx.config });
  try {
    const summary = await runReferenceBot({ config: ctx.config, usage, out, signal: controller.signal }, opts);
    if (opts.json) printJson(summary);
    return summary.exit_code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await usage.close().catch(() => undefined);
    await store.close();
  }
}
