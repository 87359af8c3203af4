/**
 * The daemon process: heartbeat, partition upkeep and the services that plug into it
 * (prober, HTTP API). Start order is the list order; stop is the reverse.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { toStoreError, type Store } from '../core/store.js';
import { markStopped, writeHeartbeat } from '../core/liveness.js';
import { ensureUsagePartitions } from '../core/upkeep.js';
import { VERSION } from '../core/version.js';

export interface DaemonContext {
  config: Config;
  log: Logger;
  store: Store;
  daemonId: string;
  /** true while this daemon holds probe leadership (set by the leader service) */
  isLeader(): boolean;
  setLeader(v: boolean): void;
}

export interface DaemonService {
  name: string;
  start(ctx: DaemonContext): Promise<void>;
  stop(): Promise<void>;
}

export class Daemon {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly startedAt = new Date();
  private leader = false;
  private heartbeatTimer?: NodeJS.Timeout;
  private upkeep?: ScheduledTask;
  private started: DaemonService[] = [];
  private stopping?: Promise<void>;
  readonly ctx: DaemonContext;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly store: Store,
    private readonly services: DaemonService[] = [],
  ) {
    this.ctx = {
      config,
      log,
      store,
      daemonId: this.id,
      isLeader: () => this.leader,
      setLeader: (v) => {
        if (v !== this.leader) log.info({ leader: v }, v ? 'took probe leadership' : 'gave up probe leadership');
        this.leader = v;
      },
    };
  }

  async heartbeat(): Promise<void> {
    try {
      await writeHeartbeat(this.store.pool, {
        daemonId: this.id,
        version: VERSION,
        hostname: hostname(),
        pid: process.pid,
        startedAt: this.startedAt,
        leader: this.leader,
        liveTradingEnabled: this.config.liveTradingEnabled,
      });
    } catch (err) {
      // keep beating: the store may come back; readers see the gap as DAEMON_STALE
      this.log.warn({ err: toStoreError(err, this.store.url) }, 'heartbeat write failed');
    }
  }

  async start(): Promise<void> {
    await this.heartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.config.daemon.heartbeatIntervalMs);
    // monthly partitions are created ahead; hourly upkeep keeps three months in hand
    this.upkeep = cron.schedule('7 * * * *', async () => {
      try {
        await ensureUsagePartitions(this.store.pool);
      } catch (err) {
        this.log.warn({ err: toStoreError(err, this.store.url) }, 'partition upkeep failed');
      }
    });
    for (const s of this.services) {
      await s.start(this.ctx);
      this.started.push(s);
    }
    this.log.info({ daemonId: this.id, version: VERSION, store: this.store.describe }, 'daemon started');
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      await this.upkeep?.stop();
      for (const s of [...this.started].reverse()) {
        try {
          await s.stop();
        } catch (err) {
          this.log.warn({ err, service: s.name }, 'service did not stop cleanly');
        }
      }
      this.leader = false;
      await markStopped(this.store.pool, this.id).catch(() => undefined);
      this.log.info({ daemonId: this.id }, 'daemon stopped');
    })();
    return this.stopping;
  }
}

/**
 * Runs a daemon until SIGINT/SIGTERM: the first signal drains (bounded by an unref'd timer),
 * a second exits at once.
 */
export async function runUntilSignal(daemon: Daemon, store: Store, log: Logger, drainMs = 15_000): Promise<number> {
  await daemon.start();
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      const code = sig === 'SIGINT' ? 130 : 143;
      if (signals > 1) {
        log.warn({ signal: sig }, 'second signal: exiting now');
        process.exit(code);
      }
      log.info({ signal: sig }, 'shutting down (send again to force)');
      const bound = setTimeout(() => {
        log.error('shutdown took too long; exiting');
        process.exit(code);
      }, drainMs);
      bound.unref();
      void (async () => {
        await daemon.stop();
        await store.close();
        resolve(0);
      })();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
