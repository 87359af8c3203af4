/**
 * A hard failure reaches BLOCKED within 10 s of the first failed probe whatever the interval
 * (here 5 minutes): the scheduler confirms it at short spacing (probe-schedule.ts
 * confirmationPlan) — a real 5xx, a timeout, and a drill injected while the daemon runs. Real
 * probes (custom HTTP integrations against a local server), recorded in a real database; the
 * window is read from the recorded probe rows (the database's clock), and the test waits
 * generously for the transition rather than timing itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshDatabase, type TestDb } from './helpers/db.js';
import { waitFor } from './helpers/wait.js';
import { loadConfig, type Config } from '../src/core/config.js';
import { loadRegistry } from '../src/core/vendors/registry.js';
import { createLogger } from '../src/core/log.js';
import { ProbeScheduler } from '../src/daemon/scheduler.js';
import type { DaemonContext } from '../src/daemon/daemon.js';
import { statusByIntegration } from '../src/core/views.js';
import { injectFault } from '../src/core/drills.js';
import { CONFIRM_WINDOW_MS, confirmationPlan } from '../src/core/probe-schedule.js';
import type { Registry } from '../src/core/types.js';

let db: TestDb;
let server: Server;
let config: Config;
let registry: Registry;
/** what the local vendor does now, per path */
const mode: Record<string, 'ok' | '503' | 'hang'> = { '/fails': 'ok', '/hangs': 'ok', '/drill': 'ok' };
const FIVE_MINUTES = 300_000;

