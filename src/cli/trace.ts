/** `observatory trace TRACE_ID`: every stored row carrying the id, oldest first. */
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { traceView, type TraceHit } from '../core/views.js';
import { UsageError } from '../core/errors.js';
import { isTraceId } from '../core/trace.js';
import { printJson, printLine } from './output.js';

/** One line per row: when, what, and the fields that say what happened. */
export function describeHit(h: TraceHit): string {
  const at = h.at ?? '(current)';
  switch (h.source) {
    case 'probe':
      return `${at}  probe            ${h.row.integration} ${h.row.status} ${h.row.outcome}${h.row.reason_code ? ` ${h.row.reason_code}` : ''}${h.row.latency_ms !== null ? ` ${h.row.latency_ms} ms` : ''}${h.row.injected ? ' (fault injected)' : ''}`;
    case 'usage_event':
      return `${at}  usage event      ${h.row.integration} ${h.row.operation} ${h.row.status}${h.row.reason_code ? ` ${h.row.reason_code}` : ''} bot ${h.row.bot_id ?? '—'} run ${h.row.run_id ?? '—'} id ${h.row.id}`;
    case 'run':
      return `${at}  run              ${h.row.id} bot ${h.row.bot_id} ${h.row.mode} ${h.row.status}${h.row.reason_code ? ` ${h.row.reason_code}` : ''}`;
    case 'blocker_source':
      return `${at}  blocker source   ${h.row.integration} is ${h.row.status}${h.row.reason_code ? ` ${h.row.reason_code}` : ''} (its current state comes from this probe)`;
    case 'fault_drill':
      return `${at}  fault drill      ${h.row.integration}${h.row.http_status ? ` HTTP ${h.row.http_status}` : ''}${h.row.latency_ms ? ` +${h.row.latency_ms} ms` : ''} until ${h.row.expires_at}${h.row.cleared_at ? ` (cleared ${h.row.cleared_at})` : ''}`;
    case 'variable_sighting':
      return `${at}  variable seen    ${h.row.variable} by bot ${h.row.last_bot_id ?? '—'}`;
    case 'trading_state_change':
      return `${at}  trading state    ${h.row.scope}${h.row.scope === 'global' ? '' : ` ${h.row.target}`} ${h.row.previous_state} → ${h.row.state} (${h.row.kind}) by ${h.row.actor}: ${h.row.reason}`;
  }
}

export async function run(ctx: CommandContext, id: string, opts: { json?: boolean }): Promise<number> {
  if (!isTraceId(id)) throw new UsageError('TRACE_ID: expected 32 lowercase hex digits', 'copy it from status, gate check, events or the TUI');
  const store = await openReadStore(ctx);
  try {
    const view = await traceView(store.pool, id);
    if (opts.json) printJson(view);
    else if (!view.found) printLine(`no stored row carries trace id ${id} (searched: ${view.searched.join(', ')})`);
    else {
      for (const h of view.hits) printLine(describeHit(h));
      if (view.truncated.length) printLine(`(more rows than shown in: ${view.truncated.join(', ')})`);
    }
    return view.found ? 0 : 1;
  } finally {
    await store.close();
  }
}
