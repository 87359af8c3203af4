/**
 * The TUI's data loader. Every load reads the shared status through the same core code as
 * `observatory status` and `gate check` (readHealth + statusFrom: Panel A, the header, Panel D),
 * then what the active panel declares in its own load (panels/: botsView/botProofView for
 * Panel B, catalogView for Panel C, integrationEventsView for the drawer) — core views only,
 * so nothing here derives a status of its own.
 *
 * Freshness rules (never stale in silence):
 *  - a load is all or nothing: when any read fails, every panel's data is dropped (the screen
 *    shows UNKNOWN and the error), never the last good data;
 *  - failed loads retry with exponential backoff and the store is reopened, so the screen
 *    recovers by itself when the database comes back;
 *  - a dedicated client LISTENs on the state and events channels and triggers a reload within
 *    NOTIFY_DEBOUNCE_MS; polling every intervalMs is the fallback when notifications are lost.
 */
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Config } from '../core/config.js';
import type { Mode, Registry } from '../core/types.js';
import { applyTradingChange, readHealth, statusFrom, type SystemStatusView } from '../core/views.js';
import { normalizeActor, normalizeReason, type TradingScope } from '../core/trading-state.js';
import { newTraceId } from '../core/trace.js';
import { sanitizeError } from '../core/redact.js';
import { userInfo } from 'node:os';
import { describeOutage, EVENTS_CHANNEL, newClient, STATE_CHANNEL, TRADING_STATE_CHANNEL } from '../core/store.js';
import { oneLine } from '../core/redact.js';
import { panelById, type PanelId } from './panels/index.js';

export type { PanelId } from './panels/index.js';

export interface StoreHandle {
  pool: pg.Pool;
  url: string;
  /** store.describe: where the data comes from, never credentials */
  describe: string;
  close(): Promise<void>;
}

/** What the screen currently asks for; the controller loads only that. */
export interface ViewRequest {
  mode: Mode;
  panel: PanelId;
  /** integration whose drawer is open */
  drawer: string | null;
  /** bot chosen in Panel B; null = the most active one */
  botId: string | null;
  /** the bot search text while the selector is open, else null */
  botQuery: string | null;
}

export interface Outage {
  message: string;
  /** what to do, when the cause is known (migrate, create the database, start the store…) */
  fix: string | null;
  since: number;
  attempts: number;
  nextRetryAt: number;
}

export interface TuiData {
  request: ViewRequest;
  /** null while connecting or during an outage: nothing is shown that was not just read */
  status: SystemStatusView | null;
  /** the active panel's own read, by panel id (panels/panel.ts: only that panel reads it back) */
  panelData: Partial<Record<PanelId, unknown>>;
  /** when the data on screen was read (ms since epoch) */
  updatedAt: number | null;
  outage: Outage | null;
  /** the store's description once opened, else the configured target */
  where: string;
  /** a LISTEN connection is up (updates within a second); else polling only */
  listening: boolean;
  intervalMs: number;
}

export const NOTIFY_DEBOUNCE_MS = 100;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10_000;

export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.max(0, attempts - 1));
}

export interface ControllerDeps {
  openStore: () => Promise<StoreHandle>;
  registry: Registry;
  config: Config;
  /** shown before the store is open (e.g. "external db.example:5432/observatory") */
  where: string;
  intervalMs: number;
  initial: ViewRequest;
  /** LISTEN for NOTIFY (default true) */
  listen?: boolean;
}

export class TuiController {
  private data: TuiData;
  private listeners = new Set<() => void>();
  private store: StoreHandle | null = null;
  private listenClient: pg.Client | null = null;
  private listenConnecting = false;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private running = false;
  private again = false;
  private closed = false;
  private failures = 0;

  constructor(private readonly deps: ControllerDeps) {
    this.data = {
      request: deps.initial,
      status: null,
      panelData: {},
      updatedAt: null,
      outage: null,
      where: deps.where,
      listening: false,
      intervalMs: deps.intervalMs,
    };
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getData = (): TuiData => this.data;

  private emit(next: Partial<TuiData>): void {
    this.data = { ...this.data, ...next };
    for (const fn of this.listeners) fn();
  }

  start(): void {
    this.soon(0);
  }

  /** Load once (for the non-TTY frame): resolves after the first attempt, success or not. */
  async loadOnce(): Promise<TuiData> {
    await this.tick(false);
    return this.data;
  }

  setView(patch: Partial<ViewRequest>): void {
    const request = { ...this.data.request, ...patch };
    const changed = (Object.keys(patch) as Array<keyof ViewRequest>).some((k) => patch[k] !== this.data.request[k]);
    if (!changed) return;
    // data read for another mode must not be shown under this mode's label; each panel says
    // what of its own read still answers the new request (a new search drops the old results)
    const cleared: Partial<TuiData> = request.mode !== this.data.request.mode ? { status: null } : {};
    const panelData: TuiData['panelData'] = {};
    for (const [id, view] of Object.entries(this.data.panelData) as Array<[PanelId, unknown]>) {
      const kept = panelById(id).carry(view, this.data.request, request);
      if (kept !== null) panelData[id] = kept;
    }
    cleared.panelData = panelData;
    this.emit({ request, ...cleared });
    this.soon(0);
  }

  refresh(): void {
    this.soon(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.dropStore();
  }

  /** Runs a load within ms unless one is already due sooner. */
  private soon(ms: number): void {
    if (this.closed) return;
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.tick(true);
    }, ms);
  }

