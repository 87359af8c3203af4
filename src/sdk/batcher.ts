/**
 * The recorder's way to the store: a queue of validated rows inserted in batches (by size on
 * a fast path, by time through a serialized drain), the spool while the store is unreachable,
 * replay when it is back, and split-on-bad-rows for a batch the store refuses as data.
 *
 * Nothing lost: a batch taken off the queue stays "unconfirmed" until it is stored or back in
 * the queue, and the process 'exit' hook spools both. Nothing duplicated: event ids are
 * writer-generated and the insert is ON CONFLICT DO NOTHING, so a replay is harmless.
 *
 * Durable rows (track()'s events): their promise settles only once the row is in the store
 * (its batch committed) or in the spool (appended and fsynced), so a kill -9 at any moment
 * loses none that were acknowledged. Group commit keeps that cheap: a durable row is sent at
 * the next turn of the event loop with everything queued meanwhile, up to `concurrency`
 * batches in flight; rows arriving while they are in flight go in the next group. While the
 * store is known to be down, durable rows go straight to the spool (one append + one fsync
 * per group) instead of waiting for the next retry.
 */
import type pg from 'pg';
import { classifyPgError } from '../core/db/errors.js';
import { insertEvents } from '../core/db/usage-events.js';
import type { EventRow } from '../core/events-schema.js';
import type { Logger } from '../core/log.js';
import { sanitizeError } from '../core/redact.js';
import { appendRejected, type SpoolBacklog } from './spool.js';

export interface FlushResult {
  inserted: number;
  spooled: number;
  /** still in memory (store down and spool full) */
  pending: number;
}

export interface BatcherOptions {
  batchSize: number;
  flushIntervalMs: number;
  /** batches inserted in parallel */
  concurrency: number;
  log: Logger;
}

const MAX_BACKOFF_MS = 5_000;
/** ids remembered as dead-lettered (bounded) */
const MAX_DEAD_IDS = 10_000;

