/**
 * The reference paper/shadow bot, built on the usage SDK. It exists to produce real proof of
 * use (brief Phase 6, acceptance tests 2 and 3) and to show a bot honouring the gate.
 *
 * It reaches the observatory only through the SDK (observatory/sdk: runs, usage events, the
 * gate and integration status) and its vendors over HTTP — what any bot can do. It reads the
 * observatory's config and registry (core) only to know which vendors it can speak.
 *
 * One run = runs.start({botId, botName, mode, jobKind: 'reference'}) and a `runner` `run.start`
 * usage event (run-events.ts), then per iteration:
 *  1. gate (fail-closed): the SDK's gate() for the mode and this bot (with its own blockers).
 *     BLOCKED / UNKNOWN (or DEGRADED with strict) ⇒ a BLOCKED `gate.check` event (integration
 *     of the first blocker, `observatory` when the blocker names none; reason = its code), the
 *     run ends BLOCKED, exit 2.
 *  2. market data: the first connected member of the `marketdata` group that the runner can
 *     speak (Databento, Polygon), preferring one whose status is OK → `marketdata.bars`
 *     (symbol, timeframe 1m, records = bars, feature_keys_used = the md.* names computed).
 *  3. risk: the intended order (target position from a simple VWAP/return signal) against
 *     `risk_limits` → `risk.check` OK, or BLOCKED with the code (run ends BLOCKED).
 *  4. broker (core/modes.ts, through mode.ts): shadow never sends: a `broker.place_order`
 *     intent and a `broker.fill` with provenance SIM under the `simulator` integration
 *     (simulator.ts), never a broker's. Paper: no broker credentials ⇒ BLOCKED
 *     MISSING_CREDENTIALS (no fill); otherwise a market order at the DEMO host of a broker whose
 *     host fits paper (the gate counts only those), and a PAPER `broker.fill` only for a fill
 *     the broker reports.
 *  5. AI (only with OPENAI_API_KEY): one chat completion labelling the regime → `llm.chat`
 *     with model, purpose and token counts. Optional: its failure is recorded, not fatal.
 *  6. heartbeat; after the last iteration the run ends SUCCEEDED. Whatever the end, a `runner`
 *     `run.finish` event records the terminal state before the run row is finished.
 * A vendor failure on a required step records an ERROR event (sanitized reason) and ends the
 * run FAILED (exit 1); any other error ends it FAILED and is rethrown after recording.
 *
 * Vendor calls go through the SDK's track(): facts known only after the call (token counts,
 * the feature names actually computed) come through its metadataOf, and its onEvent hands
 * back the recorded event (id, reason) for the step log.
 *
 * One run's steps share its state (the run, the book, the step log) as closures, so they stay
 * in this one module (over the usual size): threading that state through separate modules
 * would only add plumbing. Flags and their validation live in options.ts.
 *
 * Feature values, prompts, replies, tokens and account ids stay in memory; events carry names,
 * counts, sides, quantities and provenance only.
 */
import { performance } from 'node:perf_hooks';
import type { Config } from '../core/config.js';
import { ExitCode } from '../core/errors.js';
import { connectedOf, getSpec, loadRegistry, missingEnv } from '../core/vendors/registry.js';
import type { IntegrationSpec, Registry } from '../core/types.js';
import { oneLine, sanitizeError } from '../core/redact.js';
import { newTraceId } from '../core/trace.js';
import {
  reasonCodeOf,
  SpoolFullError,
  type Blocker,
  type EventRow,
  type RunHandle,
  type RunView,
  type Status,
  type TerminalState,
  type UsageRecorder,
} from '../sdk/index.js';
import { namesOfKind } from '../core/vendors/index.js';
import { endpointOf } from '../core/vendors/specs.js';
import { VendorError } from '../core/vendors/http.js';
import { paperBrokerOf, type BrokerClient } from './brokers.js';
import { computeFeatures, signalOf, type Features, type Side } from './features.js';
import { chatOf, classifyRegime } from './llm.js';
import { marketDataOf, type BarsResult } from './marketdata.js';
import { sessionBars, sessionMarkersAt, tradedSymbol } from './session.js';
import { normalizeOptions, type BotRunOptions, type RunnerMode } from './options.js';
import { Book, checkOrder, pointValueOf, RISK_FEATURES, signedQty } from './risk.js';
import { hostMismatch, orderBrokers, sendsOrders } from './mode.js';
import { simulateOrder, SIMULATOR } from './simulator.js';
import { recordRunFinish, recordRunStart } from './run-events.js';
import { anySignal, KillSwitch } from './kill.js';
import { RunMetrics } from './metrics-vars.js';

