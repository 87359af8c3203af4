/**
 * Probe scheduling: one node-cron task per integration on its own interval. Only the leader
 * probes. An integration whose previous probe is still running is skipped (never stacked),
 * and a global bound keeps concurrent probes in check; a hanging vendor holds one slot for at
 * most its timeout, so the others keep their rhythm.
 *
 * A hard failure is confirmed at short spacing (probe-schedule.ts confirmationPlan), so a failing
 * integration reaches BLOCKED within seconds whatever its interval; a new drill (fault injection)
 * is played at once rather than at the next cron tick.
 *
 * The vendors' pauses and refused logins outlive the process (vendor_holds): a leader reads
 * them back before its first probe, and its TokenCache writes new ones through, so a restart
 * neither calls a locked-out host nor logs in again with credentials the vendor just refused.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { DaemonContext, DaemonService } from './daemon.js';
import type { IntegrationSpec, Registry } from '../core/types.js';
import { TokenCache } from '../core/vendors/session.js';
import { probeAndRecord } from '../core/prober.js';
import { toStoreError } from '../core/store.js';
import { ConfigError } from '../core/errors.js';
import { confirmationPlan, PROBE_INTERVAL_RULE, probeCron } from '../core/probe-schedule.js';
import { activeFaults } from '../core/drills.js';
import { loadVendorHolds, vendorHoldStore } from '../core/db/vendor-holds.js';
import type { ProbeOutcomeRecord } from '../core/prober.js';

/** How often the leader looks for new drills (one small indexed query). */
const FAULT_POLL_MS = 1_000;

/**
 * The cron expression for an integration's interval. A loaded registry never has an interval
 * without one (refused at config load); a registry built by hand is refused here the same way.
 */
export function cronFor(intervalMs: number, name: string): string {
  const cron = probeCron(intervalMs);
  if (cron === null) throw new ConfigError(`config: field \`integrations.${name}.interval_ms\`: ${PROBE_INTERVAL_RULE}`);
  return cron;
}

class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }
}

export class ProbeScheduler implements DaemonService {
  readonly name = 'scheduler';
  private tasks: ScheduledTask[] = [];
  private readonly inFlight = new Set<string>();
  private readonly running = new Set<Promise<unknown>>();
  private tokenCache?: TokenCache;
  /** the stored pauses read back, once per leadership term (null: not yet, or the last try failed) */
  private restored: Promise<boolean> | null = null;
  private readonly abort = new AbortController();
  private ctx?: DaemonContext;
  private wasLeader = false;
  private readonly confirmTimers = new Set<NodeJS.Timeout>();
  /** drills already played (null until the first look: those a take-over probes anyway) */
  private seenFaults: Set<string> | null = null;
  private pollingFaults = false;

  constructor(private readonly registry: Registry) {
    for (const s of registry.integrations) cronFor(s.intervalMs, s.name); // validate before starting anything
  }

  async start(ctx: DaemonContext): Promise<void> {
    this.ctx = ctx;
    this.tokenCache = new TokenCache({
      store: vendorHoldStore(ctx.store.pool),
      // the pause still applies in memory; only a restart before the next write could forget it
      onStoreError: (err, what) => ctx.log.warn({ err: toStoreError(err, ctx.store.url) }, `could not ${what} in the store`),
    });
    const sem = new Semaphore(ctx.config.daemon.probeConcurrency);
    for (const spec of this.registry.integrations) {
      const task = cron.schedule(cronFor(spec.intervalMs, spec.name), () => this.tick(spec, sem), { name: `probe:${spec.name}`, noOverlap: false });
      this.tasks.push(task);
    }
    // a new leader probes everything at once instead of waiting a full interval
    const kick = setInterval(() => {
      const leader = ctx.isLeader();
      if (leader && !this.wasLeader) for (const spec of this.registry.integrations) this.tick(spec, sem);
      // another leader may have paused a vendor meanwhile: read the store again on the next take-over
      if (!leader && this.wasLeader) this.restored = null;
      this.wasLeader = leader;
    }, 250);
    this.tasks.push({ stop: () => clearInterval(kick) } as unknown as ScheduledTask);
    const faults = setInterval(() => void this.playNewFaults(sem), FAULT_POLL_MS);
    this.tasks.push({ stop: () => clearInterval(faults) } as unknown as ScheduledTask);
  }

