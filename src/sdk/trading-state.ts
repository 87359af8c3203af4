/**
 * The kill switch inside a bot: a watch on the trading state (LISTEN on the store's channel, with
 * a polling fallback) and canPlace(order), which refuses what the state forbids and records the
 * refusal as a BLOCKED usage event (reason_code HALTED / REDUCING).
 *
 * Fail-closed: the state counts as confirmed only while a read succeeded within
 * `failClosedAfterMs`; past that (store down, connection silent) every order is refused as
 * HALTED, with `state_unconfirmed` in the event. The watch starts on first use (canPlace,
 * tradingState.start()) and holds one connection of its own, so a busy event batcher never
 * delays a halt.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { readInForce, TRADING_STATE_CHANNEL } from '../core/db/trading-state.js';
import { decideOrder, refusalEvent, type OrderIntent, type PlaceDecision, type ScopeInForce } from '../core/trading-state.js';
import { newTraceId } from '../core/trace.js';
import { sanitizeError } from '../core/redact.js';
import type { Logger } from '../core/log.js';
import type { EventInput, EventRow } from '../core/events-schema.js';

export type { OrderIntent, PlaceDecision, ScopeInForce } from '../core/trading-state.js';

export interface TradingWatchOptions {
  /** past this long without a successful read, the bot treats itself as HALTED. Default 3000 ms */
  failClosedAfterMs?: number;
  /** the polling fallback's period (a missed NOTIFY is caught within it). Default 500 ms */
  pollIntervalMs?: number;
}

/** canPlace's input: the order, and optionally the run and symbol for the refusal's event. */
export interface PlaceRequest extends OrderIntent {
  runId?: string | null;
  operation?: string;
  traceId?: string;
}

export interface PlaceResult extends PlaceDecision {
  trace_id: string;
  /** the BLOCKED usage event of a refusal (null when allowed, or when it could not be recorded) */
  event_id: string | null;
  /** false when the state could not be confirmed within the bound (then refused as HALTED) */
  confirmed: boolean;
}

export interface TradingStateSnapshot {
  inForce: ScopeInForce[];
  confirmed: boolean;
  /** ms since the last successful read (Infinity before the first) */
  ageMs: number;
}

type Listener = (s: TradingStateSnapshot) => void;

