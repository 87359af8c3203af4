/** `observatory status`: Panel A — integration health as a table, or the API's JSON. */
import Table from 'cli-table3';
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { registryFor } from './registry.js';
import { systemStatusView } from '../core/views.js';
import type { Mode } from '../core/types.js';
import { ago, badge, colorEnabled, makeChalk, printJson, printLine } from './output.js';
import { StoreUnavailableError } from '../core/errors.js';

export interface StatusOptions {
  json?: boolean;
  mode: Mode;
}

export async function run(ctx: CommandContext, opts: StatusOptions): Promise<number> {
  const registry = registryFor(ctx.config);
  const store = await openReadStore(ctx);
  try {
    const view = await systemStatusView(store.pool, registry, ctx.config, { mode: opts.mode });
    if (opts.json) {
      printJson(view);
      return view.success ? 0 : 1;
    }
    if (!view.success) throw new StoreUnavailableError(view.autonomy.blockers[0]?.message ?? 'status store unreachable');
    const c = makeChalk(colorEnabled(ctx.globals));
    const table = new Table({
      head: ['Integration', 'Connected', 'Status', 'Last OK', 'Last Probe', 'Latency', 'Required', 'Reason'],
      style: { head: [], border: [] },
      wordWrap: true,
      colWidths: [null, null, null, null, null, null, null, Math.max(20, (process.stdout.columns ?? 120) - 95)] as unknown as number[],
    });
    const now = Date.parse(view.ts);
    for (const r of view.integrations) {
      table.push([
        r.name,
        r.connected ? 'yes' : 'no',
        badge(c, r.display_status),
        ago(r.last_ok_at, now),
        ago(r.last_probe_at, now),
        r.latency_ms === null ? '—' : `${r.latency_ms} ms`,
        r.required_for_autonomy ? (r.required_groups.length ? `any of ${r.required_groups.join(',')}` : 'yes') : 'no',
        r.reason_code ? `${r.reason_code}${r.reason_human ? `: ${r.reason_human}` : ''}` : '',
      ]);
    }
    printLine(table.toString());
    const a = view.autonomy;
    const daemon = view.daemon?.fresh ? `daemon heartbeat ${Math.round((view.daemon.heartbeat_age_ms ?? 0) / 1000)}s ago` : 'NO FRESH DAEMON HEARTBEAT';
    printLine(
      `autonomy (${opts.mode}): ${badge(c, a.global_status)} — ${a.blockers.length} blocker(s), ${a.warnings.length} warning(s); ${daemon}; trace_id ${view.trace_id}`,
    );
    if (a.blockers.length) printLine('run `observatory gate check' + (opts.mode !== 'live' ? ` --mode ${opts.mode}` : '') + '` for the fixes');
    return 0;
  } finally {
    await store.close();
  }
}