beforeAll(async () => {
  db = await freshDatabase();
  server = createServer((req, res) => {
    const m = mode[req.url!] ?? 'ok';
    if (m === 'hang') return; // never answers: the probe times out
    if (m === '503') return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = (path: string) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const integration = (path: string, extra: Record<string, unknown> = {}) => ({
    probe: { url: url(path) },
    interval_ms: FIVE_MINUTES,
    required_for: ['paper'],
    ...extra,
  });
  config = loadConfig({ env: { DATABASE_URL: db.url, OBSERVATORY_HOME: join(tmpdir(), 'obs-confirm-unused') } });
  const full = loadRegistry({
    ...config,
    integrations: { fails: integration('/fails'), hangs: integration('/hangs', { timeout_ms: 3_000 }), drill: integration('/drill') },
  });
  registry = { integrations: full.integrations.filter((s) => ['fails', 'hangs', 'drill'].includes(s.name)), groups: [] };
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

function context(): DaemonContext {
  return {
    config,
    log: createLogger('silent'),
    store: { pool: db.pool, url: db.url, describe: 'test', close: async () => undefined },
    daemonId: 'confirm-test',
    isLeader: () => true,
    setLeader: () => undefined,
  };
}
const rows = async (name: string) =>
  (
    await db.pool.query<{ status: string; outcome: string; t: number }>(
      `select status, outcome, extract(epoch from probed_at) * 1000 as t from integration_probes where integration = $1 order by probed_at`,
      [name],
    )
  ).rows;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The failures after the last OK probe: their statuses, and how long from the first failure to BLOCKED. */
async function failureRun(name: string) {
  const all = await rows(name);
  const lastOk = all.map((r) => r.outcome).lastIndexOf('OK');
  const fails = all.slice(lastOk + 1);
  return { statuses: fails.map((r) => r.status), windowMs: fails.at(-1)!.t - fails[0].t };
}

describe('confirmationPlan', () => {
  const spec = { intervalMs: FIVE_MINUTES, timeoutMs: 5_000, failuresBeforeBlocked: 3 };
  const degraded = { status: 'DEGRADED' as const, consecutiveFailures: 1 };
  it('after a hard failure: short spacing, and a timeout that fits failures_before_blocked − 1 confirmations in the window', () => {
    expect(confirmationPlan(spec, { outcome: 'UPSTREAM_5XX' }, degraded)).toEqual({ delayMs: 500, timeoutMs: 4_000 });
    for (const outcome of ['UPSTREAM_TIMEOUT', 'UPSTREAM_NETWORK', 'UPSTREAM_4XX', 'UPSTREAM_BAD_RESPONSE', 'CHECK_FAILED'] as const)
      expect(confirmationPlan(spec, { outcome }, degraded)).not.toBeNull();
    const five = confirmationPlan({ ...spec, failuresBeforeBlocked: 5 }, { outcome: 'UPSTREAM_5XX' }, degraded)!;
    expect(five).toEqual({ delayMs: 500, timeoutMs: 1_750 });
    expect(4 * (five.delayMs + five.timeoutMs)).toBeLessThan(CONFIRM_WINDOW_MS);
    // never longer than the integration's own timeout
    expect(confirmationPlan({ ...spec, timeoutMs: 1_000 }, { outcome: 'UPSTREAM_5XX' }, degraded)!.timeoutMs).toBe(1_000);
  });
  it('nothing to confirm: BLOCKED already, a success, a 429, a rejected key; a Retry-After is honoured', () => {
    expect(confirmationPlan(spec, { outcome: 'UPSTREAM_5XX' }, { status: 'BLOCKED', consecutiveFailures: 3 })).toBeNull();
    for (const outcome of ['OK', 'RATE_LIMITED', 'AUTH_REJECTED', 'MISSING_CREDENTIALS'] as const)
      expect(confirmationPlan(spec, { outcome }, degraded)).toBeNull();
    expect(confirmationPlan(spec, { outcome: 'UPSTREAM_5XX' }, degraded, { retryAfterMs: 3_000 })).toEqual({ delayMs: 3_000, timeoutMs: 1_500 });
    // the regular probe comes first
    expect(confirmationPlan({ ...spec, intervalMs: 5_000 }, { outcome: 'UPSTREAM_5XX' }, degraded, { retryAfterMs: 6_000 })).toBeNull();
  });
});

describe('ProbeScheduler confirms a hard failure', () => {
  it('5xx, timeout and a drill injected while it runs each reach BLOCKED within 10 s of the first failed probe, at a 5-minute interval; recovery is not hurried', async () => {
    // a first leader sees every integration healthy
    const first = new ProbeScheduler(registry);
    await first.start(context());
    try {
      await waitFor(async () => Object.values(await statusByIntegration(db.pool, registry, config)).every((s) => s === 'OK'), 30_000, 'every integration OK');
    } finally {
      await first.stop();
    }
    // the vendor starts failing; the next leader probes at once (take-over), then only confirmations can probe within 5 minutes
    mode['/fails'] = '503';
    mode['/hangs'] = 'hang';
    const s = new ProbeScheduler(registry);
    await s.start(context());
    try {
      await waitFor(async () => (await statusByIntegration(db.pool, registry, config)).fails === 'BLOCKED', 60_000, 'fails BLOCKED');
      await sleep(1_500); // the drill watcher has had its first look
      await injectFault(db.pool, { integration: 'drill', httpStatus: 503, ttlMs: 600_000, createdBy: 'test', traceId: 'ab'.repeat(16) });
      await waitFor(
        async () => {
          const st = await statusByIntegration(db.pool, registry, config);
          return st.hangs === 'BLOCKED' && st.drill === 'BLOCKED';
        },
        60_000,
        'hangs and drill BLOCKED',
      );
      for (const name of ['fails', 'hangs', 'drill']) {
        const run = await failureRun(name);
        // the status rules' path: DEGRADED on the first failure, BLOCKED on the third in a row
        expect(run.statuses, name).toEqual(['DEGRADED', 'DEGRADED', 'BLOCKED']);
        expect(run.windowMs, name).toBeLessThan(CONFIRM_WINDOW_MS);
      }
      // BLOCKED: no more confirmations; a vendor back up recovers at the normal interval, not in seconds
      mode['/fails'] = 'ok';
      const before = (await rows('fails')).length;
      await sleep(2_000);
      expect((await rows('fails')).length).toBe(before);
      expect((await statusByIntegration(db.pool, registry, config)).fails).toBe('BLOCKED');
    } finally {
      await s.stop();
    }
  });
});
