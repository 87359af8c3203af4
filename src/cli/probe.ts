/**
 * `observatory probe [NAME…|--all]`: one probe round now (cron-friendly), recorded exactly as
 * the daemon records it, then the gate's verdict as the exit code. Like the daemon, it reads back
 * the vendors' stored pauses and refused logins first and stores new ones (vendor_holds), so a
 * cron-driven round never logs in with refused credentials or calls a locked-out host.
 */
import { hostname } from 'node:os';
import type { CommandContext } from './context.js';
import { openReadStore } from './context.js';
import { assertKnown, registryFor } from './registry.js';
import { probeRound, type ProbeOutcomeRecord } from '../core/prober.js';
import { TokenCache } from '../core/vendors/session.js';
import { loadVendorHolds, vendorHoldStore } from '../core/db/vendor-holds.js';
import { toStoreError } from '../core/store.js';
import { autonomyView, type AutonomyView } from '../core/views.js';
import { exitCodeFor } from '../core/autonomy.js';
import { observedLatency } from '../core/status.js';
import { writeHeartbeat } from '../core/liveness.js';
import type { Mode, Registry } from '../core/types.js';
import { UsageError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { badge, colorEnabled, makeChalk, printJson, printLine } from './output.js';
import { printVerdict } from './gate.js';
import { deadlinePool, withDeadline } from './deadline.js';

export interface ProbeOptions {
  all?: boolean;
  mode: Mode;
  strict?: boolean;
  json?: boolean;
  /** overall deadline, ms (deadline.ts): the probes, recording them and the verdict */
  timeoutMs: number;
}

export async function run(ctx: CommandContext, names: string[], opts: ProbeOptions): Promise<number> {
  if (!opts.all && names.length === 0) throw new UsageError('name the integrations to probe, or pass --all', 'e.g. observatory probe databento polygon');
  if (opts.all && names.length) throw new UsageError('give integration names or --all, not both');
  const registry = registryFor(ctx.config);
  assertKnown(registry, names);
  // no verdict in time, or a store failure: thrown, and program.ts answers UNKNOWN (exit 3; with
  // --json the command's own shape on stdout, STATUS_UNAVAILABLE)
  const { recorded, view } = await withDeadline(opts.timeoutMs, (signal) => probeAndJudge(ctx, registry, names, opts, signal));
  if (opts.json) {
    printJson({
      probes: recorded.map((r) => ({
        integration: r.integration,
        outcome: r.result.outcome,
        http_status: r.result.httpStatus ?? null,
        latency_ms: observedLatency(r.result),
        status: r.state.status,
        reason_code: r.state.reasonCode,
        message: r.result.message ?? null,
        injected: r.result.injected ?? false,
        endpoint: r.result.customEndpoint ? 'custom' : 'default',
        environment: r.result.environment ?? null,
        account_live: r.result.accountLive ?? null,
        trace_id: r.result.traceId,
      })),
      autonomy: view,
    });
  } else {
    const c = await makeChalk(colorEnabled(ctx.globals));
    for (const r of recorded)
      printLine(
        `${r.integration.padEnd(14)} ${badge(c, r.state.status).padEnd(8)} ${r.result.outcome}${r.result.httpStatus ? ` (HTTP ${r.result.httpStatus})` : ''} ${observedLatency(r.result) === null ? 'no request' : `${observedLatency(r.result)} ms`}${r.state.reasonCode && r.state.reasonCode !== r.result.outcome ? ` → ${r.state.reasonCode}` : ''}${r.result.environment ? ` [${r.result.environment}]` : ''}${r.result.customEndpoint ? ' [endpoint: custom]' : ''}  trace_id ${r.result.traceId}`,
      );
    await printVerdict(ctx, view);
  }
  return exitCodeFor(view.global_status, Boolean(opts.strict));
}

/** The probe round, recorded, then the gate — all under the caller's deadline (`signal` aborts the vendor calls). */
async function probeAndJudge(
  ctx: CommandContext,
  registry: Registry,
  names: string[],
  opts: ProbeOptions,
  signal: AbortSignal,
): Promise<{ recorded: ProbeOutcomeRecord[]; view: AutonomyView }> {
  const store = await openReadStore(ctx, deadlinePool(opts.timeoutMs));
  try {
    // a cron-driven probe round is evidence of a live prober, like a daemon's heartbeat
    const prober = {
      daemonId: `probe-${hostname()}-${process.pid}`,
      version: VERSION,
      hostname: hostname(),
      pid: process.pid,
      startedAt: new Date(),
      leader: false,
      liveTradingEnabled: false,
    };
    const tokenCache = new TokenCache({
      store: vendorHoldStore(store.pool),
      onStoreError: (err, what) => ctx.log.warn({ err: toStoreError(err, store.url) }, `could not ${what} in the store`),
    });
    // a store that cannot say which vendors asked for a pause fails the round (UNKNOWN), before any vendor call
    await tokenCache.restore(await loadVendorHolds(store.pool), ctx.config.env);
    // (a cron probe round never turns live trading on: that switch is the daemon's, not a caller's env)
    const results = await probeRound(
      registry,
      opts.all ? 'all' : names,
      {
        pool: store.pool,
        env: ctx.config.env,
        riskLimits: ctx.config.riskLimits,
        tokenCache,
        daemonId: prober.daemonId,
        signal,
        calendar: ctx.config.calendar,
      },
      ctx.config.daemon.probeConcurrency,
    );
    await tokenCache.flush();
    await writeHeartbeat(store.pool, prober);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const recorded = results.map((r) => (r as PromiseFulfilledResult<ProbeOutcomeRecord>).value);
    const view = await autonomyView(store.pool, registry, ctx.config, { mode: opts.mode });
    return { recorded, view };
  } finally {
    // not awaited: an answer already reached never waits on a goodbye to a frozen server
    void store.close();
  }
}
