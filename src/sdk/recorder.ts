/**
 * The usage recorder bots create: the SDK's public API.
 *
 *   const usage = createUsageRecorder({ databaseUrl, botId });
 *   const gate = await usage.gate({ mode: 'paper', botId });   // refuse to trade unless OK (or DEGRADED)
 *   const run = await usage.runs.start({ botId, mode: 'paper', jobKind: 'session' });
 *   const bars = await usage.track({ integration: 'databento', operation: 'marketdata.bars',
 *       runId: run.id, symbol: 'ESZ5', timeframe: '1m', records: (b) => b.length }, () => fetchBars());
 *   usage.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order', runId: run.id },
 *       'MISSING_CREDENTIALS');
 *   await run.finish('SUCCEEDED');  await usage.close();
 *
 * Guarantees:
 *  - a bad event is a programming error: it throws synchronously and nothing is stored;
 *  - track() settles only once its event is durable: in the store (its batch committed) or in
 *    the local spool (appended and fsynced) — a kill -9 at any moment loses no event track()
 *    reported, and replay stores each exactly once. Rows are group-committed (everything queued
 *    in the same turn of the event loop shares one insert), so the wait is about one insert.
 *    `durability: 'lose-unflushed-on-crash'` opts out (track() settles at once; a crash loses
 *    what was still in memory). record() and recordBlocked() return at once: flush() is their
 *    durability point;
 *  - events are batched (batchSize / flushIntervalMs); flush(), close() and process exit drain;
 *  - store unreachable ⇒ the batch goes to a bounded local spool and is replayed later:
 *    nothing lost, nothing duplicated (writer-generated ids, ON CONFLICT DO NOTHING);
 *  - spool full ⇒ logged at error level and FAIL CLOSED: track()/record() throw SpoolFullError
 *    (code SPOOL_FULL) before running anything and canTrade() is false, until the store is
 *    back and the spool drained. A bot that cannot record proof must not trade autonomously.
 * Runs (start / heartbeat / finish) go straight to the store: a bot whose store is down
 * cannot start a run, which is the fail-closed answer too.
 *
 * The parts: batcher.ts (queue, flush, split-on-bad-rows), spool.ts (the local spool, replay,
 * dead-letter file), process-hooks.ts (exit and signal hooks), gate.ts (the gate a bot reads).
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { createPool } from '../core/db/pool.js';
import { finishRun, heartbeatRun, startRun, type RunView, type StartRunInput, type TerminalState } from '../core/db/runs.js';
import { ConfigError } from '../core/errors.js';
import { validateBatch, type EventInput, type EventRow, type Provenance } from '../core/events-schema.js';
import { createLogger, type Logger } from '../core/log.js';
import { oneLine, passwordOfUrl, redactString, registerSecret, registerSecretsFromEnv, sanitizeError } from '../core/redact.js';
import type { Status } from '../core/types.js';
import { Batcher, type FlushResult } from './batcher.js';
import { EventValidationError, reasonCodeOf, RecorderClosedError, SpoolFullError } from './errors.js';
import { readGate, readIntegrationStatus, type GateQuery, type GateSource, type GateVerdict } from './gate.js';
import { addProcessHooks, removeProcessHooks, type ProcessHooks } from './process-hooks.js';
import { defaultSpoolPath, DEFAULT_MAX_SPOOL_BYTES, Spool, SpoolBacklog } from './spool.js';
import { connectionOf, tradingGuard, TradingStateWatch, type PlaceRequest, type PlaceResult, type TradingWatchOptions } from './trading-state.js';

export type { FlushResult };

export interface UsageRecorderOptions extends GateSource {
  /** use this pool (not ended by close()); otherwise one is made from databaseUrl / DATABASE_URL */
  pool?: pg.Pool;
  databaseUrl?: string;
  /** default $OBSERVATORY_HOME/spool/usage-<pid>-<n>.jsonl */
  spoolPath?: string;
  /** default 500 events */
  batchSize?: number;
  /** default 200 ms */
  flushIntervalMs?: number;
  /** default 64 MiB */
  maxSpoolBytes?: number;
  /** events held in memory when neither store nor spool takes them; past it, fail closed. Default 100 000 */
  maxPendingEvents?: number;
  /** batches inserted in parallel during a flush. Default 2 (the recorder's own pool has 2 connections) */
  concurrency?: number;
  /** defaults applied to every event */
  botId?: string | null;
  runId?: string | null;
  userId?: string | null;
  log?: Logger;
  /** drain on 'beforeExit' and spool synchronously on 'exit'. Default true */
  exitHooks?: boolean;
  /**
   * 'durable' (default): track() settles once its event is stored or spooled (fsynced).
   * 'lose-unflushed-on-crash': track() settles as soon as the event is queued in memory — faster
   * for a bot making one call at a time, but a kill -9 or power loss loses what was not yet flushed.
   */
  durability?: Durability;
  /** the kill switch's watch (canPlace): fail-closed bound and polling period; default from config, else 3000 / 500 ms */
  tradingState?: TradingWatchOptions;
}

