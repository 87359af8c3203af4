/** `observatory proof [BOT]`: Panel B — the 10 most active bots, or one bot's proof of use. */
import Table from 'cli-table3';
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { registryFor } from './registry.js';
import { botProofView, botsView, resolveBotRef, type IntegrationProof } from '../core/views.js';
import { ObservatoryError, UsageError } from '../core/errors.js';
import { ago, badge, colorEnabled, makeChalk, printJson, printLine } from './output.js';

export interface ProofOptions {
  json?: boolean;
  hours: string;
  limit: string;
}

function positiveInt(raw: string, flag: string, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag}: expected an integer 1–${max}`);
  return n;
}

/** "databento: 12 calls / 3400 bars" — the brief's "used in last 24h" badge text. */
export function usageSummary(p: IntegrationProof): string {
  const parts: string[] = [p.simulated ? `SIMULATED (shadow, never sent): ${p.calls} calls` : `${p.calls} calls`];
  if (p.market_data) parts.push(`${p.market_data.bars} bars`);
  if (p.broker) {
    const f = p.broker.fills;
    parts.push(`${p.broker.order_intents.total} order intents`, `fills LIVE ${f.LIVE} / PAPER ${f.PAPER} / SIM ${f.SIM}`);
  }
  if (p.ai) parts.push(`models ${p.ai.models.map((m) => `${m.model}×${m.calls}`).join(', ') || '—'}`);
  if (p.risk) parts.push(`${p.risk.checks} checks, ${p.risk.violations} violations`);
  if (p.error) parts.push(`${p.error} errors`);
  if (p.blocked) parts.push(`${p.blocked} BLOCKED`);
  return parts.join(' · ');
}

export async function run(ctx: CommandContext, bot: string | undefined, opts: ProofOptions): Promise<number> {
  const hours = positiveInt(opts.hours, '--hours', 2160);
  const limit = positiveInt(opts.limit, '--limit', 1000);
  if (bot !== undefined && !bot.trim()) throw new UsageError('BOT: expected a bot id or name', 'list bots with: observatory proof');
  const store = await openReadStore(ctx);
  const c = await makeChalk(colorEnabled(ctx.globals));
  try {
    if (!bot) {
      const view = await botsView(store.pool, { limit, sinceHours: hours });
      if (opts.json) return (printJson(view), 0);
      if (!view.bots.length) {
        printLine(`no bot activity in the last ${hours} h (bots record usage with the SDK or POST /api/usage-events)`);
        return 0;
      }
      const t = new Table({ head: ['Bot', 'Name', 'Calls', 'OK', 'Error', 'Blocked', 'Records', 'Integrations', 'Last'], style: { head: [], border: [] } });
      for (const b of view.bots) t.push([b.bot_id, b.name ?? '', b.calls, b.ok, b.error, b.blocked, b.records, b.integrations.join(', '), ago(b.last_at)]);
      printLine(`most active bots, last ${hours} h:`);
      printLine(t.toString());
      return 0;
    }
    // a name or an id; an ambiguous name is refused with the candidates (exit 64)
    const id = await resolveBotRef(store.pool, bot);
    const view = id ? await botProofView(store.pool, id, { sinceHours: hours, registry: registryFor(ctx.config), config: ctx.config }) : null;
    if (!view) throw new ObservatoryError('BOT_UNKNOWN', `no bot ${bot} has written a run or usage event`, { hint: 'list bots with: observatory proof' });
    if (opts.json) return (printJson(view), 0);
    const p = view.proof;
    printLine(`bot ${p.bot.id}${p.bot.name ? ` (${p.bot.name})` : ''} — proof of use, last ${p.window.hours} h`);
    const m = view.market_time;
    // market time first: zero bars on a weekend is "market closed", not an outage
    if (m) printLine(`market ${m.group}: ${m.stale ? `${c.red.bold('BOT_DATA_STALE')} ${m.note}  trace_id ${m.blocker?.trace_id ?? '—'}` : m.note}`);
    const r = p.last_run;
    printLine(
      r
        ? `last run ${r.id}: ${r.mode} ${r.job_kind} ${badge(c, r.status)} started ${ago(r.started_at)}, heartbeat ${Math.round(r.heartbeat_age_s)}s ago${r.terminal_state ? `, ended ${r.terminal_state}` : ''}${r.reason_code ? ` (${r.reason_code})` : ''}  trace_id ${r.trace_id}`
        : 'no runs recorded',
    );
    if (!p.integrations.length) printLine('no integration used in this window');
    const custom = new Set(view.custom_endpoints ?? []);
    for (const i of p.integrations) {
      const used = i.broker ? i.broker.used_live_or_paper : i.used;
      const name = custom.has(i.integration) ? `${i.integration} [endpoint: custom]` : i.integration;
      printLine(`  ${used ? c.green('USED') : c.yellow('NOT USED')} ${name}: ${usageSummary(i)}  last ${ago(i.last_at)}  trace_id ${i.last_trace_id}`);
      for (const b of i.blocked_attempts)
        printLine(`      ${c.red('BLOCKED')} ${b.reason_code} ×${b.count}, last ${ago(b.last_at)}  trace_id ${b.last_trace_id}`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
