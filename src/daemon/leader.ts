/**
 * Probe leadership: a session-level advisory lock held on a dedicated connection. Exactly one
 * daemon per database holds it; when that daemon dies its session ends, the lock is released
 * by Postgres, and another daemon takes it on its next attempt (every `retryMs`).
 */
import type pg from 'pg';
import type { DaemonContext, DaemonService } from './daemon.js';
import { newClient, toStoreError } from '../core/store.js';

/** pg_advisory_lock key for probe leadership (distinct from the migration lock) */
export const LEADER_LOCK_KEY = '7311000002';

export class LeaderService implements DaemonService {
  readonly name = 'leader';
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private ctx?: DaemonContext;
  private busy = false;

  constructor(private readonly retryMs: number) {}

  async start(ctx: DaemonContext): Promise<void> {
    this.ctx = ctx;
    await this.attempt();
    this.timer = setInterval(() => void this.attempt(), this.retryMs);
  }

  private async attempt(): Promise<void> {
    const ctx = this.ctx!;
    if (this.busy) return;
    this.busy = true;
    try {
      if (!this.client) {
        // a check that hangs (half-open TCP) must end leadership, not keep `busy` and the leader
        // flag set forever while the server has dropped the session and another daemon leads
        const c = newClient(ctx.store.url, {
          application_name: 'observatory-leader',
          connectionTimeoutMillis: 5000,
          query_timeout: Math.max(1000, Math.min(this.retryMs, 5000)),
          keepAlive: true,
        });
        c.on('error', (err) => this.lost(err));
        await c.connect();
        this.client = c;
      }
      if (ctx.isLeader()) {
        await this.client.query('select 1'); // still holding: the session is alive
        return;
      }
      const { rows } = await this.client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [LEADER_LOCK_KEY]);
      if (rows[0].ok) ctx.setLeader(true);
    } catch (err) {
      this.lost(err);
    } finally {
      this.busy = false;
    }
  }

  private lost(err: unknown): void {
    const ctx = this.ctx!;
    if (ctx.isLeader()) ctx.log.warn({ err: toStoreError(err, ctx.store.url) }, 'leadership connection lost');
    ctx.setLeader(false);
    const c = this.client;
    this.client = undefined;
    void c?.end().catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const c = this.client;
    this.client = undefined;
    this.ctx?.setLeader(false);
    // ending the session releases the lock for the next daemon at once
    await c?.end().catch(() => undefined);
  }
}