export type Durability = 'durable' | 'lose-unflushed-on-crash';
export const DURABILITY_MODES: readonly Durability[] = ['durable', 'lose-unflushed-on-crash'];

/** What a tracked or blocked call is about. camelCase here; stored snake_case. */
export interface UsageContext {
  integration: string;
  operation: string;
  botId?: string | null;
  runId?: string | null;
  userId?: string | null;
  symbol?: string | null;
  timeframe?: string | null;
  traceId?: string;
  /** AI purpose tag, e.g. "coaching", "signal_extraction" */
  purpose?: string;
  /** AI model name (rollups split AI calls by it) */
  model?: string;
  /** broker fills: LIVE, PAPER (broker demo) or SIM */
  provenance?: Provenance;
  /** names of the catalog variables this call fed or used — names only, never values */
  featureKeysUsed?: string[];
  /** more safe metadata; goes through the sanitizer (deny-listed keys dropped, secrets redacted) */
  metadata?: Record<string, unknown>;
}

export interface TrackContext<T> extends UsageContext {
  /** records count (bars, ticks, fills) or a function of the result */
  records?: number | ((result: T) => number | null | undefined);
  /**
   * Metadata known only from the result (token counts, the feature names actually computed),
   * added to the OK event; sanitized like `metadata`. If it throws or breaks the event rules,
   * the event is stored without it (and a warning logged): the call already happened.
   */
  metadataOf?: (result: T) => Record<string, unknown> | null | undefined;
  /** Called with the event as recorded (OK or ERROR) before track() settles: its id, trace_id, reason_code, latency. */
  onEvent?: (event: EventRow) => void;
}

export interface RunHandle extends RunView {
  heartbeat(): Promise<boolean>;
  finish(state: TerminalState, reasonCode?: string | null): Promise<RunView | null>;
}

/** Counts over the recorder's life; exact across outages (a row is counted once wherever it went). */
export interface UsageStats {
  /** events accepted (track, record, recordBlocked) */
  recorded: number;
  /** events in memory, not yet stored or spooled */
  pending: number;
  spoolBytes: number;
  spoolFull: boolean;
  /** events this recorder newly inserted straight from memory */
  inserted: number;
  /** rows known to be in the store: inserted straight, or by a replay (new, or found there already because a commit's acknowledgement was lost) */
  stored: number;
  /** events written to the spool */
  spooled: number;
  /** rows a replay put in the store (or found there already), own spool and orphans */
  replayed: number;
  /** of `replayed`, rows from spools left by dead processes */
  replayedOrphans: number;
  /** rows the store refused as data (kept in the dead-letter file) */
  deadLettered: number;
  storeReachable: boolean;
}

