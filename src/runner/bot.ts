/**
 * The reference paper/shadow bot, built on the usage SDK. It exists to produce real proof of
 * use (brief Phase 6, acceptance tests 2 and 3) and to show a bot honouring the gate.
 *
 * One run = runs.start({botId, botName, mode, jobKind: 'reference'}), then per iteration:
 *  1. gate (fail-closed): autonomyView for the mode and this bot (with its own blockers).
 *     BLOCKED / UNKNOWN (or DEGRADED with strict) ⇒ a BLOCKED `gate.check` event (integration
 *     of the first blocker, `observatory` when the blocker names none; reason = its code), the
 *     run ends BLOCKED, exit 2.
 *  2. market data: the first connected member of the `marketdata` group that the runner can
 *     speak (Databento, Polygon), preferring one whose status is OK → `marketdata.bars`
 *     (symbol, timeframe 1m, records = bars, feature_keys_used = the md.* names computed).
 *  3. risk: the intended order (target position from a simple VWAP/return signal) against
 *     `risk_limits` → `risk.check` OK, or BLOCKED with the code (run ends BLOCKED).
 *  4. broker: shadow never sends: a `broker.place_order` intent and a `broker.fill` with
 *     provenance SIM. Paper: no broker credentials ⇒ BLOCKED MISSING_CREDENTIALS (no fill);
 *     otherwise a market order at the broker's DEMO host, and a PAPER `broker.fill` only for a
 *     fill the broker reports.
 *  5. AI (only with OPENAI_API_KEY): one chat completion labelling the regime → `llm.chat`
 *     with model, purpose and token counts. Optional: its failure is recorded, not fatal.
 *  6. heartbeat; after the last iteration the run ends SUCCEEDED.
 * A vendor failure on a required step records an ERROR event (sanitized reason) and ends the
 * run FAILED (exit 1); any other error ends it FAILED and is rethrown after recording.
 *
 * The events go through the recorder's record()/recordBlocked() with track()'s semantics
 * (validated before the call, timed, OK / ERROR with reasonCodeOf and a sanitized one-line
 * message, the error rethrown): track() fixes the metadata before the call, and these events
 * need facts known only after it (token counts, the feature names actually computed).
 *
 * Feature values, prompts, replies, tokens and account ids stay in memory; events carry names,
 * counts, sides, quantities and provenance only.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Config } from '../core/config.js';
import { UsageError, ExitCode } from '../core/errors.js';
import { validateBatch, type EventInput, type EventRow } from '../core/events-schema.js';
import { connectedOf, getSpec, loadRegistry, missingEnv } from '../core/vendors/registry.js';
import type { Blocker, IntegrationSpec, Mode, Registry, Status } from '../core/types.js';
import { botBlockers } from '../core/db/proof.js';
import type { RunView, TerminalState } from '../core/db/runs.js';
import { oneLine, sanitizeError } from '../core/redact.js';
import { newTraceId, isUuid } from '../core/trace.js';
import { EventValidationError, reasonCodeOf, SpoolFullError, type RunHandle, type UsageRecorder } from '../sdk/usage.js';
import { autonomyView, statusByIntegration } from '../core/views.js';
import { namesOfKind } from '../core/vendors/index.js';
import { VendorError } from '../core/vendors/http.js';
import { paperBrokerOf, type BrokerClient } from './brokers.js';
import { computeFeatures, signalOf, type Features, type Side } from './features.js';
import { chatOf, classifyRegime } from './llm.js';
import { DEFAULT_DATASET, marketDataOf, type BarsResult } from './marketdata.js';
import { Book, checkOrder, pointValueOf, RISK_FEATURES, signedQty } from './risk.js';

export type RunnerMode = Extract<Mode, 'paper' | 'shadow'>;

/** `observatory bot run` options (CLI flags in comments). */
export interface BotRunOptions {
  /** --mode paper|shadow (required; live is refused) */
  mode: string;
  /** --bot UUID; default: derived from the bot name, so reruns accumulate under one bot */
  bot?: string;
  /** --bot-name NAME; default "reference-bot" */
  botName?: string;
  /** --iterations N; default 3 */
  iterations?: number | string;
  /** --interval-ms MS between iterations; default 1000 */
  intervalMs?: number | string;
  /** --symbol; default ES.c.0 (Databento) or SPY (Polygon) */
  symbol?: string;
  /** --broker-symbol: the broker's contract symbol (paper); default the vendor's instrument or --symbol */
  brokerSymbol?: string;
  /** --qty contracts of the target position; default 1 */
  qty?: number | string;
  /** --bars how many recent 1-minute bars; default 120 */
  bars?: number | string;
  /** --dataset Databento dataset; default GLBX.MDP3 */
  dataset?: string;
  /** --model for the optional AI step; default gpt-4o-mini */
  model?: string;
  /** --strict: DEGRADED blocks too */
  strict?: boolean;
  /** --timeout-ms per vendor request; default 10000 */
  timeoutMs?: number | string;
  /** --fill-wait-ms how long to poll the broker for a paper fill; default 3000 */
  fillWaitMs?: number | string;
  /** --json (command only) */
  json?: boolean;
}

