/**
 * TUI test support: real rows written through the core write paths (state/probe writers,
 * the usage-event ingest, runs, heartbeats) and a controller + <App> rendered with
 * ink-testing-library at a fixed size, frames ANSI-stripped.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import stripAnsi from 'strip-ansi';
import { render } from 'ink-testing-library';
import { upsertState, insertProbe, notifyState } from '../src/core/db/state.js';
import { insertEvents } from '../src/core/db/usage-events.js';
import { startRun, finishRun } from '../src/core/db/runs.js';
import { writeHeartbeat } from '../src/core/db/heartbeats.js';
import { validateBatch, type EventInput } from '../src/core/events-schema.js';
import { withTransaction } from '../src/core/db/pool.js';
import { loadConfig, type Config } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { newTraceId } from '../src/core/trace.js';
import type { ProbeOutcome, Status } from '../src/core/types.js';
import { TuiController, type StoreHandle, type ViewRequest } from '../src/tui/controller.js';
import { App } from '../src/tui/App.js';
import { waitFor as sharedWaitFor } from './helpers/wait.js';

export const plain = (frame: string | undefined): string => stripAnsi(frame ?? '');

/** The shared poller, checking every 25 ms (frames change fast), 20 s unless told. */
export function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000, what = 'condition'): Promise<T> {
  return sharedWaitFor(fn, ms, what, 25);
}

/** A config whose env has the given credentials (connected comes from the stored probe rows anyway). */
export function testConfig(url: string, env: Record<string, string> = {}): Config {
  return loadConfig({ env: { DATABASE_URL: url, OBSERVATORY_HEARTBEAT_MS: '10000', OBSERVATORY_STALE_AFTER_MS: '30000', ...env } });
}

export async function writeState(
  pool: pg.Pool,
  name: string,
  s: {
    status: Status;
    outcome?: ProbeOutcome;
    reason?: string | null;
    message?: string | null;
    connected?: boolean;
    latencyMs?: number;
    httpStatus?: number;
    injected?: boolean;
    notify?: boolean;
  },
): Promise<string> {
  const traceId = newTraceId();
  const now = new Date();
  await withTransaction(pool, async (c) => {
    await insertProbe(c, {
      integration: name,
      probedAt: now,
      status: s.status,
      result: {
        outcome: s.outcome ?? (s.status === 'OK' ? 'OK' : 'UPSTREAM_5XX'),
        httpStatus: s.httpStatus,
        latencyMs: s.latencyMs ?? 42,
        message: s.message ?? undefined,
        traceId,
        injected: s.injected,
      },
      reasonCode: s.reason ?? null,
      daemonId: 'test-daemon',
    });
    await upsertState(c, {
      integration: name,
      connected: s.connected ?? true,
      status: s.status,
      reasonCode: (s.reason ?? null) as never,
      reasonMessage: s.message ?? null,
      lastProbeAt: now,
      lastOkAt: s.status === 'OK' ? now : null,
      latencyMs: s.latencyMs ?? 42,
      consecutiveFailures: s.status === 'OK' ? 0 : 3,
      consecutiveSuccesses: s.status === 'OK' ? 1 : 0,
      lastTraceId: traceId,
      injected: s.injected ?? false,
      environment: null,
      accountLive: null,
      customEndpoint: false,
    });
    // as the prober does: NOTIFY inside the transaction, delivered on commit
    if (s.notify) await notifyState(c, name);
  });
  return traceId;
}

export async function beat(pool: pg.Pool, daemonId = 'test-daemon'): Promise<void> {
  await writeHeartbeat(pool, { daemonId, version: 'test', hostname: 'test', pid: process.pid, startedAt: new Date(), leader: true, liveTradingEnabled: false });
}

export async function events(pool: pg.Pool, input: EventInput[]): Promise<void> {
  const v = validateBatch(input);
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  await insertEvents(pool, v.rows);
}

export interface Seeded {
  traces: Record<string, string>;
  alpha: { id: string; runId: string; barsTrace: string; blockedTrace: string; llmTrace: string };
  beta: { id: string; runId: string };
  quiet: { id: string };
}

/**
 * A small, realistic world: polygon OK, databento DEGRADED (5xx), brokers without credentials,
 * store and risk engine OK, openai OK, a fresh daemon heartbeat; alpha-bot trading paper with
 * bars, risk checks, an LLM call and a BLOCKED broker attempt; beta-bot with a failed run;
 * quiet-bot known but idle.
 */
export async function seedWorld(pool: pg.Pool): Promise<Seeded> {
  const traces = await seedStates(pool);
  await beat(pool);
  return { traces, ...(await seedBots(pool)) };
}

/** Integration states and probe rows as a prober would leave them. */
export async function seedStates(pool: pg.Pool): Promise<Record<string, string>> {
  const traces: Record<string, string> = {};
  traces.polygon = await writeState(pool, 'polygon', { status: 'OK', latencyMs: 35 });
  traces.databento = await writeState(pool, 'databento', {
    status: 'DEGRADED',
    outcome: 'UPSTREAM_5XX',
    reason: 'UPSTREAM_5XX',
    message: 'server error (5xx)',
    httpStatus: 503,
  });
  traces.ironbeam = await writeState(pool, 'ironbeam', { status: 'BLOCKED', outcome: 'MISSING_CREDENTIALS', reason: 'MISSING_CREDENTIALS', connected: false });
  traces.tradovate = await writeState(pool, 'tradovate', {
    status: 'BLOCKED',
    outcome: 'MISSING_CREDENTIALS',
    reason: 'MISSING_CREDENTIALS',
    connected: false,
  });
  traces.openai = await writeState(pool, 'openai', { status: 'OK', latencyMs: 180 });
  traces.postgres = await writeState(pool, 'postgres', { status: 'OK', latencyMs: 2 });
  traces.risk_engine = await writeState(pool, 'risk_engine', { status: 'OK', latencyMs: 1 });
  return traces;
}

