/**
 * One probe of one integration, end to end: honour an active drill, run the real probe,
 * apply the status rules, and write the probe row + the new state + a NOTIFY in one
 * transaction. Shared by the daemon's scheduler and `observatory probe`.
 */
import type pg from 'pg';
import type { IntegrationSpec, IntegrationState, ProbeResult, Registry } from './types.js';
import { connectedOf } from './vendors/registry.js';
import { runProbe } from './vendors/probe.js';
import { endpointOf } from './vendors/specs.js';
import { classifyStatus } from './vendors/http.js';
import type { TokenCache } from './vendors/session.js';
import { applyProbe, inMaintenanceProbe, maintenanceAt, neverProbedState } from './status.js';
import type { CalendarConfig } from './calendar/index.js';
import { activeFaults, type Fault } from './db/faults.js';
import { insertProbe, lockState, notifyState, upsertState } from './db/state.js';
import { withTransaction } from './db/pool.js';
import { newTraceId } from './trace.js';
import { redactString } from './redact.js';

export interface ProbeRunDeps {
  pool: pg.Pool;
  env: NodeJS.ProcessEnv;
  riskLimits?: Record<string, unknown>;
  tokenCache: TokenCache;
  daemonId: string | null;
  signal?: AbortSignal;
  /** the config's calendar section: maintenance windows per integration (none when absent) */
  calendar?: CalendarConfig;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Runs the probe, or plays the drill instead of it. The vendor is not called while a status is injected. */
async function probeOrDrill(spec: IntegrationSpec, deps: ProbeRunDeps, fault: Fault | undefined, traceId: string): Promise<ProbeResult> {
  const extra = fault?.latency_ms ?? 0;
  if (fault?.http_status) {
    const started = Date.now();
    await sleep(Math.min(extra, spec.timeoutMs), deps.signal);
    if (extra >= spec.timeoutMs)
      return {
        outcome: 'UPSTREAM_TIMEOUT',
        latencyMs: Date.now() - started,
        traceId,
        injected: true,
        message: `fault injected: timeout after ${spec.timeoutMs} ms`,
      };
    // the probes' own status table decides what the injected status means
    const outcome = classifyStatus(fault.http_status, spec.name)?.outcome ?? 'OK';
    return {
      outcome,
      httpStatus: fault.http_status,
      latencyMs: Date.now() - started,
      traceId,
      injected: true,
      message: `fault injected: HTTP ${fault.http_status}`,
    };
  }
  // a latency drill really waits (bounded by the probe's timeout), so it occupies its slot like a slow vendor would
  const started = Date.now();
  if (extra) {
    await sleep(Math.min(extra, spec.timeoutMs), deps.signal);
    if (extra >= spec.timeoutMs)
      return {
        outcome: 'UPSTREAM_TIMEOUT',
        latencyMs: Date.now() - started,
        traceId,
        injected: true,
        message: `fault injected: +${extra} ms latency, over the ${spec.timeoutMs} ms timeout`,
      };
  }
  const result = await runProbe(spec, {
    env: deps.env,
    traceId,
    signal: deps.signal,
    pool: deps.pool,
    riskLimits: deps.riskLimits,
    tokenCache: deps.tokenCache,
  });
  if (!extra) return result;
  const latencyMs = Date.now() - started;
  if (latencyMs >= spec.timeoutMs)
    return {
      outcome: 'UPSTREAM_TIMEOUT',
      latencyMs,
      traceId,
      injected: true,
      message: `fault injected: +${extra} ms latency, over the ${spec.timeoutMs} ms timeout`,
    };
  return { ...result, latencyMs, injected: true, message: result.message ?? `fault injected: +${extra} ms latency` };
}

export interface ProbeOutcomeRecord {
  integration: string;
  result: ProbeResult;
  state: IntegrationState;
}

/** Probes one integration and records the outcome. Never throws for vendor failures; store failures propagate. */
export async function probeAndRecord(spec: IntegrationSpec, deps: ProbeRunDeps): Promise<ProbeOutcomeRecord> {
  const traceId = newTraceId();
  const faults = await activeFaults(deps.pool, spec.name);
  const result0 = await probeOrDrill(spec, deps, faults[0], traceId);
  const result: ProbeResult = { ...endpointOf(spec, deps.env), ...result0, message: result0.message ? redactString(result0.message) : undefined };
  const connected = connectedOf(spec, deps.env);
  const state = await withTransaction(deps.pool, async (c) => {
    // stamped on the database's clock, as readers measure ages (a skewed prober host cannot
    // make its probes look fresh for longer, or stale at once)
    const { state: prev, now } = await lockState(c, spec.name);
    // a failure inside a scheduled maintenance window is history only (status.ts, maintenance rules)
    const window = maintenanceAt(deps.calendar, spec.name, now.getTime());
    if (inMaintenanceProbe(result, window)) {
      await insertProbe(c, { integration: spec.name, probedAt: now, status: 'BLOCKED', result, reasonCode: 'MAINTENANCE', daemonId: deps.daemonId });
      return prev ?? neverProbedState(spec, connected, null);
    }
    const next = applyProbe(spec, prev, result, { connected, now });
    await insertProbe(c, { integration: spec.name, probedAt: now, status: next.status, result, reasonCode: next.reasonCode, daemonId: deps.daemonId });
    await upsertState(c, next);
    await notifyState(c, spec.name);
    return next;
  });
  return { integration: spec.name, result, state };
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function boundedAll<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** One round over the named integrations (or all). */
export async function probeRound(registry: Registry, names: string[] | 'all', deps: ProbeRunDeps, concurrency: number) {
  const specs = names === 'all' ? registry.integrations : registry.integrations.filter((s) => names.includes(s.name));
  return boundedAll(specs, concurrency, (s) => probeAndRecord(s, deps));
}