export interface UsageRecorder {
  track<T>(ctx: TrackContext<T>, fn: () => T | Promise<T>): Promise<T>;
  recordBlocked(ctx: UsageContext, reasonCode: string, message?: string): EventRow;
  record(event: EventInput): EventRow;
  flush(): Promise<FlushResult>;
  close(): Promise<void>;
  /** false when the recorder cannot keep proof (spool full / closed): do not trade */
  canTrade(): boolean;
  stats(): UsageStats;
  /** The autonomy gate for a mode (and this bot): trade only on OK (or DEGRADED, if you accept warnings). Never throws: an unreadable store is UNKNOWN. */
  gate(query: GateQuery): Promise<GateVerdict>;
  /** Each integration's current status (OK / DEGRADED / BLOCKED); throws when the store cannot be read. */
  integrationStatus(source?: GateSource): Promise<Record<string, Status>>;
  /**
   * The kill switch: whether the trading state allows this order (integration, side, qty, current
   * position; action new/modify/cancel). A refusal is recorded as a BLOCKED usage event
   * (reason_code HALTED / REDUCING). Fail-closed: a state unconfirmed past the bound is HALTED.
   */
  canPlace(order: PlaceRequest): Promise<PlaceResult>;
  /** The watch behind canPlace: snapshot(), onChange(), start(). */
  tradingState: TradingStateWatch;
  runs: {
    start(input: Omit<StartRunInput, 'botId'> & { botId?: string }): Promise<RunHandle>;
    heartbeat(runId: string): Promise<boolean>;
    finish(runId: string, state: TerminalState, reasonCode?: string | null): Promise<RunView | null>;
  };
}

/** how long close() waits for track() calls still running before it flushes */
const CLOSE_WAIT_MS = 5_000;

function validateOrThrow(input: EventInput): EventRow {
  const v = validateBatch([input]);
  if (!v.ok) throw new EventValidationError(v.errors);
  return v.rows[0];
}

