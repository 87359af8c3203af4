/** `observatory history NAME [--since 7d]`: status history from the probe rows. */
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { registryFor } from './registry.js';
import { historyView } from '../core/views.js';
import { parseHistoryWindow, HISTORY_KEYS } from '../core/history.js';
import { UsageError } from '../core/errors.js';
import { badge, colorEnabled, makeChalk, printJson, printLine } from './output.js';

/** 93784 s → "1d 2h 3m" */
export function span(seconds: number): string {
  const s = Math.round(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : `${s % 60}s`;
}

export async function run(ctx: CommandContext, name: string, opts: { since: string; json?: boolean }): Promise<number> {
  const windowMs = parseHistoryWindow(opts.since);
  const registry = registryFor(ctx.config);
  if (!registry.integrations.some((s) => s.name === name))
    throw new UsageError(`NAME: unknown integration '${name.slice(0, 64)}'`, `one of: ${registry.integrations.map((s) => s.name).join(', ')}`);
  const store = await openReadStore(ctx);
  try {
    const view = (await historyView(store.pool, registry, name, { windowMs }))!;
    if (opts.json) {
      printJson(view);
      return 0;
    }
    const c = await makeChalk(colorEnabled(ctx.globals));
    printLine(`${name}: ${view.since} → ${view.until} (${span(windowMs / 1000)}), now ${badge(c, view.current)}`);
    printLine(
      `uptime ${view.uptime_pct === null ? '— (all maintenance)' : `${view.uptime_pct}%`} (maintenance excluded) · ${view.outages} outage(s) · ${view.flaps} flap(s) (back within ${view.flap_window_s / 60}m)`,
    );
    printLine('time in status: ' + HISTORY_KEYS.map((k) => `${k} ${span(view.time_in_status_s[k])}`).join(' · '));
    if (!view.transitions.length) printLine('no transitions in the window');
    for (const t of view.transitions)
      printLine(`${t.at}  ${t.from} → ${badge(c, t.to)}${t.reason_code ? ` ${t.reason_code}` : ''}${t.trace_id ? `  trace ${t.trace_id}` : ''}`);
    return 0;
  } finally {
    await store.close();
  }
}
