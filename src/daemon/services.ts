import type { Config } from '../core/config.js';
import type { DaemonService } from './daemon.js';
import { loadRegistry } from '../core/vendors/registry.js';
import { LeaderService } from './leader.js';
import { ProbeScheduler } from './scheduler.js';
import { RankingService } from './ranking.js';
import { HttpService } from './http.js';
import { usageRoutes } from './routes/usage.js';
import { proofRoutes } from './routes/proof.js';
import { sessionRoutes } from './routes/session.js';
import { tradingStateRoutes } from './routes/trading-state.js';
import { opsRoutes } from './routes/ops.js';
import { OtelExportService, tracesUrl } from './otel.js';
import { ConfigError } from '../core/errors.js';

/** The services the daemon runs, in start order (stopped in reverse). */
export async function daemonServices(config: Config): Promise<DaemonService[]> {
  const registry = loadRegistry(config);
  const minInterval = Math.min(...registry.integrations.map((s) => s.intervalMs));
  // leadership is retried often enough that a dead leader is replaced within one probe interval
  const leaderRetryMs = Math.max(200, Math.min(5_000, Math.floor(minInterval / 2)));
  const services: DaemonService[] = [
    new LeaderService(leaderRetryMs),
    new ProbeScheduler(registry),
    new RankingService(),
    new HttpService(registry, { routes: [usageRoutes, proofRoutes, sessionRoutes, tradingStateRoutes, opsRoutes] }),
  ];
  // opt-in: OTLP/HTTP export of stored usage events
  const otlp = tracesUrl(config.env);
  if (otlp) {
    if (!URL.canParse(otlp) || !/^https?:$/.test(new URL(otlp).protocol))
      throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL', 'e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318');
    services.push(new OtelExportService({ url: otlp }));
  }
  return services;
}