export function createUsageRecorder(opts: UsageRecorderOptions = {}): UsageRecorder {
  // a bot imports the SDK without loadConfig: the sanitizer must still know this process's
  // secrets, or an error message quoting a vendor key would be stored, spooled and logged
  registerSecretsFromEnv(process.env);
  registerSecret(passwordOfUrl(opts.databaseUrl));
  const log = opts.log ?? createLogger(process.env.LOG_LEVEL?.trim() || 'info', { component: 'usage-sdk' });
  let pool: pg.Pool;
  let ownPool = false;
  if (opts.pool) {
    pool = opts.pool;
    // an idle connection dying must not crash the bot: the next flush reports and spools
    if (pool.listenerCount('error') === 0) pool.on('error', () => undefined);
  } else {
    const url = opts.databaseUrl ?? process.env.DATABASE_URL;
    if (!url) throw new ConfigError('usage recorder: no pool, databaseUrl or DATABASE_URL', 'pass { databaseUrl } or set DATABASE_URL');
    pool = createPool(url, { max: 2, applicationName: 'observatory-sdk', connectTimeoutMs: 3_000, log });
    ownPool = true;
  }
  const batchSize = Math.max(1, Math.trunc(opts.batchSize ?? 500));
  const maxPending = Math.max(batchSize, Math.trunc(opts.maxPendingEvents ?? 100_000));
  const spool = new Spool(opts.spoolPath ?? defaultSpoolPath(), opts.maxSpoolBytes ?? DEFAULT_MAX_SPOOL_BYTES);
  const batcher = new Batcher(pool, new SpoolBacklog(spool, log), {
    batchSize,
    flushIntervalMs: Math.max(1, Math.trunc(opts.flushIntervalMs ?? 200)),
    concurrency: Math.max(1, Math.trunc(opts.concurrency ?? 2)),
    log,
  });
  const durability: Durability = opts.durability ?? 'durable';
  if (!DURABILITY_MODES.includes(durability)) throw new ConfigError(`usage recorder: durability must be one of ${DURABILITY_MODES.join(', ')}`);
  const defaults = { bot_id: opts.botId ?? null, run_id: opts.runId ?? null, user_id: opts.userId ?? null };
  const gateSource: GateSource = { config: opts.config, registry: opts.registry };
  /** track() calls whose function is still running: close() waits for their events */
  const tracking = new Set<Promise<unknown>>();

  const hooks = opts.exitHooks ?? true;
  const hookEntry: ProcessHooks = { onBeforeExit: () => batcher.onBeforeExit(), onExit: () => batcher.onExit() };
  if (hooks) addProcessHooks(hookEntry);

  function failClosedCheck(): void {
    if (batcher.closed) throw new RecorderClosedError();
    if (batcher.full) throw new SpoolFullError(`usage spool ${spool.path} is full (${spool.bytes} bytes) and the status store is unreachable`);
    if (batcher.pending >= maxPending) throw new SpoolFullError(`${batcher.pending} usage events are waiting to be stored`);
  }

  function toInput(ctx: UsageContext, status: EventInput['status']): EventInput {
    const metadata: Record<string, unknown> = { ...(ctx.metadata ?? {}) };
    if (ctx.purpose !== undefined) metadata.purpose = ctx.purpose;
    if (ctx.model !== undefined) metadata.model = ctx.model;
    if (ctx.provenance !== undefined) metadata.provenance = ctx.provenance;
    if (ctx.featureKeysUsed !== undefined) metadata.feature_keys_used = ctx.featureKeysUsed;
    return {
      integration: ctx.integration,
      operation: ctx.operation,
      status,
      bot_id: ctx.botId === undefined ? defaults.bot_id : ctx.botId,
      run_id: ctx.runId === undefined ? defaults.run_id : ctx.runId,
      user_id: ctx.userId === undefined ? defaults.user_id : ctx.userId,
      symbol: ctx.symbol ?? null,
      timeframe: ctx.timeframe ?? null,
      trace_id: ctx.traceId,
      metadata,
    };
  }

  function record(event: EventInput): EventRow {
    failClosedCheck();
    const row = validateOrThrow(withDefaults(event));
    batcher.enqueue(row);
    return row;
  }

  /**
   * The recorder's bot, run and user for fields the event leaves out. A null default changes
   * nothing (absent and null validate alike), so a plain event needing no default is validated
   * as given: a copy of it validates at half the speed (issue 10, V8 object shapes), and
   * validation never writes to its input.
   */
  function withDefaults(event: EventInput): EventInput {
    const fill = (v: string | null | undefined, d: string | null) => v === undefined && d !== null;
    if (
      !fill(event.bot_id, defaults.bot_id) &&
      !fill(event.run_id, defaults.run_id) &&
      !fill(event.user_id, defaults.user_id) &&
      Object.getPrototypeOf(event) === Object.prototype
    )
      return event;
    return {
      ...event,
      bot_id: event.bot_id === undefined ? defaults.bot_id : event.bot_id,
      run_id: event.run_id === undefined ? defaults.run_id : event.run_id,
      user_id: event.user_id === undefined ? defaults.user_id : event.user_id,
    };
  }

  /**
   * An event of a call that ran: never dropped, even after close() (then spooled for the next
   * recorder). Settles once it is durable (or at once when the caller opted out).
   */
  function keep(row: EventRow): Promise<void> | undefined {
    if (!batcher.closed) {
      if (durability === 'durable') return batcher.enqueueDurable(row);
      batcher.enqueue(row);
      return undefined;
    }
    try {
      spool.append([row], { force: true });
      batcher.countRecordedOutside(1);
      log.error(
        { integration: row.integration, operation: row.operation, spool: spool.path },
        'usage event finished after close(); spooled for the next recorder',
      );
    } catch (err) {
      // never let the proof's failure replace the call's own result
      log.error(
        { err: sanitizeError(err), integration: row.integration, operation: row.operation, trace_id: row.trace_id },
        'usage event finished after close() and could not be spooled: LOST',
      );
    }
  }

  function track<T>(ctx: TrackContext<T>, fn: () => T | Promise<T>): Promise<T> {
    failClosedCheck();
    // validate the event before the call: a bad context is a bug, and must not run fn
    const proto = validateOrThrow(toInput(ctx, 'OK'));
    const started = performance.now();
    const where = { integration: ctx.integration, operation: ctx.operation };
    const finish = (status: 'OK' | 'ERROR', extra: Partial<EventRow>): Promise<void> | undefined => {
      const row: EventRow = { ...proto, ...extra, status, latency_ms: Math.max(0, Math.round(performance.now() - started)) };
      const durable = keep(row);
      if (ctx.onEvent)
        try {
          ctx.onEvent(row);
        } catch {
          log.warn(where, 'track(): the onEvent callback threw; the event is recorded');
        }
      return durable;
    };
    const ok = (result: T): T | Promise<T> => {
      let records: number | null = null;
      try {
        const r = typeof ctx.records === 'function' ? ctx.records(result) : ctx.records;
        if (r !== undefined && r !== null) {
          if (Number.isInteger(r) && r >= 0 && r <= 2_147_483_647) records = r;
          else log.warn(where, 'track(): records is not a non-negative integer; stored as null');
        }
      } catch {
        log.warn(where, 'track(): the records function threw; stored as null');
      }
      const extra: Partial<EventRow> = { records };
      if (ctx.metadataOf) {
        try {
          const more = ctx.metadataOf(result);
          if (more && Object.keys(more).length) {
            // the added metadata passes the same sanitizer and rules as the rest of the event
            const v = validateBatch([{ ...proto, records, metadata: { ...proto.metadata, ...more } }]);
            if (v.ok) extra.metadata = v.rows[0].metadata;
            else log.warn({ ...where, fields: v.errors.map((e) => e.field) }, 'track(): metadataOf gave metadata the event rules refuse; stored without it');
          }
        } catch {
          log.warn(where, 'track(): the metadataOf function threw; stored without it');
        }
      }
      const durable = finish('OK', extra);
      return durable ? durable.then(() => result) : result;
    };
    const fail = (err: unknown): Promise<never> => {
      const s = sanitizeError(err);
      const durable = finish('ERROR', { reason_code: reasonCodeOf(err), metadata: { ...proto.metadata, error_message: oneLine(s.message, 200) } });
      return (durable ?? Promise.resolve()).then(() => {
        throw err;
      });
    };
    try {
      const out = fn();
      if (out && typeof (out as PromiseLike<T>).then === 'function') {
        const p = Promise.resolve(out as Promise<T>).then(ok, fail);
        // close() waits for calls still running, so their events are stored, not lost
        tracking.add(p);
        const done = () => void tracking.delete(p);
        p.then(done, done);
        return p;
      }
      return Promise.resolve(ok(out as T));
    } catch (err) {
      return fail(err);
    }
  }

  function recordBlocked(ctx: UsageContext, reasonCode: string, message?: string): EventRow {
    failClosedCheck();
    const input = toInput(ctx, 'BLOCKED');
    input.reason_code = reasonCode;
    if (message) input.metadata = { ...input.metadata, reason_message: oneLine(redactString(message), 200) };
    const row = validateOrThrow(input);
    batcher.enqueue(row);
    return row;
  }

  const flush = (): Promise<FlushResult> => batcher.flush();

  const watch = new TradingStateWatch(connectionOf(pool, opts.pool ? undefined : (opts.databaseUrl ?? process.env.DATABASE_URL)), log, {
    failClosedAfterMs: opts.tradingState?.failClosedAfterMs ?? opts.config?.tradingState.failClosedAfterMs,
    pollIntervalMs: opts.tradingState?.pollIntervalMs ?? opts.config?.tradingState.pollIntervalMs,
  });
  const canPlace = tradingGuard(watch, record, { botId: defaults.bot_id, userId: defaults.user_id, runId: defaults.run_id }, log);

  async function close(): Promise<void> {
    if (batcher.closed) return;
    // calls still running finish first (bounded: a hung vendor call must not hang shutdown)
    if (tracking.size) {
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...tracking]), new Promise((r) => (bound = setTimeout(r, CLOSE_WAIT_MS)))]);
      clearTimeout(bound);
    }
    await watch.close();
    await batcher.close();
    if (hooks) removeProcessHooks(hookEntry);
    if (ownPool) await pool.end().catch(() => undefined);
  }

  const runs: UsageRecorder['runs'] = {
    async start(input) {
      const botId = input.botId ?? defaults.bot_id ?? undefined;
      if (!botId) throw new ConfigError('runs.start: botId is required (or pass botId to createUsageRecorder)');
      const run = await startRun(pool, { ...input, botId, userId: input.userId ?? defaults.user_id });
      return {
        ...run,
        heartbeat: () => runs.heartbeat(run.id),
        finish: (state, reasonCode) => runs.finish(run.id, state, reasonCode),
      };
    },
    heartbeat: (runId) => heartbeatRun(pool, runId),
    async finish(runId, state, reasonCode) {
      // the run's events land before its terminal state, so readers never see a finished run without them
      await flush().catch(() => undefined);
      return finishRun(pool, runId, state, reasonCode);
    },
  };

  return {
    track,
    recordBlocked,
    record,
    flush,
    close,
    canTrade: () => !batcher.closed && !batcher.full && batcher.pending < maxPending,
    stats: () => batcher.stats(),
    gate: (query) => readGate(pool, query, gateSource),
    integrationStatus: (source = {}) => readIntegrationStatus(pool, source, gateSource),
    canPlace,
    tradingState: watch,
    runs,
  };
}