export interface NormalizedOptions {
  mode: RunnerMode;
  botId: string;
  botName: string | undefined;
  iterations: number;
  intervalMs: number;
  symbol: string | undefined;
  brokerSymbol: string | undefined;
  qty: number;
  bars: number;
  dataset: string;
  model: string;
  strict: boolean;
  timeoutMs: number;
  fillWaitMs: number;
}

export const DEFAULTS = {
  botName: 'reference-bot',
  iterations: 3,
  intervalMs: 1_000,
  qty: 1,
  bars: 120,
  model: 'gpt-4o-mini',
  timeoutMs: 10_000,
  fillWaitMs: 3_000,
} as const;

const BOT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,127}$/;
const SYMBOL_RE = /^[A-Za-z0-9._:/^=$-]{1,64}$/;

/** A stable UUID (v5 layout) for a bot name: the same name is the same bot across runs. */
export function botIdForName(name: string): string {
  const h = createHash('sha1').update(`observatory/reference-bot/${name}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function int(v: number | string | undefined, flag: string, def: number, min: number, max: number): number {
  if (v === undefined || v === '') return def;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: expected an integer ${min}–${max}`);
  return n;
}

/** Validates the options; every problem is a usage error (exit 64). */
export function normalizeOptions(o: BotRunOptions): NormalizedOptions {
  const mode = String(o.mode ?? '').trim().toLowerCase();
  if (mode === 'live')
    throw new UsageError('--mode live is refused: the reference bot trades paper (broker demo host) or shadow (simulated) only', 'use --mode paper or --mode shadow');
  if (mode !== 'paper' && mode !== 'shadow') throw new UsageError('--mode: expected paper or shadow');
  if (o.bot !== undefined && !isUuid(o.bot)) throw new UsageError('--bot: expected a bot UUID');
  if (o.botName !== undefined && !BOT_NAME_RE.test(o.botName)) throw new UsageError('--bot-name: expected 1–128 letters, digits, space, _ . : -');
  for (const [flag, v] of [['--symbol', o.symbol], ['--broker-symbol', o.brokerSymbol]] as const)
    if (v !== undefined && !SYMBOL_RE.test(v)) throw new UsageError(`${flag}: expected a symbol: letters, digits, . _ : / ^ = $ - (max 64)`);
  if (o.dataset !== undefined && !/^[A-Z0-9]{2,16}\.[A-Z0-9]{2,16}$/.test(o.dataset)) throw new UsageError('--dataset: expected a Databento dataset id like GLBX.MDP3');
  if (o.model !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(o.model)) throw new UsageError('--model: expected a model name like gpt-4o-mini');
  const botName = o.botName ?? (o.bot ? undefined : DEFAULTS.botName);
  return {
    mode,
    botId: (o.bot ?? botIdForName(botName ?? DEFAULTS.botName)).toLowerCase(),
    botName,
    iterations: int(o.iterations, '--iterations', DEFAULTS.iterations, 1, 10_000),
    intervalMs: int(o.intervalMs, '--interval-ms', DEFAULTS.intervalMs, 0, 3_600_000),
    symbol: o.symbol,
    brokerSymbol: o.brokerSymbol,
    qty: int(o.qty, '--qty', DEFAULTS.qty, 1, 10_000),
    bars: int(o.bars, '--bars', DEFAULTS.bars, 2, 5_000),
    dataset: o.dataset ?? DEFAULT_DATASET,
    model: o.model ?? DEFAULTS.model,
    strict: Boolean(o.strict),
    timeoutMs: int(o.timeoutMs, '--timeout-ms', DEFAULTS.timeoutMs, 100, 600_000),
    fillWaitMs: int(o.fillWaitMs, '--fill-wait-ms', DEFAULTS.fillWaitMs, 0, 600_000),
  };
}