/** Data errors (SQLSTATE 22xxx/23xxx) cannot succeed on retry; everything else can. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

export class Batcher {
  private queue: EventRow[] = [];
  private spoolFull = false;
  private isClosed = false;
  private storeReachable = true;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private drainQueued = false;
  private draining = false;
  private readonly inflight = new Set<Promise<void>>();
  /**
   * Batches taken from the queue and not yet stored or put back: spooled if the process exits.
   * A batch joins the moment it leaves the queue and leaves only when it is stored or back in
   * the queue, so no moment exists where it is in neither.
   */
  private readonly unconfirmed = new Set<EventRow[]>();
  /** ids sent to the dead-letter file (bounded): a retried batch never dead-letters them twice */
  private readonly deadIds = new Set<string>();
  /** rows whose caller waits for them to be durable (stored or spooled) */
  private readonly waiters = new Map<EventRow, () => void>();
  private urgentScheduled = false;
  private readonly totals = { recorded: 0, inserted: 0, stored: 0, spooled: 0, deadLettered: 0 };
  private readonly log: Logger;

  constructor(
    private readonly pool: pg.Pool,
    private readonly backlog: SpoolBacklog,
    private readonly opts: BatcherOptions,
  ) {
    this.log = opts.log;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** events in memory, not yet stored or spooled */
  get pending(): number {
    return this.queue.length;
  }

  /** the spool is full and the store unreachable: the recorder fails closed */
  get full(): boolean {
    return this.spoolFull;
  }

  stats() {
    const spool = this.backlog.spool;
    return {
      recorded: this.totals.recorded,
      pending: this.queue.length,
      spoolBytes: spool.bytes,
      spoolFull: this.spoolFull,
      inserted: this.totals.inserted,
      stored: this.totals.stored,
      spooled: this.totals.spooled,
      replayed: this.backlog.replayed,
      replayedOrphans: this.backlog.replayedOrphans,
      deadLettered: this.totals.deadLettered,
      storeReachable: this.storeReachable,
    };
  }

  enqueue(row: EventRow): void {
    this.totals.recorded++;
    this.queue.push(row);
    if (this.queue.length >= this.opts.batchSize) this.pump();
    else if (!this.timer) this.armTimer(this.opts.flushIntervalMs);
  }

  /** Queues a row; resolves once it is stored or spooled (fsynced). */
  enqueueDurable(row: EventRow): Promise<void> {
    const done = new Promise<void>((resolve) => this.waiters.set(row, resolve));
    this.enqueue(row);
    if (!this.urgentScheduled) {
      this.urgentScheduled = true;
      // the next turn of the loop: rows queued by the same tick share one insert (or one fsync)
      setImmediate(() => {
        this.urgentScheduled = false;
        this.sendUrgent();
      });
    }
    return done;
  }

  /** rows written to a file outside the queue (after close): durable already */
  countRecordedOutside(n: number): void {
    this.totals.recorded += n;
    this.totals.spooled += n;
  }

  private settle(rows: readonly EventRow[]): void {
    if (this.waiters.size === 0) return;
    for (const r of rows) {
      const w = this.waiters.get(r);
      if (w) {
        this.waiters.delete(r);
        w();
      }
    }
  }

  /** Durable rows are waiting: send what is queued now, or spool it while the store is down. */
  private sendUrgent(): void {
    if (this.isClosed || this.queue.length === 0) return;
    if (this.storeReachable && !this.backlog.waiting && !this.draining) return this.pump(true);
    if (!this.storeReachable && !this.draining) {
      // known outage: to the spool now; the retry timer replays it when the store is back
      this.spill();
      if (this.queue.length === 0) return;
    }
    void this.flush();
  }

  /** Stores (or spools) everything queued now; replays the spool when the store is back. */
  flush(): Promise<FlushResult> {
    if (this.drainQueued) return this.chain as Promise<FlushResult>;
    this.drainQueued = true;
    const p = this.chain.then(() => {
      this.drainQueued = false;
      return this.drain();
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Flushes, then stops: what the store did not take is spooled for the next recorder. */
  async close(): Promise<void> {
    const r = await this.flush();
    this.isClosed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const spool = this.backlog.spool;
    if (r.pending || this.queue.length) {
      // past the bound, but losing proof is worse than a larger file at shutdown
      this.spill(true);
      this.log.error({ spool: spool.path, events: r.pending }, 'usage events written to a full spool at close; they will be replayed by the next recorder');
    } else if (this.backlog.waiting) {
      this.log.warn(
        { spool: spool.path, bytes: spool.bytes },
        'status store unreachable at close; usage events stay spooled and are replayed by the next recorder',
      );
    }
    this.backlog.release();
  }

  // the event loop is empty: store what is queued. Only when something is queued — a spool
  // alone is safe on disk, and retrying it here would keep a store-less process alive forever.
  onBeforeExit(): void {
    if (this.isClosed || !this.queue.length) return;
    void this.flush().then(() => {
      if (this.queue.length) this.spill(true); // store down and spool full: past the bound beats losing proof
    });
  }

  // process.exit() allows only sync work: queued and unanswered batches go to disk for the next
  // process (a batch the store did commit is deduplicated on replay by its ids)
  onExit(): void {
    try {
      for (const b of this.unconfirmed) this.queue.push(...b);
      if (this.queue.length) this.spill(true);
    } catch {
      /* exiting: nowhere left to report */
    }
  }

  /**
   * Stores rows. A batch the store refuses as data (SQLSTATE 22xxx/23xxx: it can never succeed)
   * is split until the refused rows stand alone; only those go to the dead-letter file, the rest
   * are stored. Any other error is thrown for the caller (outage: spool and retry).
   */
  private async store(input: EventRow[]): Promise<number> {
    return (await this.storeRows(input)).inserted;
  }

  /**
   * inserted: rows newly stored; confirmed: rows now known to be in the store (new, or there
   * already: a replay of a batch whose commit was not acknowledged). Dead-lettered rows are neither.
   */
  private async storeRows(input: EventRow[]): Promise<{ inserted: number; confirmed: number }> {
    // rows already dead-lettered (a bisect cut short by an outage, then retried) are not again
    const rows = this.deadIds.size ? input.filter((r) => !this.deadIds.has(r.id)) : input;
    // a dead-lettered row is durable in the dead-letter file
    if (rows.length !== input.length) this.settle(input.filter((r) => this.deadIds.has(r.id)));
    if (!rows.length) return { inserted: 0, confirmed: 0 };
    try {
      const n = (await insertEvents(this.pool, rows)).inserted;
      this.totals.stored += rows.length;
      this.settle(rows);
      return { inserted: n, confirmed: rows.length };
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (rows.length === 1) {
        this.deadLetter(rows, err);
        this.totals.deadLettered++;
        if (this.deadIds.size >= MAX_DEAD_IDS) this.deadIds.clear();
        this.deadIds.add(rows[0].id);
        return { inserted: 0, confirmed: 0 };
      }
      const mid = rows.length >> 1;
      const a = await this.storeRows(rows.slice(0, mid));
      const b = await this.storeRows(rows.slice(mid));
      return { inserted: a.inserted + b.inserted, confirmed: a.confirmed + b.confirmed };
    }
  }

  private deadLetter(rows: EventRow[], err: unknown): void {
    const file = appendRejected(this.backlog.spool.path, rows);
    this.settle(rows);
    this.log.error({ err: sanitizeError(err), count: rows.length, file }, 'usage events rejected by the status store; kept in the dead-letter file');
  }

  /** a replay's chunk (rows on disk already): how many are now known to be in the store */
  private async replayChunk(rows: EventRow[]): Promise<number> {
    return (await this.storeRows(rows)).confirmed;
  }

  /**
   * The fast path: full batches are inserted as soon as they fill, up to `concurrency` at a
   * time, while the bot keeps producing. Anything unusual (store down, spool to replay, a
   * flush running) goes through the serialized drain instead, which owns spool and replay.
   */
  private pump(urgent = false): void {
    const { batchSize, concurrency } = this.opts;
    // durable rows waiting (queued or in flight): a partial batch goes as soon as a slot is free
    const min = urgent || this.waiters.size > 0 ? 1 : batchSize;
    while (this.queue.length >= min && this.inflight.size < concurrency && this.storeReachable && !this.backlog.waiting && !this.draining && !this.isClosed) {
      const batch = this.queue.splice(0, batchSize);
      this.unconfirmed.add(batch);
      const p: Promise<void> = this.store(batch)
        .then(
          (n) => {
            this.unconfirmed.delete(batch);
            this.totals.inserted += n;
          },
          () => {
            // back to the front of the queue; the drain spools it and reports the outage
            this.queue = [...batch, ...this.queue];
            this.unconfirmed.delete(batch);
            void this.flush();
          },
        )
        .finally(() => {
          this.inflight.delete(p);
          this.pump();
        });
      this.inflight.add(p);
    }
    if (this.queue.length >= min && this.inflight.size === 0) void this.flush();
  }

  private armTimer(ms: number): void {
    if (this.timer || this.isClosed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref(); // never keep a bot alive just to flush; 'beforeExit' drains
  }

  /** Moves the queue to the spool; on overflow keeps it in memory and fails closed. */
  private spill(force = false): number {
    if (this.queue.length === 0) return 0;
    const rows = this.queue;
    const spool = this.backlog.spool;
    if (spool.append(rows, { force })) {
      this.queue = [];
      this.totals.spooled += rows.length;
      this.settle(rows);
      return rows.length;
    }
    if (!this.spoolFull)
      this.log.error(
        { spool: spool.path, bytes: spool.bytes, max_bytes: spool.maxBytes, pending: rows.length },
        'USAGE SPOOL FULL and the status store is unreachable: failing closed — track() refuses and canTrade() is false',
      );
    this.spoolFull = true;
    return 0;
  }

  /**
   * Inserts what is queued now, up to `concurrency` batches at a time (Postgres works on
   * them in parallel; the rollup upsert orders its row locks, so they do not deadlock).
   * On a store error the batches not stored go back to the front of the queue, then it throws.
   */
  private async insertQueued(): Promise<number> {
    const batches: EventRow[][] = [];
    while (this.queue.length) batches.push(this.queue.splice(0, this.opts.batchSize));
    for (const b of batches) this.unconfirmed.add(b);
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
          const n = await this.store(batch);
          // counted as each batch lands: a later batch's failure must not lose this one's count
          inserted += n;
          this.totals.inserted += n;
          this.unconfirmed.delete(batch);
        } catch (err) {
          failure ??= err;
          unstored.push(batch);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, batches.length) }, worker));
    if (failure !== undefined) {
      this.queue = [...unstored.flat(), ...this.queue];
      for (const b of unstored) this.unconfirmed.delete(b);
      throw failure;
    }
    return inserted;
  }

  private async drain(): Promise<FlushResult> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.draining = true;
    const result: FlushResult = { inserted: 0, spooled: 0, pending: 0 };
    // fast-path inserts finish (or hand their batch back) before the drain decides anything
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
    try {
      // while the store is down, a cheap ping first: do not re-read a large spool just to fail
      if (!this.storeReachable) await this.pool.query('select 1');
      if (this.backlog.waiting || this.spoolFull || this.backlog.scanDue) await this.backlog.replay((rows) => this.replayChunk(rows), this.opts.batchSize);
      while (this.queue.length) result.inserted += await this.insertQueued();
      if (!this.storeReachable) this.log.info('status store reachable again; usage events flowing');
      this.storeReachable = true;
      this.failures = 0;
      if (this.spoolFull && this.backlog.spool.empty && this.queue.length === 0) {
        this.spoolFull = false;
        this.log.warn('usage spool drained; recording (and trading) may resume');
      }
    } catch (err) {
      const kind = classifyPgError(err);
      if (this.storeReachable) this.log.warn({ err: sanitizeError(err), kind }, 'status store unreachable; spooling usage events locally');
      this.storeReachable = false;
      this.failures++;
      result.spooled += this.spill();
    }
    this.draining = false;
    result.pending = this.queue.length;
    // keep retrying while anything waits on disk or in memory, backing off to MAX_BACKOFF_MS
    if (!this.isClosed && (this.queue.length || this.backlog.waiting))
      this.armTimer(Math.min(MAX_BACKOFF_MS, this.opts.flushIntervalMs * 2 ** Math.min(this.failures, 10)));
    return result;
  }
}
