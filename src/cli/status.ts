/** `observatory status`: Panel A — integration health as a table, or the API's JSON. */
import Table from 'cli-table3';
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { registryFor } from './registry.js';
import { systemStatusView, unknownStatus, type SystemStatusView } from '../core/views.js';
import type { Mode } from '../core/types.js';
import { ago, badge, colorEnabled, makeChalk, printJson, printLine } from './output.js';
import { ExitCode, StoreUnavailableError } from '../core/errors.js';
import { deadlinePool, withDeadline } from './deadline.js';

export interface StatusOptions {
  json?: boolean;
  mode: Mode;
  /** overall deadline, ms (deadline.ts) */
  timeoutMs: number;
}

export async function run(ctx: CommandContext, opts: StatusOptions): Promise<number> {
  const registry = registryFor(ctx.config);
  let view: SystemStatusView;
  try {
    view = await withDeadline(opts.timeoutMs, async () => {
      const store = await openReadStore(ctx, deadlinePool(opts.timeoutMs));
      try {
        return await systemStatusView(store.pool, registry, ctx.config, { mode: opts.mode });
      } finally {
        // not awaited: an answer already reached never waits on a goodbye to a frozen server
        void store.close();
      }
    });
  } catch (err) {
    // --json answers on stdout whatever happened, like `gate check --json` and the API (503 body)
    if (!opts.json) throw err;
    view = unknownStatus(err, { mode: opts.mode });
  }
  if (opts.json) {
    printJson(view);
    // no answer from the store: UNKNOWN, as the verdict commands say it
    return view.success ? 0 : ExitCode.GATE_UNKNOWN;
  }
  if (!view.success) throw new StoreUnavailableError(view.autonomy.blockers[0]?.message ?? 'status store unreachable');
  const c = await makeChalk(colorEnabled(ctx.globals));
  const table = new Table({
    head: ['Integration', 'Connected', 'Status', 'Last OK', 'Last Probe', 'Latency', 'Required', 'Reason'],
    style: { head: [], border: [] },
    wordWrap: true,
    colWidths: [null, null, null, null, null, null, null, Math.max(20, (process.stdout.columns ?? 120) - 95)] as unknown as number[],
  });
  const now = Date.parse(view.ts);
  for (const r of view.integrations) {
    table.push([
      // a non-default endpoint (stand-in, sidecar, proxy) is always visible; brokers show their host's environment
      `${r.name}${r.environment ? ` (${r.environment})` : ''}${r.endpoint === 'custom' ? ' [endpoint: custom]' : ''}`,
      r.connected ? 'yes' : 'no',
      badge(c, r.status),
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
  if (view.read_from) printLine(`read from a standby: its data is up to ${view.read_from.data_age_seconds ?? '?'} s behind the primary`);
  if (a.blockers.length) printLine('run `observatory gate check' + (opts.mode !== 'live' ? ` --mode ${opts.mode}` : '') + '` for the fixes');
  return 0;
}