export class TradingStateWatch {
  private inForce: ScopeInForce[] = [];
  private confirmedAt = -Infinity;
  private dbOffsetMs = 0;
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private refreshing: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private started: Promise<void> | null = null;
  private closed = false;
  private readonly listeners = new Set<Listener>();
  readonly failClosedAfterMs: number;
  readonly pollIntervalMs: number;

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly log: Logger,
    opts: TradingWatchOptions = {},
  ) {
    this.failClosedAfterMs = Math.max(200, opts.failClosedAfterMs ?? 3_000);
    this.pollIntervalMs = Math.max(50, Math.min(opts.pollIntervalMs ?? 500, Math.floor(this.failClosedAfterMs / 2)));
  }

  /** Starts watching (idempotent); resolves after the first read attempt, never throws. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = this.refresh();
      this.timer = setInterval(() => void this.refresh(), this.pollIntervalMs);
      this.timer.unref();
    }
    return this.started;
  }

  snapshot(): TradingStateSnapshot {
    const ageMs = performance.now() - this.confirmedAt;
    const dbNow = Date.now() + this.dbOffsetMs;
    // a TTL that ran out between two reads no longer counts
    const inForce = this.inForce.filter((s) => !s.expires_at || Date.parse(s.expires_at) > dbNow);
    return { inForce, confirmed: ageMs <= this.failClosedAfterMs, ageMs };
  }

  /** What the state allows for this order now (fail-closed: unconfirmed ⇒ HALTED). */
  decide(order: OrderIntent): PlaceDecision & { confirmed: boolean } {
    const s = this.snapshot();
    if (!s.confirmed && (order.action ?? 'new') !== 'cancel')
      return {
        allowed: false,
        state: 'HALTED',
        reason_code: 'HALTED',
        message: `trading state unconfirmed for ${Number.isFinite(s.ageMs) ? `${Math.round(s.ageMs)} ms` : 'ever'} (bound ${this.failClosedAfterMs} ms): the status store cannot be read, so this bot treats itself as HALTED`,
        cause: null,
        confirmed: false,
      };
    return { ...decideOrder(s.inForce, order), confirmed: s.confirmed };
  }

  /** Called after every read that changed what is in force (and when confirmation is lost). */
  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  private emit(): void {
    const snap = this.snapshot();
    for (const fn of this.listeners)
      try {
        fn(snap);
      } catch {
        // a listener's bug must not stop the watch
      }
  }

  private async ensureClient(): Promise<pg.Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const c = new pg.Client({
        ...this.connection,
        application_name: 'observatory-sdk-trading-state',
        connectionTimeoutMillis: this.failClosedAfterMs,
        query_timeout: this.failClosedAfterMs,
        statement_timeout: this.failClosedAfterMs,
      });
      c.on('error', (err) => {
        this.log.warn({ err: sanitizeError(err) }, 'trading-state watch: connection lost; polling reconnects');
        if (this.client === c) this.client = null;
        void c.end().catch(() => undefined);
      });
      c.on('notification', (n) => {
        if (n.channel === TRADING_STATE_CHANNEL) void this.refresh();
      });
      try {
        await c.connect();
        await c.query(`listen ${TRADING_STATE_CHANNEL}`);
      } catch (err) {
        await c.end().catch(() => undefined);
        throw err;
      }
      if (this.closed) {
        await c.end().catch(() => undefined);
        throw new Error('closed');
      }
      this.client = c;
    })().finally(() => (this.connecting = null));
    await this.connecting;
    return this.client!;
  }

  /** One read (serialised; a change arriving during a read triggers one more). */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        const wasConfirmed = this.snapshot().confirmed;
        const before = JSON.stringify(this.inForce);
        try {
          const c = await this.ensureClient();
          const t0 = Date.now();
          const { inForce, now } = await readInForce(c);
          this.dbOffsetMs = now.getTime() - (t0 + Date.now()) / 2;
          this.inForce = inForce;
          this.confirmedAt = performance.now();
          if (JSON.stringify(inForce) !== before || !wasConfirmed) this.emit();
        } catch (err) {
          if (this.closed) return;
          const c = this.client;
          this.client = null;
          await c?.end().catch(() => undefined);
          this.log.debug({ err: sanitizeError(err) }, 'trading-state watch: read failed');
          if (wasConfirmed && !this.snapshot().confirmed) this.emit();
        }
      } while (this.again && !this.closed);
    })().finally(() => (this.refreshing = null));
    return this.refreshing;
  }
}

/** The connection settings of a pool (or a URL), for the watch's own client. */
export function connectionOf(pool: pg.Pool, url?: string): pg.ClientConfig {
  const o = (pool as unknown as { options?: pg.PoolConfig }).options ?? {};
  const { connectionString, host, port, user, password, database, ssl } = o;
  return { connectionString: url ?? connectionString, host, port, user, password, database, ssl };
}

/**
 * canPlace over a watch: the decision, and for a refusal one BLOCKED usage event through `record`
 * (the recorder's); a refusal stands even when its event cannot be recorded.
 */
export function tradingGuard(
  watch: TradingStateWatch,
  record: (e: EventInput) => EventRow,
  defaults: { botId: string | null; userId: string | null; runId: string | null },
  log: Logger,
) {
  return async function canPlace(order: PlaceRequest): Promise<PlaceResult> {
    await watch.start();
    const full: OrderIntent = {
      ...order,
      botId: order.botId === undefined ? defaults.botId : order.botId,
      userId: order.userId === undefined ? defaults.userId : order.userId,
    };
    const d = watch.decide(full);
    const traceId = order.traceId ?? newTraceId();
    if (d.allowed) return { ...d, trace_id: traceId, event_id: null };
    let eventId: string | null = null;
    try {
      const ev = refusalEvent(full, d, traceId, { run_id: order.runId === undefined ? defaults.runId : order.runId, operation: order.operation });
      eventId = record(ev).id;
    } catch (err) {
      log.error(
        { err: sanitizeError(err), integration: order.integration, trace_id: traceId },
        'canPlace: refusal could not be recorded (the order stays refused)',
      );
    }
    return { ...d, trace_id: traceId, event_id: eventId };
  };
}
