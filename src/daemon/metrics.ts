/**
 * /metrics in Prometheus text format (prom-client). Values are read from the store at scrape
 * time through the same views the API serves, so a scrape never disagrees with the API.
 */
import client from 'prom-client';
import type { DaemonContext } from './daemon.js';
import type { Registry } from '../core/types.js';
import { MODES, STATUSES } from '../core/types.js';
import { gateFrom, integrationRows, metricsSnapshot, tradingRefusalsSince, type HealthSnapshot, type ProbeCount } from '../core/views.js';
import { TRADING_SCOPES } from '../core/trading-state.js';
import { newTraceId } from '../core/trace.js';
import { redactString } from '../core/redact.js';

export function buildMetrics(ctx: DaemonContext, registry: Registry) {
  const reg = new client.Registry();
  const status = new client.Gauge({
    name: 'observatory_integration_status',
    help: "1 for the integration's current status, 0 for the others",
    labelNames: ['integration', 'status'],
    registers: [reg],
  });
  const connected = new client.Gauge({
    name: 'observatory_integration_connected',
    help: "1 when the integration's env vars are present",
    labelNames: ['integration'],
    registers: [reg],
  });
  const latency = new client.Gauge({
    // base units in names (Prometheus convention, `promtool check metrics`): seconds, not ms
    name: 'observatory_integration_latency_seconds',
    help: 'latency of the last probe, seconds',
    labelNames: ['integration'],
    registers: [reg],
  });
  const probes = new client.Gauge({
    name: 'observatory_probes_last_hour',
    help: 'probes recorded in the last hour by resulting status',
    labelNames: ['integration', 'status'],
    registers: [reg],
  });
  const autonomy = new client.Gauge({
    name: 'observatory_autonomy_status',
    help: "1 for the gate's current verdict per mode",
    labelNames: ['mode', 'status'],
    registers: [reg],
  });
  const blockers = new client.Gauge({ name: 'observatory_autonomy_blockers', help: 'number of blockers per mode', labelNames: ['mode'], registers: [reg] });
  const leader = new client.Gauge({ name: 'observatory_daemon_leader', help: '1 when this daemon holds probe leadership', registers: [reg] });
  const up = new client.Gauge({ name: 'observatory_store_up', help: '1 when the status store answered this scrape', registers: [reg] });
  const tradingScopes = new client.Gauge({
    name: 'observatory_trading_state_scopes',
    help: 'kill switch: scopes in force (not ACTIVE) per scope kind and state',
    labelNames: ['scope', 'state'],
    registers: [reg],
  });
  const refused = new client.Counter({
    name: 'observatory_trading_orders_refused_total',
    help: 'orders refused by the trading state (BLOCKED usage events HALTED / REDUCING) recorded since this daemon started',
    labelNames: ['state'],
    registers: [reg],
  });
  // the counter survives resetMetrics(): its total is kept here and re-applied each scrape
  const refusedTotal = { HALTED: 0, REDUCING: 0 };
  let refusedSince: Date | null = null;
  const heartbeatAge = new client.Gauge({
    name: 'observatory_daemon_heartbeat_age_seconds',
    help: "age of the newest running daemon's heartbeat, seconds (absent when none is recorded)",
    registers: [reg],
  });
  const staleAfter = new client.Gauge({
    name: 'observatory_daemon_heartbeat_stale_after_seconds',
    help: 'the heartbeat age past which the gate reads DAEMON_STALE, seconds',
    registers: [reg],
  });
  const freshDaemons = new client.Gauge({ name: 'observatory_daemons_fresh', help: 'daemons whose heartbeat is within the stale bound', registers: [reg] });
  const ingestUnavailable = new client.Counter({
    name: 'observatory_ingest_unavailable_total',
    help: 'ingest requests answered 503 because the store could not be written (HTTP writers spool and replay meanwhile), since this daemon started',
    registers: [reg],
  });
  // resetMetrics() clears counters too: the total lives here and is re-applied each scrape
  let ingestUnavailableTotal = 0;

  return {
    contentType: reg.contentType,
    /** an ingest request refused because the store could not be written */
    ingestUnavailable(): void {
      ingestUnavailableTotal++;
    },
    async render(): Promise<string> {
      reg.resetMetrics();
      leader.set(ctx.isLeader() ? 1 : 0);
      // one read of the store per scrape; every gauge (and each mode's gate) derives from it
      let snap: HealthSnapshot | undefined;
      let counts: ProbeCount[] = [];
      try {
        ({ snap, probes: counts } = await metricsSnapshot(ctx.store.pool, registry, ctx.config));
      } catch {
        // a store lost mid-scrape reads as down: a valid exposition with store_up 0, never a 500
        snap = undefined;
      }
      up.set(snap ? 1 : 0);
      staleAfter.set(ctx.config.daemon.staleAfterMs / 1000);
      ingestUnavailable.inc(ingestUnavailableTotal);
      if (snap) {
        if (snap.daemon.heartbeat_age_ms !== null) heartbeatAge.set(snap.daemon.heartbeat_age_ms / 1000);
        freshDaemons.set(snap.daemon.daemons);
        for (const row of integrationRows(registry, snap, 'live')) {
          for (const s of STATUSES) status.set({ integration: row.name, status: s }, row.status === s ? 1 : 0);
          connected.set({ integration: row.name }, row.connected ? 1 : 0);
          if (row.latency_ms !== null) latency.set({ integration: row.name }, row.latency_ms / 1000);
        }
        for (const c of counts) probes.set({ integration: c.integration, status: c.status }, c.n);
        for (const scope of TRADING_SCOPES)
          for (const state of ['HALTED', 'REDUCING'] as const)
            tradingScopes.set({ scope, state }, (snap.trading ?? []).filter((t) => t.scope === scope && t.state === state).length);
        try {
          const r = await tradingRefusalsSince(ctx.store.pool, refusedSince);
          refusedTotal.HALTED += r.counts.HALTED;
          refusedTotal.REDUCING += r.counts.REDUCING;
          refusedSince = r.upTo;
        } catch {
          // counted on the next scrape that reaches the store
        }
      }
      for (const state of ['HALTED', 'REDUCING'] as const) refused.inc({ state }, refusedTotal[state]);
      const traceId = newTraceId();
      for (const mode of MODES) {
        const g = snap ? gateFrom(registry, snap, mode, traceId) : { global_status: 'UNKNOWN', blockers: [null] };
        for (const s of [...STATUSES, 'UNKNOWN']) autonomy.set({ mode, status: s }, g.global_status === s ? 1 : 0);
        blockers.set({ mode }, g.blockers.length);
      }
      // the text leaves through the sanitizer like every other response body
      return redactString(await reg.metrics());
    },
  };
}