/** Bot activity through the real ingest and run writers. */
export async function seedBots(pool: pg.Pool): Promise<Omit<Seeded, 'traces'>> {
  const alphaId = randomUUID();
  const alphaRun = await startRun(pool, { botId: alphaId, botName: 'alpha-bot', mode: 'paper' });
  const barsTrace = newTraceId();
  const blockedTrace = newTraceId();
  const llmTrace = newTraceId();
  const base = { bot_id: alphaId, run_id: alphaRun.id };
  await events(pool, [
    {
      ...base,
      integration: 'polygon',
      operation: 'marketdata.bars',
      status: 'OK',
      symbol: 'ESZ5',
      timeframe: '1m',
      records: 390,
      latency_ms: 40,
      trace_id: barsTrace,
      metadata: { feature_keys_used: ['md.vwap', 'md.close'] },
    },
    { ...base, integration: 'polygon', operation: 'marketdata.bars', status: 'OK', symbol: 'NQZ5', timeframe: '1m', records: 60, latency_ms: 38 },
    { ...base, integration: 'risk_engine', operation: 'risk.check', status: 'OK', latency_ms: 1, metadata: { feature_keys_used: ['risk.drawdown'] } },
    {
      ...base,
      integration: 'openai',
      operation: 'llm.chat',
      status: 'OK',
      latency_ms: 900,
      trace_id: llmTrace,
      metadata: { model: 'gpt-4o-mini', purpose: 'regime' },
    },
    {
      ...base,
      integration: 'ironbeam',
      operation: 'broker.place_order',
      status: 'BLOCKED',
      reason_code: 'MISSING_CREDENTIALS',
      symbol: 'ESZ5',
      trace_id: blockedTrace,
    },
  ]);

  const betaId = randomUUID();
  const betaRun = await startRun(pool, { botId: betaId, botName: 'beta-bot', mode: 'shadow' });
  await events(pool, [
    {
      bot_id: betaId,
      run_id: betaRun.id,
      integration: 'databento',
      operation: 'marketdata.bars',
      status: 'ERROR',
      reason_code: 'UPSTREAM_5XX',
      symbol: 'CLZ5',
    },
  ]);
  await finishRun(pool, betaRun.id, 'FAILED', 'UPSTREAM_5XX');

  const quietId = randomUUID();
  await startRun(pool, { botId: quietId, botName: 'quiet-bot', mode: 'paper' });

  return { alpha: { id: alphaId, runId: alphaRun.id, barsTrace, blockedTrace, llmTrace }, beta: { id: betaId, runId: betaRun.id }, quiet: { id: quietId } };
}

export function poolStore(pool: pg.Pool, url: string): () => Promise<StoreHandle> {
  // the test owns the pool: the controller must not end it when it drops the store after an outage
  return async () => {
    await pool.query('select 1');
    return { pool, url, describe: `external test ${new URL(url).pathname}`, close: async () => undefined };
  };
}

export interface Mounted {
  controller: TuiController;
  ui: ReturnType<typeof render>;
  frame: () => string;
  frames: string[];
  press: (keys: string) => Promise<void>;
  until: (pred: (f: string) => boolean, what: string, ms?: number) => Promise<string>;
  close: () => Promise<void>;
}

export const KEY = { enter: '\r', esc: '\u001B', tab: '\t', down: '\u001B[B', up: '\u001B[A', ctrlC: '\u0003', backspace: '\u007F', pageDown: '\u001B[6~' };

export function mount(opts: {
  openStore: () => Promise<StoreHandle>;
  config: Config;
  columns?: number;
  rows?: number;
  color?: boolean;
  intervalMs?: number;
  initial?: Partial<ViewRequest>;
  listen?: boolean;
}): Mounted {
  const controller = new TuiController({
    openStore: opts.openStore,
    registry: loadRegistry(opts.config),
    config: opts.config,
    where: 'test',
    intervalMs: opts.intervalMs ?? 60_000,
    initial: { mode: 'paper', panel: 'integrations', drawer: null, botId: null, botQuery: null, ...opts.initial },
    listen: opts.listen ?? false,
  });
  const ui = render(
    <App
      controller={controller}
      color={opts.color ?? false}
      staleAfterMs={opts.config.daemon.staleAfterMs}
      columns={opts.columns ?? 80}
      rows={opts.rows ?? 24}
    />,
  );
  controller.start();
  const frames: string[] = [];
  const frame = () => {
    const f = plain(ui.lastFrame());
    frames.push(f);
    return f;
  };
  return {
    controller,
    ui,
    frame,
    frames,
    // one key at a time, as a terminal delivers them, with a tick for React to commit
    async press(keys: string) {
      ui.stdin.write(keys);
      await new Promise((r) => setTimeout(r, 30));
    },
    until: (pred, what, ms) => waitFor(() => (pred(frame()) ? frame() : undefined), ms, `${what}\n--- frame ---\n${plain(ui.lastFrame())}`),
    async close() {
      ui.unmount();
      await controller.close();
    },
  };
}