export interface RunnerDeps {
  pool: pg.Pool;
  config: Config;
  usage: UsageRecorder;
  registry?: Registry;
  /** one human line per step (already free of secrets; callers still pass it through the sanitizer) */
  out?: (line: string) => void;
  /** aborts between steps: the run ends CANCELLED */
  signal?: AbortSignal;
}

export interface StepRecord {
  iteration: number;
  step: 'gate' | 'marketdata' | 'features' | 'risk' | 'broker' | 'fill' | 'ai' | 'heartbeat';
  status: 'OK' | 'DEGRADED' | 'ERROR' | 'BLOCKED' | 'SKIPPED';
  integration: string | null;
  operation: string | null;
  reason_code: string | null;
  trace_id: string | null;
  event_id: string | null;
}

export interface RunSummary {
  success: boolean;
  trace_id: string | null;
  mode: RunnerMode;
  bot: { id: string; name: string | null };
  run: RunView | null;
  status: TerminalState;
  reason_code: string | null;
  exit_code: number;
  iterations: { requested: number; completed: number };
  /** ids of every usage event this run wrote, in order */
  events: string[];
  steps: StepRecord[];
}

/** Ends the run with this state (the vendor/gate/risk paths); never a bug. */
class Stop extends Error {
  constructor(
    readonly state: TerminalState,
    readonly reason: string,
  ) {
    super(`${state} ${reason}`);
  }
}

const EXIT: Record<TerminalState, number> = { SUCCEEDED: ExitCode.OK, BLOCKED: ExitCode.GATE_BLOCKED, FAILED: ExitCode.FAILURE, CANCELLED: 130 };

// the runner speaks an integration when its module has the client (core/vendors/<name>.ts)
const speaksMarketData = (s: IntegrationSpec) => !!marketDataOf(s);
const speaksBroker = (s: IntegrationSpec) => !!paperBrokerOf(s);
const RANK: Record<Status, number> = { OK: 0, DEGRADED: 1, BLOCKED: 2 };
const GATE_INTEGRATION = 'observatory';

/** Connected members of a group the runner speaks, best status first (registry order within a status). */
function usableMembers(registry: Registry, group: string, speaks: (s: IntegrationSpec) => boolean, env: NodeJS.ProcessEnv, status: Record<string, Status>): IntegrationSpec[] {
  const g = registry.groups.find((x) => x.name === group);
  const names = g?.anyOf ?? registry.integrations.filter(speaks).map((s) => s.name);
  return names
    .map((n) => getSpec(registry, n))
    .filter((s): s is IntegrationSpec => !!s && speaks(s) && connectedOf(s, env))
    .map((s, i) => ({ s, i }))
    .sort((a, b) => RANK[status[a.s.name] ?? 'BLOCKED'] - RANK[status[b.s.name] ?? 'BLOCKED'] || a.i - b.i)
    .map((x) => x.s);
}