  /** A drill injected since the last look is probed now, so it shows (and is confirmed) in seconds. */
  private async playNewFaults(sem: Semaphore): Promise<void> {
    const ctx = this.ctx!;
    if (!ctx.isLeader() || this.pollingFaults || this.abort.signal.aborted) return;
    this.pollingFaults = true;
    try {
      const active = await activeFaults(ctx.store.pool);
      const first = this.seenFaults === null;
      const seen = (this.seenFaults ??= new Set());
      for (const f of active) {
        if (seen.has(f.id)) continue;
        seen.add(f.id);
        const spec = this.registry.integrations.find((s) => s.name === f.integration);
        if (!first && spec) this.tick(spec, sem);
      }
    } catch (err) {
      ctx.log.debug({ err: toStoreError(err, ctx.store.url) }, 'could not look for new drills');
    } finally {
      this.pollingFaults = false;
    }
  }

  /**
   * Reads back the pauses and refused logins a previous prober stored, before this leader's
   * first probe. Until that succeeds nothing is probed (fail-closed: an unknown pause may be a
   * lockout that every new request extends); a failure is retried at the next tick.
   */
  private restore(): Promise<boolean> {
    const ctx = this.ctx!;
    this.restored ??= (async () => {
      try {
        const n = await this.tokenCache!.restore(await loadVendorHolds(ctx.store.pool), ctx.config.env);
        if (n.holds + n.refusals + n.lifted > 0) ctx.log.info(n, 'vendor pauses and refused logins read back from the store');
        return true;
      } catch (err) {
        ctx.log.warn({ err: toStoreError(err, ctx.store.url) }, 'could not read the stored vendor pauses; not probing until they are read');
        this.restored = null;
        return false;
      }
    })();
    return this.restored;
  }

  /** After a hard failure, the next probe comes at short spacing (probe-schedule.ts), until BLOCKED or a success. */
  private confirm(spec: IntegrationSpec, sem: Semaphore, r: ProbeOutcomeRecord): void {
    // the vendor's Retry-After (vendors/http.ts) is a floor on the spacing
    const plan = confirmationPlan(spec, r.result, r.state, { retryAfterMs: r.result.retryAfterMs });
    if (!plan || this.abort.signal.aborted) return;
    const t = setTimeout(() => {
      this.confirmTimers.delete(t);
      this.tick(spec, sem, plan.timeoutMs);
    }, plan.delayMs);
    this.confirmTimers.add(t);
  }

  /** `timeoutMs`: a confirming probe's shorter timeout */
  private tick(spec: IntegrationSpec, sem: Semaphore, timeoutMs?: number): void {
    const ctx = this.ctx!;
    if (!ctx.isLeader() || this.inFlight.has(spec.name) || this.abort.signal.aborted) return;
    this.inFlight.add(spec.name);
    const probed = timeoutMs === undefined ? spec : { ...spec, timeoutMs };
    const p = sem
      .run(async () => {
        if (!(await this.restore()) || this.abort.signal.aborted) return null;
        return probeAndRecord(probed, {
          pool: ctx.store.pool,
          env: ctx.config.env,
          riskLimits: ctx.config.riskLimits,
          tokenCache: this.tokenCache!,
          daemonId: ctx.daemonId,
          signal: this.abort.signal,
          calendar: ctx.config.calendar,
        });
      })
      .then((r) => {
        if (!r) return;
        ctx.log.debug({ integration: spec.name, outcome: r.result.outcome, status: r.state.status, trace_id: r.result.traceId }, 'probe');
        this.confirm(spec, sem, r);
      })
      .catch((err) => ctx.log.warn({ integration: spec.name, err: toStoreError(err, ctx.store.url) }, 'probe could not be recorded'))
      .finally(() => {
        this.inFlight.delete(spec.name);
        this.running.delete(p);
      });
    this.running.add(p);
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.stop();
    for (const t of this.confirmTimers) clearTimeout(t);
    this.confirmTimers.clear();
    this.abort.abort();
    await Promise.allSettled([...this.running]);
    // a pause or refusal the last probes found reaches the store before the process ends
    await this.tokenCache?.flush();
  }
}
