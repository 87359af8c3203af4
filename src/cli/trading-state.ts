/** `observatory halt|reduce|resume|trading-state`: the kill switch from the terminal (rules: core/trading-state.ts). */
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { registryFor } from './registry.js';
import { parseDuration } from '../core/duration.js';
import { newTraceId } from '../core/trace.js';
import { UsageError } from '../core/errors.js';
import { describeScope, normalizeActor, normalizeReason, normalizeTarget, type TradingCommand, type TradingScope } from '../core/trading-state.js';
import { applyTradingChange, tradingStateView, type TradingStateView } from '../core/views.js';
import { ago, printErr, printJson, printLine } from './output.js';
import type { TradingFlags } from './commands/trading.js';

/** The one scope the flags name; exactly one is required. */
export function scopeOf(opts: TradingFlags): { scope: TradingScope; target: string } {
  const given = (
    [
      ['global', opts.global ? '*' : undefined],
      ['account', opts.account],
      ['bot', opts.bot],
      ['integration', opts.integration],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (given.length !== 1) throw new UsageError('name exactly one scope: --global, --account ID, --bot ID or --integration NAME');
  return normalizeTarget(given[0][0], given[0][1]);
}

/** --ttl: a duration from now, or an ISO instant (which must lie ahead). */
export function parseTtl(raw: string | undefined): { ttlMs?: number; until?: Date } {
  if (raw === undefined) return {};
  if (/^\d{4}-\d{2}-\d{2}T/.test(raw.trim())) {
    const t = Date.parse(raw.trim());
    if (Number.isNaN(t)) throw new UsageError('--ttl: not a valid ISO instant');
    return { until: new Date(t) };
  }
  if (/^\s*-/.test(raw)) throw new UsageError('--ttl: the expiry is in the past');
  return { ttlMs: parseDuration(raw, '--ttl') };
}

async function confirmTyped(word: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`type ${word} to confirm: `)).trim() === word;
  } finally {
    rl.close();
  }
}

export async function change(ctx: CommandContext, command: TradingCommand, opts: TradingFlags): Promise<number> {
  // every input rule before the store is touched: a refused command writes nothing
  const { scope, target } = scopeOf(opts);
  const reason = normalizeReason(opts.reason);
  const ttl = parseTtl(opts.ttl);
  if (ttl.until && ttl.until.getTime() <= Date.now()) throw new UsageError(`--ttl: the expiry ${ttl.until.toISOString()} is in the past`);
  const actor = normalizeActor(userInfo().username);
  if (command === 'resume' && scope === 'global' && !opts.yes) {
    if (!process.stdin.isTTY) throw new UsageError('resuming a global halt needs confirmation: pass --yes (scripts) or run it in a terminal');
    if (!(await confirmTyped('RESUME'))) throw new UsageError('not confirmed: nothing written');
  }
  const store = await openReadStore(ctx);
  try {
    const view = await applyTradingChange(store.pool, {
      command,
      scope,
      target,
      reason,
      actor,
      ...ttl,
      twoPerson: ctx.config.tradingState.twoPersonResume,
      requestTtlMs: ctx.config.tradingState.resumeRequestTtlMs,
      knownIntegrations: registryFor(ctx.config).integrations.map((s) => s.name),
      traceId: newTraceId(),
    });
    const c = view.change;
    if (opts.json) printJson(view);
    else if (view.pending)
      printLine(
        `resume of ${describeScope(c)} requested by ${c.actor} (row ${c.id}, trace_id ${c.trace_id}); two-person rule: a different person must run the same resume before ${c.expires_at} — the state is unchanged`,
      );
    else
      printLine(
        `${describeScope(c)}: ${c.previous_state} → ${c.state} by ${c.actor}${c.expires_at ? ` until ${c.expires_at}` : ''} (row ${c.id}${c.confirms ? `, confirms ${c.confirms}` : ''}, trace_id ${c.trace_id})`,
      );
    if (!opts.json && c.state !== 'ACTIVE')
      printErr(`lift it with: observatory resume ${scope === 'global' ? '--global' : `--${scope} ${target}`} --reason "…"`);
    return 0;
  } finally {
    await store.close();
  }
}

export function renderTradingState(v: TradingStateView, now = Date.now()): string[] {
  const lines: string[] = [];
  if (!v.in_force.length) lines.push('trading ACTIVE everywhere: no halt or reduce in force');
  for (const s of v.in_force)
    lines.push(
      `${s.state.padEnd(8)} ${describeScope(s).padEnd(50)} by ${s.actor}, ${ago(s.since, now)}${s.expires_at ? `, until ${s.expires_at}` : ''}: ${s.reason}  (trace_id ${s.trace_id})`,
    );
  for (const p of v.pending)
    lines.push(`PENDING  resume of ${describeScope(p)} requested by ${p.actor}, ${ago(p.created_at, now)}: waits for a second person until ${p.expires_at}`);
  if (v.recent.length) {
    lines.push('', 'recent changes (audit):');
    for (const r of v.recent)
      lines.push(
        `  #${r.id} ${r.created_at} ${describeScope(r)} ${r.previous_state} → ${r.state}${r.kind !== 'change' ? ` [${r.kind}]` : ''} by ${r.actor}: ${r.reason}  (trace_id ${r.trace_id})`,
      );
  }
  return lines;
}

export async function show(ctx: CommandContext, opts: { recent: string; json?: boolean }): Promise<number> {
  const n = Number(opts.recent);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new UsageError('--recent: expected an integer 0–1000');
  const store = await openReadStore(ctx);
  try {
    const view = await tradingStateView(store.pool, { recent: n });
    if (opts.json) printJson(view);
    else for (const l of renderTradingState(view)) printLine(l);
    return 0;
  } finally {
    await store.close();
  }
}