export interface RunnerDeps {
  config: Config;
  /** the bot's only way to the observatory: runs, events, the gate and integration status */
  usage: UsageRecorder;
  registry?: Registry;
  /** one human line per step (already free of secrets; callers still pass it through the sanitizer) */
  out?: (line: string) => void;
  /** aborts between steps: the run ends CANCELLED */
  signal?: AbortSignal;
}

export interface StepRecord {
  iteration: number;
  step: 'gate' | 'marketdata' | 'features' | 'risk' | 'broker' | 'fill' | 'ai' | 'heartbeat' | 'kill';
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
function usableMembers(
  registry: Registry,
  group: string,
  speaks: (s: IntegrationSpec) => boolean,
  env: NodeJS.ProcessEnv,
  status: Record<string, Status>,
): IntegrationSpec[] {
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
  const { config, usage } = deps;
  const env = config.env;
  const registry = deps.registry ?? loadRegistry(config);
  const out = deps.out ?? (() => undefined);
  const events: string[] = [];
  const steps: StepRecord[] = [];
  const book = new Book();
  const pointValue = pointValueOf(config.riskLimits);
  // exposure, drawdown, fill latency, slippage: values in memory, names on the events (metrics-vars.ts)
  const metrics = new RunMetrics(pointValue);
  let brokerClient: BrokerClient | null = null;

  const run: RunHandle = await usage.runs.start({
    botId: o.botId,
    botName: o.botName,
    mode: o.mode,
    jobKind: 'reference',
    abandonSilentAfterMs: config.daemon.staleAfterMs,
  });
  out(`run ${run.id} started: ${o.mode} bot ${o.botName ?? o.botId} (${o.botId}), ${o.iterations} iteration(s) — trace_id ${run.trace_id}`);
  const base = { bot_id: o.botId, run_id: run.id };
  /** the same, for track() contexts */
  const who = { botId: o.botId, runId: run.id };
  let iteration = 0;
  let completed = 0;
  const tag = () => `[${iteration}/${o.iterations}]`;
  /** an integration as the run's lines name it: a vendor reached through a non-default base URL (a stand-in, a proxy) says so */
  const shown = (name: string) => {
    const spec = getSpec(registry, name);
    return spec && endpointOf(spec, env).customEndpoint ? `${name} [endpoint: custom]` : name;
  };
  // the kill switch (kill.ts): a halt wakes the bot, cancels its working orders and stops it
  const kill = new KillSwitch(usage, { botId: o.botId, runId: run.id });
  await kill.start();
  let lastOrder: { symbol: string; mark: number } | null = null;

  const step = (s: Omit<StepRecord, 'iteration'>, row?: EventRow) => {
    if (row) events.push(row.id);
    steps.push({ iteration, ...s, event_id: row?.id ?? s.event_id });
  };

  /** A failed vendor step: FAILED, or CANCELLED when a signal aborted the call. */
  const failed = (code: string): Stop => (deps.signal?.aborted ? new Stop('CANCELLED', 'SIGNAL') : new Stop('FAILED', code));
  /** The reason of a recorded ERROR event (track() always sets one). */
  const reasonOf = (row: EventRow, err: unknown): string => row.reason_code ?? reasonCodeOf(err);

  async function gate(): Promise<void> {
    const view = await usage.gate({ mode: o.mode, botId: o.botId, config, registry });
    const refused = view.global_status === 'BLOCKED' || view.global_status === 'UNKNOWN' || (o.strict && view.global_status === 'DEGRADED');
    if (!refused) {
      out(
        `${tag()} gate ${view.global_status} (${o.mode}): ${view.blockers.length} blocker(s), ${view.warnings.length} warning(s) — trace_id ${view.trace_id}`,
      );
      for (const w of view.warnings) out(`${tag()}   ! ${w.code}${w.integration ? ` [${w.integration}]` : ''} — trace_id ${w.trace_id ?? view.trace_id}`);
      step({
        step: 'gate',
        status: view.global_status === 'OK' ? 'OK' : 'DEGRADED',
        integration: null,
        operation: null,
        reason_code: null,
        trace_id: view.trace_id,
        event_id: null,
      });
      return;
    }
    const first: Blocker | undefined = view.blockers[0] ?? view.warnings[0];
    const code = first?.code ?? (view.global_status === 'UNKNOWN' ? 'STATUS_UNAVAILABLE' : 'GATE_BLOCKED');
    const traceId = first?.trace_id ?? view.trace_id;
    const row = usage.recordBlocked(
      {
        integration: first?.integration ?? GATE_INTEGRATION,
        operation: 'gate.check',
        botId: o.botId,
        runId: run.id,
        traceId,
        metadata: { mode: o.mode, gate_status: view.global_status, blockers: view.blockers.length, gate_trace_id: view.trace_id },
      },
      code,
      first?.message,
    );
    step({ step: 'gate', status: 'BLOCKED', integration: row.integration, operation: 'gate.check', reason_code: code, trace_id: traceId, event_id: null }, row);
    out(`${tag()} gate ${view.global_status} (${o.mode}): ${code}${first?.integration ? ` [${first.integration}]` : ''} — trace_id ${traceId}`);
    for (const b of view.blockers)
      out(`${tag()}   ✗ ${b.code}${b.integration ? ` [${b.integration}]` : ''}: ${b.fix} — trace_id ${b.trace_id ?? view.trace_id}`);
    throw new Stop('BLOCKED', code);
  }

  async function marketData(
    status: Record<string, Status>,
  ): Promise<{ vendor: string; symbol: string; res: BarsResult; features: ReturnType<typeof computeFeatures> }> {
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
      step(
        {
          step: 'marketdata',
          status: 'BLOCKED',
          integration: row.integration,
          operation: 'marketdata.bars',
          reason_code: 'MISSING_CREDENTIALS',
          trace_id: row.trace_id,
          event_id: null,
        },
        row,
      );
      out(`${tag()} marketdata.bars: BLOCKED MISSING_CREDENTIALS (set ${vars.join(' or ')}) — trace_id ${row.trace_id}`);
      throw new Stop('BLOCKED', 'MISSING_CREDENTIALS');
    }
    const vendor = spec.name;
    // a CME root trades its front-month contract (runner/session.ts)
    const symbol = o.symbol ?? tradedSymbol(client.defaultSymbol, Date.now());
    const traceId = newTraceId();
    let features: ReturnType<typeof computeFeatures> = null;
    const ev: { row?: EventRow } = {};
    try {
      const req = { symbol, bars: o.bars, traceId, timeoutMs: o.timeoutMs, signal: deps.signal, dataset: o.dataset };
      const result = await usage.track(
        {
          ...who,
          integration: vendor,
          operation: 'marketdata.bars',
          symbol,
          timeframe: '1m',
          traceId,
          metadata: client.eventMetadata({ dataset: o.dataset }),
          records: (r: BarsResult) => r.bars.length,
          // the features are computed from the bars; the event names the ones computed
          metadataOf: (r) => {
            // features over the current session's bars; the catalog's session markers from the calendar
            features = computeFeatures(sessionBars(r.bars, symbol));
            const markers = sessionMarkersAt(symbol, Date.now());
            return features ? { feature_keys_used: [...features.keys, ...(markers?.keys ?? [])] } : null;
          },
          onEvent: (e) => (ev.row = e),
        },
        () => client.bars(env, req),
      );
      const row = ev.row!;
      step({ step: 'marketdata', status: 'OK', integration: vendor, operation: 'marketdata.bars', reason_code: null, trace_id: traceId, event_id: null }, row);
      out(`${tag()} marketdata.bars ${shown(vendor)} ${symbol} 1m: OK ${result.bars.length} bar(s) in ${row.latency_ms} ms — trace_id ${traceId}`);
      return { vendor, symbol, res: result, features };
    } catch (err) {
      const row = ev.row;
      if (!row) throw err;
      const code = reasonOf(row, err);
      step(
        { step: 'marketdata', status: 'ERROR', integration: vendor, operation: 'marketdata.bars', reason_code: code, trace_id: traceId, event_id: null },
        row,
      );
      out(`${tag()} marketdata.bars ${shown(vendor)} ${symbol} 1m: ERROR ${code}: ${String(row.metadata.error_message ?? '')} — trace_id ${traceId}`);
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
        metadata: { ...metadata, feature_keys_used: [...RISK_FEATURES, ...metrics.mark(book, mark)] },
      });
      step({ step: 'risk', status: 'OK', integration: 'risk_engine', operation: 'risk.check', reason_code: null, trace_id: traceId, event_id: null }, row);
      out(`${tag()} risk.check risk_engine ${side ? `${side} ${qty}` : 'hold'} ${symbol}: OK (${decision.checks.join(', ')}) — trace_id ${traceId}`);
      return;
    }
    const row = usage.recordBlocked(
      {
        integration: 'risk_engine',
        operation: 'risk.check',
        botId: o.botId,
        runId: run.id,
        symbol,
        traceId,
        metadata,
        featureKeysUsed: [...RISK_FEATURES, 'risk.violation_code'],
      },
      decision.code,
      decision.message,
    );
    step(
      { step: 'risk', status: 'BLOCKED', integration: 'risk_engine', operation: 'risk.check', reason_code: decision.code, trace_id: traceId, event_id: null },
      row,
    );
    out(`${tag()} risk.check risk_engine ${side ? `${side} ${qty}` : 'hold'} ${symbol}: BLOCKED ${decision.code}: ${decision.message} — trace_id ${traceId}`);
    throw new Stop('BLOCKED', decision.code);
  }

  /** The trading state's word on an order (SDK canPlace); a refusal is its BLOCKED event, then the bot obeys the state. */
  async function allowed(integration: string, symbol: string, side: Side, qty: number): Promise<void> {
    // obeyKill always throws; declared below
    const d = await usage.canPlace({ integration, side, qty, position: book.position, symbol, botId: o.botId, runId: run.id });
    if (d.allowed) return;
    if (d.event_id) events.push(d.event_id);
    step({
      step: 'broker',
      status: 'BLOCKED',
      integration,
      operation: 'broker.place_order',
      reason_code: d.reason_code,
      trace_id: d.trace_id,
      event_id: d.event_id,
    });
    out(
      `${tag()} broker.place_order ${shown(integration)} ${side} ${qty} ${symbol}: BLOCKED ${d.reason_code}: ${d.message} — no order sent — trace_id ${d.trace_id}`,
    );
    // HALTED: cancel the working orders; REDUCING: flatten (a reducing order passes); both stop the run
    await obeyKill(d.reason_code === 'REDUCING' ? 'TRADING_REDUCING' : 'TRADING_HALTED');
  }

  /** Shadow (core/modes.ts): never sent; the intent and its fill are recorded under `simulator`, provenance SIM. */
  function shadowOrder(symbol: string, side: Side, qty: number, mark: number): void {
    book.fill(signedQty(side, qty), mark);
    // exposure and drawdown follow the simulated book; latency and slippage are a broker's only (metrics-vars.ts)
    const sim = simulateOrder(usage, base, { symbol, side, qty }, metrics.fill(book, { side, qty, intendedPrice: mark }));
    const t = sim.traceId;
    step({ step: 'broker', status: 'OK', integration: SIMULATOR, operation: 'broker.place_order', reason_code: null, trace_id: t, event_id: null }, sim.intent);
    out(`${tag()} broker.place_order ${SIMULATOR} ${side} ${qty} ${symbol}: SIMULATED (shadow: never sent to a broker) — trace_id ${t}`);
    step({ step: 'fill', status: 'OK', integration: SIMULATOR, operation: 'broker.fill', reason_code: null, trace_id: t, event_id: null }, sim.fill);
    out(`${tag()} broker.fill ${SIMULATOR} SIM ${side} ${qty} ${symbol} at the last close (simulated; not proof of broker use) — trace_id ${t}`);
  }

  async function paperOrder(status: Record<string, Status>, symbol: string, side: Side, qty: number, mark: number): Promise<void> {
    const brokers = orderBrokers(o.mode, usableMembers(registry, 'broker', speaksBroker, env, status), env);
    const members = groupMembers(registry, 'broker', namesOfKind('broker'));
    const metadata = { action: 'place', side, qty, order_type: 'market' };
    const blocked = (integration: string, code: string, message: string): never => {
      const row = usage.recordBlocked({ integration, operation: 'broker.place_order', botId: o.botId, runId: run.id, symbol, metadata }, code, message);
      step({ step: 'broker', status: 'BLOCKED', integration, operation: 'broker.place_order', reason_code: code, trace_id: row.trace_id, event_id: null }, row);
      out(
        `${tag()} broker.place_order ${shown(integration)} ${side} ${qty} ${symbol}: BLOCKED ${code}: ${message} — no order sent, no fill recorded — trace_id ${row.trace_id}`,
      );
      throw new Stop('BLOCKED', code);
    };
    const spec = brokers[0];
    const broker = spec && paperBrokerOf(spec);
    if (!spec || !broker) {
      const vars = members
        .map((n) => getSpec(registry, n))
        .filter((s): s is IntegrationSpec => !!s)
        .map((s) => `${missingEnv(s, env).join(', ')} (${s.name})`);
      return blocked(
        members[0] ?? namesOfKind('broker')[0],
        'MISSING_CREDENTIALS',
        `no broker connected for paper orders: set ${vars.join(' or ') || 'broker credentials'}`,
      );
    }
    const live = hostMismatch(o.mode, spec, env);
    if (live) return blocked(spec.name, 'BROKER_LIVE_HOST', `paper orders go to the broker's demo host only: ${live}`);
    // fail-closed: never send an order through a broker the observatory has BLOCKED (a rejected
    // key, an outage, a drill, never probed) — even in paper mode, where the gate only warns
    if (status[spec.name] === 'BLOCKED')
      return blocked(
        spec.name,
        'INTEGRATION_BLOCKED',
        `${spec.name} is BLOCKED in the observatory (see \`observatory status\`): no order sent to a broker it cannot vouch for`,
      );
    // a symbol the broker cannot trade (Polygon's SPY at a futures broker, a continuous ES.c.0) is
    // refused here, before anything is sent: the run ends BLOCKED with the fix, never FAILED at the broker
    if (broker.symbol(symbol) === null)
      return blocked(
        spec.name,
        'SYMBOL_UNSUPPORTED',
        `${symbol} is not a contract ${spec.name} trades (a futures broker): name the contract with --broker-symbol (e.g. ${tradedSymbol('ES.c.0', Date.now())})`,
      );
    await allowed(spec.name, symbol, side, qty);
    brokerClient ??= broker.open(env);
    const client = brokerClient;
    const traceId = newTraceId();
    const call = { traceId, timeoutMs: o.timeoutMs, signal: deps.signal };
    let orderId: string;
    const submittedAt = performance.now();
    const placed: { row?: EventRow } = {};
    try {
      const result = await usage.track(
        {
          ...who,
          integration: spec.name,
          operation: 'broker.place_order',
          symbol,
          traceId,
          metadata: { ...metadata, venue: 'demo' },
          onEvent: (e) => (placed.row = e),
        },
        () => client.placeOrder({ symbol, side, qty }, call),
      );
      orderId = result.orderId;
      step(
        { step: 'broker', status: 'OK', integration: spec.name, operation: 'broker.place_order', reason_code: null, trace_id: traceId, event_id: null },
        placed.row,
      );
      out(`${tag()} broker.place_order ${shown(spec.name)} ${side} ${qty} ${symbol}: OK (paper order accepted at the demo host) — trace_id ${traceId}`);
    } catch (err) {
      const row = placed.row;
      if (!row) throw err;
      const code = reasonOf(row, err);
      step(
        { step: 'broker', status: 'ERROR', integration: spec.name, operation: 'broker.place_order', reason_code: code, trace_id: traceId, event_id: null },
        row,
      );
      out(
        `${tag()} broker.place_order ${shown(spec.name)} ${side} ${qty} ${symbol}: ERROR ${code}: ${String(row.metadata.error_message ?? '')} — trace_id ${traceId}`,
      );
      throw failed(code);
    }

    // a fill is recorded only when the broker reports one for this order
    const fillTrace = newTraceId();
    const polled: { row?: EventRow } = {};
    try {
      const deadline = Date.now() + o.fillWaitMs;
      const fills = await usage.track(
        {
          ...who,
          integration: spec.name,
          operation: 'broker.order_status',
          symbol,
          traceId: fillTrace,
          metadata: { action: 'fill_status' },
          records: (f: unknown[]) => f.length,
          onEvent: (e) => (polled.row = e),
        },
        async () => {
          for (;;) {
            const f = await client.fills(orderId, { ...call, traceId: fillTrace });
            if (f.length || Date.now() >= deadline || deps.signal?.aborted) return f;
            await sleep(Math.min(500, Math.max(0, deadline - Date.now())), deps.signal);
          }
        },
      );
      step(
        { step: 'fill', status: 'OK', integration: spec.name, operation: 'broker.order_status', reason_code: null, trace_id: fillTrace, event_id: null },
        polled.row,
      );
      if (!fills.length) {
        out(
          `${tag()} broker.order_status ${shown(spec.name)}: no fill reported within ${o.fillWaitMs} ms — none recorded; order ${orderId} is working — trace_id ${fillTrace}`,
        );
        kill.working.set(orderId, { integration: spec.name, orderId, symbol, side, qty, client });
      } else out(`${tag()} broker.order_status ${shown(spec.name)}: ${fills.length} fill(s) reported — trace_id ${fillTrace}`);
      const reportedAt = performance.now();
      for (const f of fills) {
        book.fill(signedQty(side, f.qty), f.price ?? mark);
        const fillKeys = metrics.fill(book, { side, qty: f.qty, intendedPrice: mark, fillPrice: f.price, latencyMs: reportedAt - submittedAt });
        const fr = usage.record({
          ...base,
          integration: spec.name,
          operation: 'broker.fill',
          status: 'OK',
          symbol,
          records: 1,
          trace_id: fillTrace,
          metadata: { provenance: 'PAPER', side, qty: f.qty, feature_keys_used: fillKeys },
        });
        step({ step: 'fill', status: 'OK', integration: spec.name, operation: 'broker.fill', reason_code: null, trace_id: fillTrace, event_id: null }, fr);
        out(`${tag()} broker.fill ${shown(spec.name)} PAPER ${side} ${f.qty} ${symbol} (reported by the broker's demo host) — trace_id ${fillTrace}`);
      }
    } catch (err) {
      const row = polled.row;
      if (!row) throw err;
      const code = reasonOf(row, err);
      step(
        { step: 'fill', status: 'ERROR', integration: spec.name, operation: 'broker.order_status', reason_code: code, trace_id: fillTrace, event_id: null },
        row,
      );
      out(
        `${tag()} broker.order_status ${shown(spec.name)}: ERROR ${code}: ${String(row.metadata.error_message ?? '')} — the order's state is unknown — trace_id ${fillTrace}`,
      );
      throw failed(code);
    }
  }

  async function ai(features: Features): Promise<void> {
    const spec = registry.integrations.find((s) => chatOf(s) && connectedOf(s, env));
    const chat = spec && chatOf(spec);
    if (!spec || !chat) return;
    const traceId = newTraceId();
    const ev: { row?: EventRow } = {};
    try {
      const result = await usage.track(
        {
          ...who,
          integration: spec.name,
          operation: 'llm.chat',
          traceId,
          metadata: { model: o.model, purpose: 'regime_classification', endpoint: 'chat.completions' },
          metadataOf: (r: Awaited<ReturnType<typeof classifyRegime>>) => ({
            ...(r.promptTokens !== null ? { prompt_tokens: r.promptTokens } : {}),
            ...(r.completionTokens !== null ? { completion_tokens: r.completionTokens } : {}),
            ...(r.regime ? { regime: r.regime, feature_keys_used: ['ai.regime_classification'] } : {}),
          }),
          onEvent: (e) => (ev.row = e),
        },
        () => classifyRegime(chat, env, o.model, features, { traceId, timeoutMs: o.timeoutMs, signal: deps.signal }),
      );
      step({ step: 'ai', status: 'OK', integration: spec.name, operation: 'llm.chat', reason_code: null, trace_id: traceId, event_id: null }, ev.row);
      out(`${tag()} llm.chat ${shown(spec.name)} ${o.model}: OK regime=${result.regime ?? 'unrecognized'} — trace_id ${traceId}`);
    } catch (err) {
      const row = ev.row;
      if (!row) throw err;
      // optional: recorded, reported, not fatal
      const code = reasonOf(row, err);
      step({ step: 'ai', status: 'ERROR', integration: spec.name, operation: 'llm.chat', reason_code: code, trace_id: traceId, event_id: null }, row);
      out(`${tag()} llm.chat ${shown(spec.name)} ${o.model}: ERROR ${code} (optional; continuing) — trace_id ${traceId}`);
    }
  }

  /** HALTED: cancel the working orders and stop. REDUCING: flatten, then stop (kill.ts). */
  async function obeyKill(why = kill.tripped()): Promise<void> {
    if (!why) return;
    if (why === 'TRADING_HALTED') {
      const res = await kill.cancelWorking({ timeoutMs: o.timeoutMs });
      for (const r of res) {
        if (r.event) events.push(r.event.id);
        step({
          step: 'kill',
          status: r.ok ? 'OK' : 'ERROR',
          integration: r.order.integration,
          operation: 'broker.cancel_order',
          reason_code: r.reason_code,
          trace_id: r.trace_id,
          event_id: r.event?.id ?? null,
        });
        out(
          `${tag()} broker.cancel_order ${shown(r.order.integration)} ${r.order.orderId}: ${r.ok ? 'OK (cancelled)' : `ERROR ${r.reason_code}`} — trace_id ${r.trace_id}`,
        );
      }
      out(`${tag()} trading HALTED: ${res.filter((r) => r.ok).length} working order(s) cancelled, ${kill.working.size} left; stopping`);
      throw new Stop('BLOCKED', 'TRADING_HALTED');
    }
    if (book.position !== 0 && lastOrder) {
      const side: Side = book.position > 0 ? 'sell' : 'buy';
      const qty = Math.abs(book.position);
      out(`${tag()} trading REDUCING: flattening ${side} ${qty} ${lastOrder.symbol}`);
      if (!sendsOrders(o.mode)) {
        await allowed(SIMULATOR, lastOrder.symbol, side, qty);
        shadowOrder(lastOrder.symbol, side, qty, lastOrder.mark);
      } else await paperOrder(await usage.integrationStatus({ config, registry }), lastOrder.symbol, side, qty, lastOrder.mark);
    }
    out(`${tag()} trading REDUCING: flat (position ${book.position}); stopping — no new run until resumed`);
    throw new Stop('BLOCKED', 'TRADING_REDUCING');
  }

  /** Sleeps between iterations, heartbeating often enough that the run never looks stale; a halt wakes it. */
  async function pause(): Promise<void> {
    const every = Math.max(250, Math.floor(config.daemon.staleAfterMs / 3));
    let left = o.intervalMs;
    while (left > 0 && !deps.signal?.aborted && !kill.signal.aborted) {
      const chunk = Math.min(left, every);
      await sleep(chunk, anySignal(deps.signal, kill.signal));
      left -= chunk;
      if (left > 0) await run.heartbeat();
    }
  }

  let state: TerminalState = 'SUCCEEDED';
  let reason: string | null = null;
  let unexpected: unknown;
  const startedAt = performance.now();
  try {
    // the run is a usage event too (start and terminal state), not only a bot_runs row
    events.push(recordRunStart(usage, run, { mode: o.mode, jobKind: 'reference', iterations: o.iterations }).id);
    for (iteration = 1; iteration <= o.iterations; iteration++) {
      if (deps.signal?.aborted) throw new Stop('CANCELLED', 'SIGNAL');
      await obeyKill();
      await gate();
      const status = await usage.integrationStatus({ config, registry });
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
        const orderSymbol = o.brokerSymbol ?? (sendsOrders(o.mode) ? (md.res.instrument ?? md.symbol) : md.symbol);
        out(
          `${tag()} features: ${md.features.keys.length} computed from ${md.res.bars.length} bar(s) (values kept in memory); signal ${signal ?? 'none'} → ${side ? `${side} ${qty}` : 'hold'}`,
        );
        risk(orderSymbol, side, qty, f.close);
        lastOrder = { symbol: orderSymbol, mark: f.close };
        if (side) {
          if (sendsOrders(o.mode)) await paperOrder(status, orderSymbol, side, qty, f.close);
          else {
            // a halt covers simulated orders too (global, account or bot scope)
            await allowed(SIMULATOR, orderSymbol, side, qty);
            shadowOrder(orderSymbol, side, qty, f.close);
          }
        }
        await ai(f);
      }
      const alive = await run.heartbeat();
      if (!alive) throw new Stop('FAILED', 'RUN_NOT_RUNNING');
      completed = iteration;
      if (iteration < o.iterations) await pause();
    }
    await obeyKill();
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

  kill.stop();
  try {
    const end = { mode: o.mode, state, reason, completed, requested: o.iterations, latencyMs: performance.now() - startedAt };
    events.push(recordRunFinish(usage, run, end).id);
  } catch (err) {
    out(`could not record the run.finish event of run ${run.id}: ${oneLine(sanitizeError(err).message, 200)}`);
  }
  let finished: RunView | null = null;
  try {
    finished = await run.finish(state, state === 'SUCCEEDED' ? null : (reason ?? 'RUNNER_ERROR'));
  } catch (err) {
    out(`could not record the end of run ${run.id}: ${oneLine(sanitizeError(err).message, 200)}`);
  }
  await usage.flush().catch(() => undefined);
  out(
    `run ${run.id} ${state}${reason && state !== 'SUCCEEDED' ? ` ${reason}` : ''}: ${completed}/${o.iterations} iteration(s), ${events.length} usage event(s) — trace_id ${run.trace_id}`,
  );
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
