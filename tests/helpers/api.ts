/**
 * The daemon's HTTP API in-process: a real fastify instance (HttpService with every route
 * module) on a free loopback port, over a real database. No daemon process, no probes.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { loadConfig, type Config } from '../../src/core/config.js';
import { loadRegistry } from '../../src/core/vendors/registry.js';
import { createLogger } from '../../src/core/log.js';
import { HttpService } from '../../src/daemon/http.js';
import { usageRoutes } from '../../src/daemon/routes/usage.js';
import { proofRoutes } from '../../src/daemon/routes/proof.js';
import { sessionRoutes } from '../../src/daemon/routes/session.js';
import { tradingStateRoutes } from '../../src/daemon/routes/trading-state.js';
import { opsRoutes } from '../../src/daemon/routes/ops.js';
import type { DaemonContext } from '../../src/daemon/daemon.js';

export const API_TOKEN = 'api-test-token-0123456789abcdef';

export interface Api {
  base: string;
  config: Config;
  ctx: DaemonContext;
  /** every route the server registered, `METHOD url` */
  routes: string[];
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  post(
    path: string,
    body: unknown,
    opts?: { token?: string | null; contentType?: string; raw?: string },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/** `pool`/`url`: the store the API reads (a dead one for the failure paths); `env`: extra config env. */
export async function startApi(store: { pool: pg.Pool; url: string }, opts: { env?: Record<string, string>; leader?: boolean } = {}): Promise<Api> {
  // only this env: nothing from the caller's shell; the home is never written without a config file
  const config = loadConfig({
    env: { DATABASE_URL: store.url, OBSERVATORY_PORT: '0', OBSERVATORY_TOKEN: API_TOKEN, OBSERVATORY_HOME: join(tmpdir(), 'obs-api-unused'), ...opts.env },
  });
  let leader = opts.leader ?? false;
  const ctx: DaemonContext = {
    config,
    log: createLogger('silent'),
    store: { pool: store.pool, url: store.url, describe: 'test', close: async () => undefined },
    daemonId: 'api-test',
    isLeader: () => leader,
    setLeader: (v) => (leader = v),
  };
  const svc = new HttpService(loadRegistry(config), { routes: [usageRoutes, proofRoutes, sessionRoutes, tradingStateRoutes, opsRoutes] });
  await svc.start(ctx);
  const base = `http://127.0.0.1:${svc.port}`;
  const read = async (res: Response) => {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON (metrics) */
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    base,
    config,
    ctx,
    routes: svc.routes,
    get: async (path, headers = {}) => read(await fetch(base + path, { headers })),
    post: async (path, body, o = {}) => {
      const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
      if (o.token !== null) headers.authorization = `Bearer ${o.token ?? API_TOKEN}`;
      return read(await fetch(base + path, { method: 'POST', headers, body: o.raw ?? JSON.stringify(body) }));
    },
    close: () => svc.stop(),
  };
}