function groupMembers(registry: Registry, group: string, fallback: string[]): string[] {
  return registry.groups.find((g) => g.name === group)?.anyOf.filter((n) => getSpec(registry, n)) ?? fallback;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function runReferenceBot(deps: RunnerDeps, options: BotRunOptions): Promise<RunSummary> {
  const o = normalizeOptions(options);
  const { pool, config, usage } = deps;
  const env = config.env;
  const registry = deps.registry ?? loadRegistry(config);
  const out = deps.out ?? (() => undefined);
  const events: string[] = [];
  const steps: StepRecord[] = [];
  const book = new Book();
  const pointValue = pointValueOf(config.riskLimits);
  let brokerClient: BrokerClient | null = null;

  const run: RunHandle = await usage.runs.start({ botId: o.botId, botName: o.botName, mode: o.mode, jobKind: 'reference', abandonSilentAfterMs: config.daemon.staleAfterMs });
  out(`run ${run.id} started: ${o.mode} bot ${o.botName ?? o.botId} (${o.botId}), ${o.iterations} iteration(s) — trace_id ${run.trace_id}`);
  const base = { bot_id: o.botId, run_id: run.id };
  let iteration = 0;
  let completed = 0;
  const tag = () => `[${iteration}/${o.iterations}]`;

  const step = (s: Omit<StepRecord, 'iteration'>, row?: EventRow) => {
    if (row) events.push(row.id);
    steps.push({ iteration, ...s, event_id: row?.id ?? s.event_id });
  };

  /** record() with track()'s semantics and metadata completed after the call. */
  async function observed<T>(
    input: Omit<EventInput, 'status' | 'id'> & { trace_id: string },
    fn: () => Promise<T>,
    after: (r: T) => { records?: number | null; metadata?: Record<string, unknown> } = () => ({}),
  ): Promise<{ result: T; row: EventRow }> {
    if (!usage.canTrade()) throw new SpoolFullError('the usage recorder cannot keep proof (spool full or closed): not calling the vendor');
    const probe = validateBatch([{ ...input, status: 'OK' }]);
    if (!probe.ok) throw new EventValidationError(probe.errors);
    const started = performance.now();
    const latency = () => Math.max(0, Math.round(performance.now() - started));
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      const row = usage.record({
        ...input,
        status: 'ERROR',
        latency_ms: latency(),
        reason_code: reasonCodeOf(err),
        metadata: { ...(input.metadata ?? {}), error_message: oneLine(sanitizeError(err).message, 200) },
      });
      const e = typeof err === 'object' && err !== null ? err : new Error(String(err));
      throw Object.assign(e, { usageRow: row });
    }
    const extra = after(result);
    const row = usage.record({
      ...input,
      status: 'OK',
      latency_ms: latency(),
      records: extra.records ?? null,
      metadata: { ...(input.metadata ?? {}), ...(extra.metadata ?? {}) },
    });
    return { result, row };
  }

  /** A failed vendor step: FAILED, or CANCELLED when a signal aborted the call. */
  const failed = (code: string): Stop => (deps.signal?.aborted ? new Stop('CANCELLED', 'SIGNAL') : new Stop('FAILED', code));
  const rowOf = (err: unknown): EventRow | undefined => (err as { usageRow?: EventRow })?.usageRow;
  const reasonOf = (err: unknown): string => rowOf(err)?.reason_code ?? reasonCodeOf(err);

  async function gate(): Promise<void> {
    const view = await autonomyView(pool, registry, config, {
      mode: o.mode,
      botId: o.botId,
      botBlockers: (p, id, mode) => botBlockers(p, id, config.daemon.staleAfterMs, mode),
    });
    const refused = view.global_status === 'BLOCKED' || view.global_status === 'UNKNOWN' || (o.strict && view.global_status === 'DEGRADED');
    if (!refused) {
      out(`${tag()} gate ${view.global_status} (${o.mode}): ${view.blockers.length} blocker(s), ${view.warnings.length} warning(s) — trace_id ${view.trace_id}`);
      for (const w of view.warnings) out(`${tag()}   ! ${w.code}${w.integration ? ` [${w.integration}]` : ''} — trace_id ${w.trace_id ?? view.trace_id}`);
      step({ step: 'gate', status: view.global_status === 'OK' ? 'OK' : 'DEGRADED', integration: null, operation: null, reason_code: null, trace_id: view.trace_id, event_id: null });
      return;
    }
    const first: Blocker | undefined = view.blockers[0] ?? view.warnings[0];
    const code = first?.code ?? (view.global_status === 'UNKNOWN' ? 'STATUS_UNAVAILABLE' : 'GATE_BLOCKED');
    const traceId = first?.trace_id ?? view.trace_id;
    const row = usage.recordBlocked(
      { integration: first?.integration ?? GATE_INTEGRATION, operation: 'gate.check', botId: o.botId, runId: run.id, traceId, metadata: { mode: o.mode, gate_status: view.global_status, blockers: view.blockers.length, gate_trace_id: view.trace_id } },
      code,
      first?.message,
    );
    step({ step: 'gate', status: 'BLOCKED', integration: row.integration, operation: 'gate.check', reason_code: code, trace_id: traceId, event_id: null }, row);
    out(`${tag()} gate ${view.global_status} (${o.mode}): ${code}${first?.integration ? ` [${first.integration}]` : ''} — trace_id ${traceId}`);
    for (const b of view.blockers) out(`${tag()}   ✗ ${b.code}${b.integration ? ` [${b.integration}]` : ''}: ${b.fix} — trace_id ${b.trace_id ?? view.trace_id}`);
    throw new Stop('BLOCKED', code);
  }

  async function marketData(status: Record<string, Status>): Promise<{ vendor: string; symbol: string; res: BarsResult; features: ReturnType<typeof computeFeatures> }> {
    const vendors = usableMembers(registry, 'marketdata', speaksMarketData, env, status);
    const spec = vendors[0];
    const client = spec && marketDataOf(spec);
    if (!spec || !client) {
      const members = groupMembers(registry, 'marketdata', namesOfKind('marketdata'));
      const vars = members.flatMap((n) => missingEnv(getSpec(registry, n)!, env));
      const row = usage.recordBlocked(
        { integration: members[0] ?? namesOfKind('marketdata')[0], operation: 'marketdata.bars', botId: o.botId, runId: run.id, timeframe: '1m' },
        'MISSING_CREDENTIALS',
        `no market-data vendor the runner can use is configured in its environment: set ${vars.join(' or ') || 'a vendor key'}`,
      );
      step({ step: 'marketdata', status: 'BLOCKED', integration: row.integration, operation: 'marketdata.bars', reason_code: 'MISSING_CREDENTIALS', trace_id: row.trace_id, event_id: null }, row);
      out(`${tag()} marketdata.bars: BLOCKED MISSING_CREDENTIALS (set ${vars.join(' or ')}) — trace_id ${row.trace_id}`);
      throw new Stop('BLOCKED', 'MISSING_CREDENTIALS');
    }
    const vendor = spec.name;
    const symbol = o.symbol ?? client.defaultSymbol;
    const traceId = newTraceId();
    let features: ReturnType<typeof computeFeatures> = null;
    try {
      const req = { symbol, bars: o.bars, traceId, timeoutMs: o.timeoutMs, signal: deps.signal, dataset: o.dataset };
      const { result, row } = await observed(
        {
          ...base,
          integration: vendor,
          operation: 'marketdata.bars',
          symbol,
          timeframe: '1m',
          trace_id: traceId,
          metadata: client.eventMetadata({ dataset: o.dataset }),
        },
        () => client.bars(env, req),
        (r) => {
          const f = computeFeatures(r.bars);
          features = f;
          return { records: r.bars.length, metadata: f ? { feature_keys_used: f.keys } : {} };
        },
      );
      step({ step: 'marketdata', status: 'OK', integration: vendor, operation: 'marketdata.bars', reason_code: null, trace_id: traceId, event_id: null }, row);
      out(`${tag()} marketdata.bars ${vendor} ${symbol} 1m: OK ${result.bars.length} bar(s) in ${row.latency_ms} ms — trace_id ${traceId}`);
      return { vendor, symbol, res: result, features };
    } catch (err) {
      const row = rowOf(err);
      if (!row) throw err;
      const code = reasonOf(err);
      step({ step: 'marketdata', status: 'ERROR', integration: vendor, operation: 'marketdata.bars', reason_code: code, trace_id: traceId, event_id: null }, row);
      out(`${tag()} marketdata.bars ${vendor} ${symbol} 1m: ERROR ${code}: ${String(row.metadata.error_message ?? '')} — trace_id ${traceId}`);
      throw failed(code);
    }
  }

  function risk(symbol: string, side: Side | null, qty: number, mark: number): void {
    const started = performance.now();
    const decision = checkOrder(config.riskLimits, { symbol, side, qty }, { position: book.position, dailyLoss: book.loss(mark, pointValue) });
    const latency = Math.max(0, Math.round(performance.now() - started));
    const traceId = newTraceId();
    const metadata = { action: side ? 'place' : 'hold', ...(side ? { side, qty } : {}), checks: decision.checks };
    if (decision.ok) {
      const row = usage.record({
        ...base,
        integration: 'risk_engine',
        operation: 'risk.check',
        status: 'OK',
        symbol,
        latency_ms: latency,
        trace_id: traceId,
        metadata: { ...metadata, feature_keys_used: [...RISK_FEATURES] },
      });
      step({ step: 'risk', status: 'OK', integration: 'risk_engine', operation: 'risk.check', reason_code: null, trace_id: traceId, event_id: null }, row);
      out(`${tag()} risk.check risk_engine ${side ? `${side} ${qty}` : 'hold'} ${symbol}: OK (${decision.checks.join(', ')}) — trace_id ${traceId}`);
      return;
    }
    const row = usage.recordBlocked(
      { integration: 'risk_engine', operation: 'risk.check', botId: o.botId, runId: run.id, symbol, traceId, metadata, featureKeysUsed: [...RISK_FEATURES, 'risk.violation_code'] },
      decision.code,
      decision.message,
    );
    step({ step: 'risk', status: 'BLOCKED', integration: 'risk_engine', operation: 'risk.check', reason_code: decision.code, trace_id: traceId, event_id: null }, row);
    out(`${tag()} risk.check risk_engine ${side ? `${side} ${qty}` : 'hold'} ${symbol}: BLOCKED ${decision.code}: ${decision.message} — trace_id ${traceId}`);
    throw new Stop('BLOCKED', decision.code);
  }

  const FILL_FEATURES = ['exec.fill_provenance', 'exec.position_qty', 'exec.position_state'];

  function shadowOrder(integration: string, symbol: string, side: Side, qty: number, mark: number): void {
    const orderTrace = newTraceId();
    const intent = usage.record({
      ...base,
      integration,
      operation: 'broker.place_order',
      status: 'OK',
      symbol,
      latency_ms: 0,
      trace_id: orderTrace,
      metadata: { action: 'place', side, qty, order_type: 'market', provenance: 'SIM', sent: false },
    });
    step({ step: 'broker', status: 'OK', integration, operation: 'broker.place_order', reason_code: null, trace_id: orderTrace, event_id: null }, intent);
    out(`${tag()} broker.place_order ${integration} ${side} ${qty} ${symbol}: OK (shadow: simulated, never sent) — trace_id ${orderTrace}`);
    book.fill(signedQty(side, qty), mark);
    const fill = usage.record({
      ...base,
      integration,
      operation: 'broker.fill',
      status: 'OK',
      symbol,
      records: 1,
      trace_id: orderTrace,
      metadata: { provenance: 'SIM', side, qty, feature_keys_used: FILL_FEATURES },
    });
    step({ step: 'fill', status: 'OK', integration, operation: 'broker.fill', reason_code: null, trace_id: orderTrace, event_id: null }, fill);
    out(`${tag()} broker.fill ${integration} SIM ${side} ${qty} ${symbol} at the last close (simulated; not proof of broker use) — trace_id ${orderTrace}`);
  }

  async function paperOrder(status: Record<string, Status>, symbol: string, side: Side, qty: number, mark: number): Promise<void> {
    const brokers = usableMembers(registry, 'broker', speaksBroker, env, status);
    const members = groupMembers(registry, 'broker', namesOfKind('broker'));
    const metadata = { action: 'place', side, qty, order_type: 'market' };
    const blocked = (integration: string, code: string, message: string): never => {
      const row = usage.recordBlocked({ integration, operation: 'broker.place_order', botId: o.botId, runId: run.id, symbol, metadata }, code, message);
      step({ step: 'broker', status: 'BLOCKED', integration, operation: 'broker.place_order', reason_code: code, trace_id: row.trace_id, event_id: null }, row);
      out(`${tag()} broker.place_order ${integration} ${side} ${qty} ${symbol}: BLOCKED ${code}: ${message} — no order sent, no fill recorded — trace_id ${row.trace_id}`);
      throw new Stop('BLOCKED', code);
    };
    const spec = brokers[0];
    const broker = spec && paperBrokerOf(spec);
    if (!spec || !broker) {
      const vars = members.map((n) => getSpec(registry, n)).filter((s): s is IntegrationSpec => !!s).map((s) => `${missingEnv(s, env).join(', ')} (${s.name})`);
      return blocked(members[0] ?? namesOfKind('broker')[0], 'MISSING_CREDENTIALS', `no broker connected for paper orders: set ${vars.join(' or ') || 'broker credentials'}`);
    }
    const live = broker.liveHostReason(env);
    if (live) return blocked(spec.name, 'BROKER_LIVE_HOST', `paper orders go to the broker's demo host only: ${live}`);
    // fail-closed: never send an order through a broker the observatory has BLOCKED (a rejected
    // key, an outage, a drill, never probed) — even in paper mode, where the gate only warns
    if (status[spec.name] === 'BLOCKED')
      return blocked(spec.name, 'INTEGRATION_BLOCKED', `${spec.name} is BLOCKED in the observatory (see \`observatory status\`): no order sent to a broker it cannot vouch for`);
    brokerClient ??= broker.open(env);
    const client = brokerClient;
    const traceId = newTraceId();
    const call = { traceId, timeoutMs: o.timeoutMs, signal: deps.signal };
    let orderId: string;
    try {
      const { result, row } = await observed({ ...base, integration: spec.name, operation: 'broker.place_order', symbol, trace_id: traceId, metadata: { ...metadata, venue: 'demo' } }, () =>
        client.placeOrder({ symbol, side, qty }, call),
      );
      orderId = result.orderId;
      step({ step: 'broker', status: 'OK', integration: spec.name, operation: 'broker.place_order', reason_code: null, trace_id: traceId, event_id: null }, row);
      out(`${tag()} broker.place_order ${spec.name} ${side} ${qty} ${symbol}: OK (paper order accepted at the demo host) — trace_id ${traceId}`);
    } catch (err) {
      const row = rowOf(err);
      if (!row) throw err;
      const code = reasonOf(err);
      step({ step: 'broker', status: 'ERROR', integration: spec.name, operation: 'broker.place_order', reason_code: code, trace_id: traceId, event_id: null }, row);
      out(`${tag()} broker.place_order ${spec.name} ${side} ${qty} ${symbol}: ERROR ${code}: ${String(row.metadata.error_message ?? '')} — trace_id ${traceId}`);
      throw failed(code);
    }

    // a fill is recorded only when the broker reports one for this order
    const fillTrace = newTraceId();
    try {
      const deadline = Date.now() + o.fillWaitMs;
      const { result: fills, row } = await observed(
        { ...base, integration: spec.name, operation: 'broker.order_status', symbol, trace_id: fillTrace, metadata: { action: 'fill_status' } },
        async () => {
          for (;;) {
            const f = await client.fills(orderId, { ...call, traceId: fillTrace });
            if (f.length || Date.now() >= deadline || deps.signal?.aborted) return f;
            await sleep(Math.min(500, Math.max(0, deadline - Date.now())), deps.signal);
          }
        },
        (f) => ({ records: f.length }),
      );
      step({ step: 'fill', status: 'OK', integration: spec.name, operation: 'broker.order_status', reason_code: null, trace_id: fillTrace, event_id: null }, row);
      if (!fills.length) out(`${tag()} broker.order_status ${spec.name}: no fill reported within ${o.fillWaitMs} ms — none recorded — trace_id ${fillTrace}`);
      else out(`${tag()} broker.order_status ${spec.name}: ${fills.length} fill(s) reported — trace_id ${fillTrace}`);
      for (const f of fills) {
        book.fill(signedQty(side, f.qty), f.price ?? mark);
        const fr = usage.record({
          ...base,
          integration: spec.name,
          operation: 'broker.fill',
          status: 'OK',
          symbol,
          records: 1,
          trace_id: fillTrace,
          metadata: { provenance: 'PAPER', side, qty: f.qty, feature_keys_used: FILL_FEATURES },
        });
        step({ step: 'fill', status: 'OK', integration: spec.name, operation: 'broker.fill', reason_code: null, trace_id: fillTrace, event_id: null }, fr);
        out(`${tag()} broker.fill ${spec.name} PAPER ${side} ${f.qty} ${symbol} (reported by the broker's demo host) — trace_id ${fillTrace}`);
      }
    } catch (err) {
      const row = rowOf(err);
      if (!row) throw err;
      const code = reasonOf(err);
      step({ step: 'fill', status: 'ERROR', integration: spec.name, operation: 'broker.order_status', reason_code: code, trace_id: fillTrace, event_id: null }, row);
      out(`${tag()} broker.order_status ${spec.name}: ERROR ${code}: ${String(row.metadata.error_message ?? '')} — the order's state is unknown — trace_id ${fillTrace}`);
      throw failed(code);
    }
  }

  async function ai(features: Features): Promise<void> {
    const spec = registry.integrations.find((s) => chatOf(s) && connectedOf(s, env));
    const chat = spec && chatOf(spec);
    if (!spec || !chat) return;
    const traceId = newTraceId();
    try {
      const { result, row } = await observed(
        { ...base, integration: spec.name, operation: 'llm.chat', trace_id: traceId, metadata: { model: o.model, purpose: 'regime_classification', endpoint: 'chat.completions' } },
        () => classifyRegime(chat, env, o.model, features, { traceId, timeoutMs: o.timeoutMs, signal: deps.signal }),
        (r) => ({
          metadata: {
            ...(r.promptTokens !== null ? { prompt_tokens: r.promptTokens } : {}),
            ...(r.completionTokens !== null ? { completion_tokens: r.completionTokens } : {}),
            ...(r.regime ? { regime: r.regime, feature_keys_used: ['ai.regime_classification'] } : {}),
          },
        }),
      );
      step({ step: 'ai', status: 'OK', integration: spec.name, operation: 'llm.chat', reason_code: null, trace_id: traceId, event_id: null }, row);
      out(`${tag()} llm.chat ${spec.name} ${o.model}: OK regime=${result.regime ?? 'unrecognized'} — trace_id ${traceId}`);
    } catch (err) {
      const row = rowOf(err);
      if (!row) throw err;
      // optional: recorded, reported, not fatal
      step({ step: 'ai', status: 'ERROR', integration: spec.name, operation: 'llm.chat', reason_code: reasonOf(err), trace_id: traceId, event_id: null }, row);
      out(`${tag()} llm.chat ${spec.name} ${o.model}: ERROR ${reasonOf(err)} (optional; continuing) — trace_id ${traceId}`);
    }
  }

  /** Sleeps between iterations, heartbeating often enough that the run never looks stale. */
  async function pause(): Promise<void> {
    const every = Math.max(250, Math.floor(config.daemon.staleAfterMs / 3));
    let left = o.intervalMs;
    while (left > 0 && !deps.signal?.aborted) {
      const chunk = Math.min(left, every);
      await sleep(chunk, deps.signal);
      left -= chunk;
      if (left > 0) await run.heartbeat();
    }
  }

  let state: TerminalState = 'SUCCEEDED';
  let reason: string | null = null;
  let unexpected: unknown;
  try {
    for (iteration = 1; iteration <= o.iterations; iteration++) {
      if (deps.signal?.aborted) throw new Stop('CANCELLED', 'SIGNAL');
      await gate();
      const status = await statusByIntegration(pool, registry, config);
      const md = await marketData(status);
      if (!md.features) {
        step({ step: 'features', status: 'SKIPPED', integration: md.vendor, operation: null, reason_code: 'NO_BARS', trace_id: null, event_id: null });
        out(`${tag()} features: no bars in the window (market closed?) — no signal, no order`);
      } else {
        const f = md.features.values;
        const signal = signalOf(f);
        const target = signal === 'buy' ? o.qty : signal === 'sell' ? -o.qty : book.position;
        const delta = target - book.position;
        const side: Side | null = delta > 0 ? 'buy' : delta < 0 ? 'sell' : null;
        const qty = Math.abs(delta);
        const orderSymbol = o.brokerSymbol ?? (o.mode === 'paper' ? (md.res.instrument ?? md.symbol) : md.symbol);
        out(`${tag()} features: ${md.features.keys.length} computed from ${md.res.bars.length} bar(s) (values kept in memory); signal ${signal ?? 'none'} → ${side ? `${side} ${qty}` : 'hold'}`);
        risk(orderSymbol, side, qty, f.close);
        if (side) {
          if (o.mode === 'shadow') {
            const brokers = usableMembers(registry, 'broker', speaksBroker, env, status);
            const integration = brokers[0]?.name ?? groupMembers(registry, 'broker', namesOfKind('broker'))[0] ?? namesOfKind('broker')[0];
            shadowOrder(integration, orderSymbol, side, qty, f.close);
          } else await paperOrder(status, orderSymbol, side, qty, f.close);
        }
        await ai(f);
      }
      const alive = await run.heartbeat();
      if (!alive) throw new Stop('FAILED', 'RUN_NOT_RUNNING');
      completed = iteration;
      if (iteration < o.iterations) await pause();
    }
    if (deps.signal?.aborted) throw new Stop('CANCELLED', 'SIGNAL');
  } catch (err) {
    if (err instanceof Stop) {
      state = err.state;
      reason = err.reason;
    } else if (err instanceof SpoolFullError) {
      // cannot keep proof ⇒ must not trade: fail closed
      state = 'BLOCKED';
      reason = 'SPOOL_FULL';
      out(`${tag()} usage recorder cannot keep proof (${err.message}): stopping — fail-closed`);
    } else {
      state = 'FAILED';
      reason = err instanceof VendorError ? err.code : reasonCodeOf(err);
      if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(reason)) reason = 'RUNNER_ERROR';
      unexpected = err;
      out(`${tag()} unexpected error: ${oneLine(sanitizeError(err).message, 200)}`);
    }
  }

  let finished: RunView | null = null;
  try {
    finished = await run.finish(state, state === 'SUCCEEDED' ? null : (reason ?? 'RUNNER_ERROR'));
  } catch (err) {
    out(`could not record the end of run ${run.id}: ${oneLine(sanitizeError(err).message, 200)}`);
  }
  await usage.flush().catch(() => undefined);
  out(`run ${run.id} ${state}${reason && state !== 'SUCCEEDED' ? ` ${reason}` : ''}: ${completed}/${o.iterations} iteration(s), ${events.length} usage event(s) — trace_id ${run.trace_id}`);
  if (unexpected !== undefined) throw unexpected;
  return {
    success: state === 'SUCCEEDED',
    trace_id: run.trace_id,
    mode: o.mode,
    bot: { id: o.botId, name: o.botName ?? null },
    run: finished,
    status: state,
    reason_code: state === 'SUCCEEDED' ? null : reason,
    exit_code: EXIT[state],
    iterations: { requested: o.iterations, completed },
    events,
    steps,
  };
}
