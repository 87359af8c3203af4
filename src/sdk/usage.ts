/**
 * The usage-event SDK bots import.
 *
 *   const usage = createUsageRecorder({ databaseUrl, botId });
 *   const run = await usage.runs.start({ botId, mode: 'paper', jobKind: 'session' });
 *   const bars = await usage.track({ integration: 'databento', operation: 'marketdata.bars',
 *       runId: run.id, symbol: 'ESZ5', timeframe: '1m', records: (b) => b.length }, () => fetchBars());
 *   usage.recordBlocked({ integration: 'ironbeam', operation: 'broker.place_order', runId: run.id },
 *       'MISSING_CREDENTIALS');
 *   await run.finish('SUCCEEDED');  await usage.close();
 *
 * Guarantees:
 *  - a bad event is a programming error: it throws synchronously and nothing is stored;
 *  - events are batched (batchSize / flushIntervalMs); flush(), close() and process exit drain;
 *  - store unreachable ⇒ the batch goes to a bounded local spool and is replayed later:
 *    nothing lost, nothing duplicated (writer-generated ids, ON CONFLICT DO NOTHING);
 *  - spool full ⇒ logged at error level and FAIL CLOSED: track()/record() throw SpoolFullError
 *    (code SPOOL_FULL) before running anything and canTrade() is false, until the store is
 *    back and the spool drained. A bot that cannot record proof must not trade autonomously.
 * Runs (start / heartbeat / finish) go straight to the store: a bot whose store is down
 * cannot start a run, which is the fail-closed answer too.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { classifyPgError } from '../core/db/errors.js';
import { createPool } from '../core/db/pool.js';
import { finishRun, heartbeatRun, startRun, type RunView, type StartRunInput, type TerminalState } from '../core/db/runs.js';
import { insertEvents } from '../core/db/usage-events.js';
import { ConfigError, ObservatoryError } from '../core/errors.js';
import { REASON_CODE_RE, validateBatch, type EventInput, type EventIssue, type EventRow, type Provenance } from '../core/events-schema.js';
import { createLogger, type Logger } from '../core/log.js';
import { oneLine, passwordOfUrl, redactString, registerSecret, registerSecretsFromEnv, sanitizeError } from '../core/redact.js';
import { defaultSpoolPath, DEFAULT_MAX_SPOOL_BYTES, keepUnreadable, readSpoolFile, releaseHeld, removeFile, rewriteSpoolFile, Spool } from './spool.js';

/** A bad event: the caller's bug. Lists every problem by field; never echoes values. */
export class EventValidationError extends ObservatoryError {
  readonly issues: EventIssue[];
  constructor(issues: EventIssue[]) {
    super('EVENT_INVALID', `invalid usage event: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { exitCode: 64 });
    this.issues = issues;
  }
}

/** The recorder cannot keep proof (spool full, or too much pending): the bot must not trade. */
export class SpoolFullError extends ObservatoryError {
  constructor(message: string) {
    super('SPOOL_FULL', message, { hint: 'restore the status store (DATABASE_URL) or free OBSERVATORY_HOME/spool; the bot must not trade meanwhile' });
  }
}

export class RecorderClosedError extends ObservatoryError {
  constructor() {
    super('RECORDER_CLOSED', 'the usage recorder is closed');
  }
}

export interface UsageRecorderOptions {
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
}

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
}

export interface FlushResult {
  inserted: number;
  spooled: number;
  /** still in memory (store down and spool full) */
  pending: number;
}

export interface RunHandle extends RunView {
  heartbeat(): Promise<boolean>;
  finish(state: TerminalState, reasonCode?: string | null): Promise<RunView | null>;
}

export interface UsageStats {
  pending: number;
  spoolBytes: number;
  spoolFull: boolean;
  inserted: number;
  spooled: number;
  replayed: number;
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
  runs: {
    start(input: Omit<StartRunInput, 'botId'> & { botId?: string }): Promise<RunHandle>;
    heartbeat(runId: string): Promise<boolean>;
    finish(runId: string, state: TerminalState, reasonCode?: string | null): Promise<RunView | null>;
  };
}

interface ProcessHooks {
  onBeforeExit: () => void;
  onExit: () => void;
}

/**
 * Process hooks are installed once per process and shared by every recorder: one listener per
 * event however many recorders a bot creates (no MaxListeners warnings), and one decision per
 * signal. A default SIGTERM/SIGINT ends a process without 'exit', so the signal listener spools
 * every recorder first; it is prepended, so when it runs every other listener is still attached:
 * if the bot has one, the bot's shutdown keeps control (its close() replays what was spooled);
 * if not, the signal is re-raised and the process ends the way it would have.
 */
const processHooks = new Set<ProcessHooks>();
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const onProcessSignal = (sig: (typeof SIGNALS)[number]) => {
  for (const h of processHooks) h.onExit();
  if (process.listenerCount(sig) === 1) {
    for (const s of SIGNALS) process.off(s, signalListeners[s]);
    process.kill(process.pid, sig);
  }
};
const signalListeners = { SIGTERM: () => onProcessSignal('SIGTERM'), SIGINT: () => onProcessSignal('SIGINT') };
const onProcessExit = () => {
  for (const h of processHooks) h.onExit();
};
const onProcessBeforeExit = () => {
  for (const h of processHooks) h.onBeforeExit();
};

function addProcessHooks(h: ProcessHooks): void {
  if (processHooks.size === 0) {
    process.on('beforeExit', onProcessBeforeExit);
    process.on('exit', onProcessExit);
    for (const s of SIGNALS) process.prependListener(s, signalListeners[s]);
  }
  processHooks.add(h);
}

function removeProcessHooks(h: ProcessHooks): void {
  processHooks.delete(h);
  if (processHooks.size === 0) {
    process.off('beforeExit', onProcessBeforeExit);
    process.off('exit', onProcessExit);
    for (const s of SIGNALS) process.off(s, signalListeners[s]);
  }
}

const MAX_BACKOFF_MS = 5_000;
const ORPHAN_SCAN_MS = 30_000;
/** how long close() waits for track() calls still running before it flushes */
const CLOSE_WAIT_MS = 5_000;

/** A secret-looking code (long mixed letters+digits run) is not a reason code. */
function safeCode(raw: string): string | null {
  const c = raw.toUpperCase().replace(/[.\-\s]+/g, '_');
  if (!REASON_CODE_RE.test(c)) return null;
  if (c.split('_').some((seg) => seg.length > 24 || (seg.length >= 12 && /\d/.test(seg) && /[A-Z]/.test(seg)))) return null;
  return c;
}

/** error → stable reason code: its code if safe, else HTTP_<status>, else its class name, else ERROR. */
export function reasonCodeOf(err: unknown): string {
  const e = err as { code?: unknown; status?: unknown; statusCode?: unknown; name?: unknown } | undefined;
  const s = sanitizeError(err, 'ERROR');
  if (typeof e?.code === 'string') {
    const c = safeCode(s.code);
    if (c) return c;
  }
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  if (status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599) return `HTTP_${status}`;
  if (typeof e?.name === 'string' && e.name !== 'Error' && /^[A-Za-z]{1,48}$/.test(e.name)) {
    const snake = safeCode(e.name.replace(/([a-z])([A-Z])/g, '$1_$2'));
    if (snake) return snake;
  }
  return 'ERROR';
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
  const flushIntervalMs = Math.max(1, Math.trunc(opts.flushIntervalMs ?? 200));
  const maxPending = Math.max(batchSize, Math.trunc(opts.maxPendingEvents ?? 100_000));
  const concurrency = Math.max(1, Math.trunc(opts.concurrency ?? 2));
  const spool = new Spool(opts.spoolPath ?? defaultSpoolPath(), opts.maxSpoolBytes ?? DEFAULT_MAX_SPOOL_BYTES);
  const defaults = { bot_id: opts.botId ?? null, run_id: opts.runId ?? null, user_id: opts.userId ?? null };

  let queue: EventRow[] = [];
  let claimed: string[] = [];
  let spoolFull = false;
  let closed = false;
  let storeReachable = true;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  let lastOrphanScan = 0;
  let chain: Promise<unknown> = Promise.resolve();
  let drainQueued = false;
  let draining = false;
  const inflight = new Set<Promise<void>>();
  /**
   * Batches taken from the queue and not yet stored or put back: spooled if the process exits.
   * A batch joins the moment it leaves the queue and leaves only when it is stored or back in
   * the queue, so no moment exists where it is in neither.
   */
  const unconfirmed = new Set<EventRow[]>();
  /** ids sent to the dead-letter file (bounded): a retried batch never dead-letters them twice */
  const deadIds = new Set<string>();
  /** track() calls whose function is still running: close() waits for their events */
  const tracking = new Set<Promise<unknown>>();

  /**
   * Stores rows. A batch the store refuses as data (SQLSTATE 22xxx/23xxx: it can never succeed)
   * is split until the refused rows stand alone; only those go to the dead-letter file, the rest
   * are stored. Any other error is thrown for the caller (outage: spool and retry).
   */
  async function store(input: EventRow[]): Promise<number> {
    // rows already dead-lettered (a bisect cut short by an outage, then retried) are not again
    const rows = deadIds.size ? input.filter((r) => !deadIds.has(r.id)) : input;
    if (!rows.length) return 0;
    try {
      return (await insertEvents(pool, rows)).inserted;
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (rows.length === 1) {
        deadLetter(rows, err);
        if (deadIds.size >= 10_000) deadIds.clear();
        deadIds.add(rows[0].id);
        return 0;
      }
      const mid = rows.length >> 1;
      return (await store(rows.slice(0, mid))) + (await store(rows.slice(mid)));
    }
  }
  const totals = { inserted: 0, spooled: 0, replayed: 0 };

  function failClosedCheck(): void {
    if (closed) throw new RecorderClosedError();
    if (spoolFull) throw new SpoolFullError(`usage spool ${spool.path} is full (${spool.bytes} bytes) and the status store is unreachable`);
    if (queue.length >= maxPending) throw new SpoolFullError(`${queue.length} usage events are waiting to be stored`);
  }

  function validateOrThrow(input: EventInput): EventRow {
    const v = validateBatch([input]);
    if (!v.ok) throw new EventValidationError(v.errors);
    return v.rows[0];
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

  function enqueue(row: EventRow): void {
    queue.push(row);
    if (queue.length >= batchSize) pump();
    else if (!timer) armTimer(flushIntervalMs);
  }

  /**
   * The fast path: full batches are inserted as soon as they fill, up to `concurrency` at a
   * time, while the bot keeps producing. Anything unusual (store down, spool to replay, a
   * flush running) goes through the serialized drain instead, which owns spool and replay.
   */
  function pump(): void {
    while (queue.length >= batchSize && inflight.size < concurrency && storeReachable && spool.empty && !claimed.length && !draining && !closed) {
      const batch = queue.splice(0, batchSize);
      unconfirmed.add(batch);
      const p: Promise<void> = store(batch)
        .then(
          (n) => {
            unconfirmed.delete(batch);
            totals.inserted += n;
          },
          () => {
            // back to the front of the queue; the drain spools it and reports the outage
            queue = [...batch, ...queue];
            unconfirmed.delete(batch);
            void scheduleDrain();
          },
        )
        .finally(() => {
          inflight.delete(p);
          pump();
        });
      inflight.add(p);
    }
    if (queue.length >= batchSize && inflight.size === 0) void scheduleDrain();
  }

  function armTimer(ms: number): void {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      scheduleDrain();
    }, ms);
    timer.unref(); // never keep a bot alive just to flush; 'beforeExit' drains
  }

  function scheduleDrain(): Promise<FlushResult> {
    if (drainQueued) return chain as Promise<FlushResult>;
    drainQueued = true;
    const p = chain.then(() => {
      drainQueued = false;
      return drain();
    });
    chain = p.catch(() => undefined);
    return p;
  }

  /** Data errors (SQLSTATE 22xxx/23xxx) cannot succeed on retry; everything else can. */
  function isDataError(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code;
    return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
  }

  async function insertChunks(rows: EventRow[]): Promise<number> {
    let n = 0;
    for (let i = 0; i < rows.length; i += batchSize) n += await store(rows.slice(i, i + batchSize)); // rows are on disk already
    return n;
  }

  function deadLetter(rows: EventRow[], err: unknown): void {
    const letters = new Spool(`${spool.path}.rejected`, Number.MAX_SAFE_INTEGER);
    try {
      letters.append(rows);
    } finally {
      letters.release();
    }
    log.error({ err: sanitizeError(err), count: rows.length, file: letters.path }, 'usage events rejected by the status store; kept in the dead-letter file');
  }

  /**
   * Replays the spool and any orphan spools; throws on a store error (caller classifies). The
   * own spool is taken first (renamed), so it is replayed like an orphan: rows another writer
   * appends meanwhile go to a new file and are never truncated away unread.
   */
  async function replay(): Promise<void> {
    if (!spool.empty) {
      const taken = spool.take();
      if (taken) claimed.unshift(taken);
    }
    if (Date.now() - lastOrphanScan > ORPHAN_SCAN_MS) {
      lastOrphanScan = Date.now();
      claimed.push(...spool.claimOrphans());
    }
    while (claimed.length) {
      const file = claimed[0];
      const { rows, badLines } = readSpoolFile(file);
      if (badLines.length) {
        // set aside once: the claimed file keeps only the good rows, so a failed replay retried
        // later does not set the same lines aside again
        const kept = keepUnreadable(file, badLines);
        rewriteSpoolFile(file, rows);
        log.warn({ lines: badLines.length, file: kept }, 'unreadable lines in a usage spool; kept aside, not replayed');
      }
      const n = await insertChunks(rows);
      totals.replayed += n;
      removeFile(file);
      claimed.shift();
      if (rows.length) log.info({ events: rows.length, newly_stored: n }, 'usage spool replayed');
    }
  }

  /** Moves the queue to the spool; on overflow keeps it in memory and fails closed. */
  function spill(force = false): number {
    if (queue.length === 0) return 0;
    const rows = queue;
    if (spool.append(rows, { force })) {
      queue = [];
      totals.spooled += rows.length;
      return rows.length;
    }
    if (!spoolFull)
      log.error(
        { spool: spool.path, bytes: spool.bytes, max_bytes: spool.maxBytes, pending: rows.length },
        'USAGE SPOOL FULL and the status store is unreachable: failing closed — track() refuses and canTrade() is false',
      );
    spoolFull = true;
    return 0;
  }

  /**
   * Inserts what is queued now, up to `concurrency` batches at a time (Postgres works on
   * them in parallel; the rollup upsert orders its row locks, so they do not deadlock).
   * On a store error the batches not stored go back to the front of the queue, then it throws.
   */
  async function insertQueued(): Promise<number> {
    const batches: EventRow[][] = [];
    while (queue.length) batches.push(queue.splice(0, batchSize));
    for (const b of batches) unconfirmed.add(b);
    const unstored: EventRow[][] = [];
    let failure: unknown;
    let inserted = 0;
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        if (failure !== undefined) {
          unstored.push(batch);
          continue;
        }
        try {
          inserted += await store(batch);
          unconfirmed.delete(batch);
        } catch (err) {
          failure ??= err;
          unstored.push(batch);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    if (failure !== undefined) {
      queue = [...unstored.flat(), ...queue];
      for (const b of unstored) unconfirmed.delete(b);
      throw failure;
    }
    return inserted;
  }

  async function drain(): Promise<FlushResult> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    draining = true;
    const result: FlushResult = { inserted: 0, spooled: 0, pending: 0 };
    // fast-path inserts finish (or hand their batch back) before the drain decides anything
    while (inflight.size) await Promise.allSettled([...inflight]);
    try {
      // while the store is down, a cheap ping first: do not re-read a large spool just to fail
      if (!storeReachable) await pool.query('select 1');
      if (!spool.empty || claimed.length || spoolFull || Date.now() - lastOrphanScan > ORPHAN_SCAN_MS) await replay();
      while (queue.length) {
        const r = await insertQueued();
        result.inserted += r;
        totals.inserted += r;
      }
      if (!storeReachable) log.info('status store reachable again; usage events flowing');
      storeReachable = true;
      failures = 0;
      if (spoolFull && spool.empty && queue.length === 0) {
        spoolFull = false;
        log.warn('usage spool drained; recording (and trading) may resume');
      }
    } catch (err) {
      const kind = classifyPgError(err);
      if (storeReachable) log.warn({ err: sanitizeError(err), kind }, 'status store unreachable; spooling usage events locally');
      storeReachable = false;
      failures++;
      result.spooled += spill();
    }
    draining = false;
    result.pending = queue.length;
    // keep retrying while anything waits on disk or in memory, backing off to MAX_BACKOFF_MS
    if (!closed && (queue.length || !spool.empty || claimed.length))
      armTimer(Math.min(MAX_BACKOFF_MS, flushIntervalMs * 2 ** Math.min(failures, 10)));
    return result;
  }

  // the event loop is empty: store what is queued. Only when something is queued — a spool
  // alone is safe on disk, and retrying it here would keep a store-less process alive forever.
  const onBeforeExit = () => {
    if (closed || !queue.length) return;
    void scheduleDrain().then(() => {
      if (queue.length) spill(true); // store down and spool full: past the bound beats losing proof
    });
  };
  // process.exit() allows only sync work: queued and unanswered batches go to disk for the next
  // process (a batch the store did commit is deduplicated on replay by its ids)
  const onExit = () => {
    try {
      for (const b of unconfirmed) queue.push(...b);
      if (queue.length) spill(true);
    } catch {
      /* exiting: nowhere left to report */
    }
  };
  const hooks = opts.exitHooks ?? true;
  const hookEntry: ProcessHooks = { onBeforeExit, onExit };
  if (hooks) addProcessHooks(hookEntry);

  function record(event: EventInput): EventRow {
    failClosedCheck();
    const row = validateOrThrow({
      ...event,
      bot_id: event.bot_id === undefined ? defaults.bot_id : event.bot_id,
      run_id: event.run_id === undefined ? defaults.run_id : event.run_id,
      user_id: event.user_id === undefined ? defaults.user_id : event.user_id,
    });
    enqueue(row);
    return row;
  }

  function track<T>(ctx: TrackContext<T>, fn: () => T | Promise<T>): Promise<T> {
    failClosedCheck();
    // validate the event before the call: a bad context is a bug, and must not run fn
    const proto = validateOrThrow(toInput(ctx, 'OK'));
    const started = performance.now();
    const finish = (status: 'OK' | 'ERROR', extra: Partial<EventRow>) => {
      const row: EventRow = { ...proto, ...extra, status, latency_ms: Math.max(0, Math.round(performance.now() - started)) };
      if (!closed) return enqueue(row);
      // the call ran (it may have placed an order): its proof is never dropped — spooled for the next recorder
      try {
        spool.append([row], { force: true });
        log.error({ integration: row.integration, operation: row.operation, spool: spool.path }, 'usage event finished after close(); spooled for the next recorder');
      } catch (err) {
        // never let the proof's failure replace the call's own result
        log.error({ err: sanitizeError(err), integration: row.integration, operation: row.operation, trace_id: row.trace_id }, 'usage event finished after close() and could not be spooled: LOST');
      }
    };
    const ok = (result: T): T => {
      let records: number | null = null;
      try {
        const r = typeof ctx.records === 'function' ? ctx.records(result) : ctx.records;
        if (r !== undefined && r !== null) {
          if (Number.isInteger(r) && r >= 0 && r <= 2_147_483_647) records = r;
          else log.warn({ integration: ctx.integration, operation: ctx.operation }, 'track(): records is not a non-negative integer; stored as null');
        }
      } catch {
        log.warn({ integration: ctx.integration, operation: ctx.operation }, 'track(): the records function threw; stored as null');
      }
      finish('OK', { records });
      return result;
    };
    const fail = (err: unknown): never => {
      const s = sanitizeError(err);
      finish('ERROR', { reason_code: reasonCodeOf(err), metadata: { ...proto.metadata, error_message: oneLine(s.message, 200) } });
      throw err;
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
      try {
        fail(err);
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.reject(err);
    }
  }

  function recordBlocked(ctx: UsageContext, reasonCode: string, message?: string): EventRow {
    failClosedCheck();
    const input = toInput(ctx, 'BLOCKED');
    input.reason_code = reasonCode;
    if (message) input.metadata = { ...input.metadata, reason_message: oneLine(redactString(message), 200) };
    const row = validateOrThrow(input);
    enqueue(row);
    return row;
  }

  async function flush(): Promise<FlushResult> {
    return scheduleDrain();
  }

  async function close(): Promise<void> {
    if (closed) return;
    // calls still running finish first (bounded: a hung vendor call must not hang shutdown)
    if (tracking.size) {
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...tracking]), new Promise((r) => (bound = setTimeout(r, CLOSE_WAIT_MS)))]);
      clearTimeout(bound);
    }
    const r = await flush();
    closed = true;
    if (timer) clearTimeout(timer);
    timer = null;
    if (r.pending || queue.length) {
      // past the bound, but losing proof is worse than a larger file at shutdown
      spill(true);
      log.error({ spool: spool.path, events: r.pending }, 'usage events written to a full spool at close; they will be replayed by the next recorder');
    } else if (!spool.empty || claimed.length) {
      log.warn({ spool: spool.path, bytes: spool.bytes }, 'status store unreachable at close; usage events stay spooled and are replayed by the next recorder');
    }
    if (hooks) removeProcessHooks(hookEntry);
    spool.release();
    // files claimed for a replay that did not finish: free for the next recorder in this process
    for (const f of claimed) releaseHeld(f);
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
    canTrade: () => !closed && !spoolFull && queue.length < maxPending,
    stats: () => ({ pending: queue.length, spoolBytes: spool.bytes, spoolFull, inserted: totals.inserted, spooled: totals.spooled, replayed: totals.replayed, storeReachable }),
    runs,
  };
}