  private async tick(schedule: boolean): Promise<void> {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    // React's development build (NODE_ENV set to something else) marks every render in the
    // perf timeline, which Node keeps until cleared: bounded to one refresh's worth
    performance.clearMeasures();
    performance.clearMarks();
    let next = this.deps.intervalMs;
    try {
      await this.load();
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      next = backoffMs(this.failures);
      // a raw driver error is classified like the CLI's (missing database, no schema…): its own fix
      const o = describeOutage(err, this.store?.url ?? this.deps.config.databaseUrl);
      // the store's own errors say STATUS_UNAVAILABLE already; Postgres' SQLSTATE codes (3D000…) help
      const message = o.storeUnavailable ? o.cause : `${o.cause} (${o.code})`;
      const fix = o.hint ? oneLine(o.hint, 200) : null;
      // fail closed: drop everything read before; the screen shows UNKNOWN and this message
      this.emit({
        status: null,
        panelData: {},
        listening: false,
        outage: { message, fix, since: this.data.outage?.since ?? Date.now(), attempts: this.failures, nextRetryAt: Date.now() + next },
      });
      await this.dropStore();
    } finally {
      this.running = false;
    }
    if (!schedule || this.closed) return;
    if (this.again) {
      this.again = false;
      next = 0;
    }
    this.soon(next);
  }

  private async load(): Promise<void> {
    const req = this.data.request;
    if (!this.store) {
      this.store = await this.deps.openStore();
      this.emit({ where: this.store.describe });
    }
    const { pool } = this.store;
    // read here, not through systemStatusView: a failure must reach the catch as itself, so the
    // outage banner can name its cause and that cause's fix
    const status = statusFrom(this.deps.registry, this.deps.config, await readHealth(pool, this.deps.registry, this.deps.config), req.mode);
    const panel = panelById(req.panel);
    const view = panel.load ? await panel.load({ pool, request: req, status, registry: this.deps.registry, config: this.deps.config }) : undefined;
    // the screen asked for something else while we read: read again rather than mix views
    if (JSON.stringify(this.data.request) !== JSON.stringify(req)) {
      this.again = true;
      return;
    }
    this.emit({ status, panelData: view === undefined ? {} : { [panel.id]: view }, updatedAt: Date.now(), outage: null });
    if (this.deps.listen !== false) void this.ensureListener(this.store.url);
  }

  private async ensureListener(url: string): Promise<void> {
    if (this.listenClient || this.listenConnecting || this.closed) return;
    this.listenConnecting = true;
    const client = newClient(url, { connectionTimeoutMillis: 2_000, application_name: 'observatory-tui-listen' });
    const lost = () => {
      if (this.listenClient !== client) return;
      this.listenClient = null;
      this.emit({ listening: false });
      client.end().catch(() => undefined);
      // a lost LISTEN may mean the store went away: check now instead of at the next poll
      this.soon(0);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.soon(NOTIFY_DEBOUNCE_MS));
    try {
      await client.connect();
      await client.query(`listen ${STATE_CHANNEL}; listen ${EVENTS_CHANNEL}; listen ${TRADING_STATE_CHANNEL}`);
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.listenClient = client;
      this.emit({ listening: true });
    } catch {
      // polling carries on; the next successful load tries again
      await client.end().catch(() => undefined);
    } finally {
      this.listenConnecting = false;
    }
  }

  /**
   * The TUI's one write: HALT a scope (the halt dialog, after a typed reason and confirmation).
   * Same rules and audit row as `observatory halt`; the actor is the OS user running the TUI.
   */
  async halt(req: { scope: TradingScope; target: string; reason: string }): Promise<{ ok: boolean; message: string }> {
    try {
      if (!this.store) throw new Error('the status store is not open');
      const v = await applyTradingChange(this.store.pool, {
        command: 'halt',
        scope: req.scope,
        target: req.target,
        reason: normalizeReason(req.reason),
        actor: normalizeActor(userInfo().username),
        twoPerson: this.deps.config.tradingState.twoPersonResume,
        requestTtlMs: this.deps.config.tradingState.resumeRequestTtlMs,
        knownIntegrations: this.deps.registry.integrations.map((s) => s.name),
        traceId: newTraceId(),
      });
      this.soon(0);
      const c = v.change;
      return { ok: true, message: `HALTED ${c.scope === 'global' ? 'global' : `${c.scope} ${c.target}`} by ${c.actor} (row ${c.id}, trace_id ${c.trace_id})` };
    } catch (err) {
      return { ok: false, message: oneLine(sanitizeError(err).message, 200) };
    }
  }

  private async dropStore(): Promise<void> {
    const client = this.listenClient;
    this.listenClient = null;
    if (client) await client.end().catch(() => undefined);
    const store = this.store;
    this.store = null;
    if (store) await store.close().catch(() => undefined);
  }
}
