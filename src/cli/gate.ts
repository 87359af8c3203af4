/**
 * `observatory gate check`: Panel D as an exit code. 0 OK (and DEGRADED unless --strict),
 * 1 DEGRADED with --strict, 2 BLOCKED, 3 UNKNOWN. Anything that prevents a verdict is 3.
 * Kept light: no ink, react or HTTP server on this path.
 */
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { registryFor } from './registry.js';
// the autonomy view's own module, not views.ts: none of the other views' readers on this path
import { autonomyView, unknownAutonomy, type AutonomyView } from '../core/views-autonomy.js';
import { exitCodeFor } from '../core/autonomy.js';
import type { Mode, Registry } from '../core/types.js';
import { badge, colorEnabled, makeChalk, printJson, printLine } from './output.js';
import { UsageError } from '../core/errors.js';
import { deadlinePool, withDeadline } from './deadline.js';

export interface GateOptions {
  mode: Mode;
  bot?: string;
  strict?: boolean;
  maxAge?: number;
  /** epoch ms: evaluate the session-dependent rules for this instant */
  at?: number;
  json?: boolean;
  /** overall deadline, ms (deadline.ts) */
  timeoutMs: number;
}

/** --max-age tightens every staleness bound (daemon heartbeat and each integration's probes). */
function tightened(registry: Registry, maxAgeMs: number | undefined): Registry {
  if (!maxAgeMs) return registry;
  return { ...registry, integrations: registry.integrations.map((s) => ({ ...s, staleAfterMs: Math.min(s.staleAfterMs, maxAgeMs) })) };
}

export async function printVerdict(ctx: CommandContext, view: AutonomyView): Promise<void> {
  const c = await makeChalk(colorEnabled(ctx.globals));
  const who = view.bot_id
    ? ` bot ${view.bot_id}${view.bot_ref && view.bot_ref !== view.bot_id ? ` (${view.bot_ref})` : ''}`
    : view.bot_ref
      ? ` bot ${view.bot_ref}`
      : '';
  printLine(
    `${badge(c, view.global_status)} autonomy (${view.mode}${who}): ${view.blockers.length} blocker(s), ${view.warnings.length} warning(s) — trace_id ${view.trace_id}`,
  );
  if (view.market) printLine(`  ${view.at ? `evaluated for ${view.at}` : 'market'}: ${view.market.group} ${view.market.summary}`);
  for (const [label, list] of [
    ['blocker', view.blockers],
    ['warning', view.warnings],
  ] as const) {
    for (const b of list) {
      printLine(
        `  ${label === 'blocker' ? c.red('✗') : c.yellow('!')} ${b.code}${b.integration ? ` [${b.integration}]` : ''}: ${b.message}${b.blocks_bots ? ` — blocks ${b.blocks_bots} bot${b.blocks_bots === 1 ? '' : 's'}` : ''}`,
      );
      printLine(`      fix: ${b.fix}`);
      printLine(`      trace_id: ${b.trace_id ?? '—'}`);
    }
  }
}

export async function run(ctx: CommandContext, opts: GateOptions): Promise<number> {
  if (opts.bot !== undefined && !opts.bot.trim()) throw new UsageError('--bot: expected a bot id or name');
  const config = opts.maxAge
    ? { ...ctx.config, daemon: { ...ctx.config.daemon, staleAfterMs: Math.min(ctx.config.daemon.staleAfterMs, opts.maxAge) } }
    : ctx.config;
  const registry = tightened(registryFor(config), opts.maxAge);
  let view: AutonomyView;
  try {
    view = await withDeadline(opts.timeoutMs, async () => {
      const store = await openReadStore(ctx, deadlinePool(opts.timeoutMs, 1));
      try {
        return await autonomyView(store.pool, registry, config, { mode: opts.mode, botId: opts.bot, at: opts.at });
      } finally {
        // not awaited: a verdict already reached never waits on a goodbye to a frozen server
        void store.close();
      }
    });
  } catch (err) {
    view = unknownAutonomy(err, { mode: opts.mode, botId: opts.bot ?? null });
  }
  if (opts.json) printJson(view);
  else await printVerdict(ctx, view);
  return exitCodeFor(view.global_status, Boolean(opts.strict));
}
